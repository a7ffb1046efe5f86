"""A MobileNetV2 body as a detectron2 ``Backbone``, with an FPN on top.

The body keeps torchvision's parameter layout (``features.<i>....``), so a torchvision
MobileNetV2 state dict loads into it with the prefix ``backbone.bottom_up.`` and nothing else.
Its 19 ``features`` blocks are grouped into stages by output stride:

==========  ====================  ======  ==========================================
stage       torchvision features  stride  channels (width 1.0)
==========  ====================  ======  ==========================================
``stem``    ``features[0:2]``     2       32 -> 16 (3x3 conv, first inverted residual)
``m2``      ``features[2:4]``     4       24
``m3``      ``features[4:7]``     8       32
``m4``      ``features[7:14]``    16      64 -> 96
``m5``      ``features[14:19]``   32      160 -> 320 -> 1280 (incl. the last 1x1 conv)
==========  ====================  ======  ==========================================

``MODEL.BACKBONE.FREEZE_AT`` means what it means for detectron2's ResNet: 0 freezes nothing,
1 the stem, k >= 2 the stem and ``m2`` .. ``mk``; 5 freezes the whole body. The layer specs
of repetitive training therefore map unchanged: ``all`` = 0, ``3+`` = 2, ``4+`` = 3, ``5+`` = 4,
``heads`` = 5.
"""

from __future__ import annotations

import math

import torch
from detectron2.layers import FrozenBatchNorm2d, ShapeSpec
from detectron2.modeling import BACKBONE_REGISTRY, FPN, Backbone
from detectron2.modeling.backbone.fpn import LastLevelMaxPool
from torch import nn
from torchvision.models import MobileNetV2

from ..errors import ConfigError

# (name, first features index, end index (exclusive), output stride)
STAGES = (
    ("stem", 0, 2, 2),
    ("m2", 2, 4, 4),
    ("m3", 4, 7, 8),
    ("m4", 7, 14, 16),
    ("m5", 14, 19, 32),
)
STAGE_NAMES = tuple(name for name, *_ in STAGES)
NORMS = ("BN", "FrozenBN", "GN")
MAX_GN_GROUPS = 32


def norm_factory(norm: str):
    """Return ``channels -> norm module`` for torchvision's ``norm_layer`` argument.

    Args:
        norm: ``"BN"``, ``"FrozenBN"`` or ``"GN"``. GroupNorm uses ``gcd(32, channels)``
            groups, since MobileNetV2 has widths such as 24 and 144 that 32 does not divide.

    Raises:
        ValueError: for any other name.
    """
    if norm == "BN":
        return nn.BatchNorm2d
    if norm == "FrozenBN":
        return FrozenBatchNorm2d
    if norm == "GN":
        return lambda channels: nn.GroupNorm(math.gcd(MAX_GN_GROUPS, channels), channels)
    raise ConfigError(f"MODEL.MOBILENET.NORM must be one of {', '.join(NORMS)}, got {norm!r}")


def frozen_block(block: nn.Module) -> nn.Module:
    """Freeze a block: no trainable parameter, BatchNorm layers frozen.

    Returns the block to use: a bare BatchNorm is replaced rather than converted in place.
    """
    for param in block.parameters():
        param.requires_grad_(False)
    return FrozenBatchNorm2d.convert_frozen_batchnorm(block)


class MobileNetV2Body(Backbone):
    """torchvision's MobileNetV2 ``features``, returning the outputs of named stages.

    ``output_shape`` is detectron2's ``Backbone.output_shape`` (from ``_out_feature_*``).
    """

    def __init__(self, out_features=("m2", "m3", "m4", "m5"), norm: str = "FrozenBN",
                 width_mult: float = 1.0, freeze_at: int = 0):
        """Build the body.

        Args:
            out_features: stage names to return, a subset of ``stem, m2, m3, m4, m5``.
            norm: ``"BN"``, ``"FrozenBN"`` or ``"GN"``.
            width_mult: torchvision's channel multiplier (ImageNet weights exist for 1.0).
            freeze_at: stages to freeze, as ``MODEL.BACKBONE.FREEZE_AT`` (0..5).
        """
        super().__init__()
        unknown = [name for name in out_features if name not in STAGE_NAMES]
        if unknown or not out_features:
            raise ConfigError(f"MODEL.MOBILENET.OUT_FEATURES must name stages among "
                             f"{', '.join(STAGE_NAMES)}, got {list(out_features)}")
        self.features = MobileNetV2(width_mult=width_mult, norm_layer=norm_factory(norm)).features
        self._out_features = [name for name in STAGE_NAMES if name in out_features]
        self._out_feature_strides = {}
        self._out_feature_channels = {}
        for name, _, end, stride in STAGES:
            if name in self._out_features:
                self._out_feature_strides[name] = stride
                self._out_feature_channels[name] = self.features[end - 1].out_channels
        # Stages after the last requested one are never run.
        self._num_stages = max(STAGE_NAMES.index(name) for name in self._out_features) + 1
        self.freeze(freeze_at)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return ``{stage name: feature map}`` for the requested stages."""
        outputs = {}
        for name, start, end, _ in STAGES[:self._num_stages]:
            for index in range(start, end):
                x = self.features[index](x)
            if name in self._out_features:
                outputs[name] = x
        return outputs

    def freeze(self, freeze_at: int = 0) -> MobileNetV2Body:
        """Freeze the first ``freeze_at`` stages (see the module docstring).

        Their parameters stop requiring gradients and their BatchNorm layers become
        ``FrozenBatchNorm2d``, so the running statistics stay those of the weights loaded.

        Returns:
            the body itself.
        """
        if not 0 <= freeze_at <= len(STAGES):
            raise ConfigError(f"MODEL.BACKBONE.FREEZE_AT must be 0..{len(STAGES)} for "
                             f"MobileNetV2, got {freeze_at}")
        for _, start, end, _ in STAGES[:freeze_at]:
            for index in range(start, end):
                self.features[index] = frozen_block(self.features[index])
        return self


@BACKBONE_REGISTRY.register()
def build_mobilenetv2_backbone(cfg, input_shape: ShapeSpec) -> MobileNetV2Body:
    """The MobileNetV2 body alone, from ``MODEL.MOBILENET`` and ``MODEL.BACKBONE.FREEZE_AT``."""
    if input_shape.channels != 3:
        raise ConfigError(f"MobileNetV2 takes 3 input channels, got {input_shape.channels}")
    return MobileNetV2Body(out_features=tuple(cfg.MODEL.MOBILENET.OUT_FEATURES),
                           norm=cfg.MODEL.MOBILENET.NORM,
                           width_mult=cfg.MODEL.MOBILENET.WIDTH_MULT,
                           freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT)


@BACKBONE_REGISTRY.register()
def build_mobilenetv2_fpn_backbone(cfg, input_shape: ShapeSpec) -> FPN:
    """detectron2's FPN (``MODEL.FPN.*``, plus a max-pooled top level) over MobileNetV2."""
    return FPN(bottom_up=build_mobilenetv2_backbone(cfg, input_shape),
               in_features=cfg.MODEL.FPN.IN_FEATURES,
               out_channels=cfg.MODEL.FPN.OUT_CHANNELS,
               norm=cfg.MODEL.FPN.NORM,
               top_block=LastLevelMaxPool(),
               fuse_type=cfg.MODEL.FPN.FUSE_TYPE)


class MobileNetV2Encoder(Backbone):
    """The MobileNetV2 body under the name ``bottom_up``, as the FPN holds it.

    Encoders of semantic models (the MobileUNet) use it so that their parameters are named as
    the FPN's (``backbone.bottom_up.features...``) and the one converted ImageNet file
    initialises both.
    """

    def __init__(self, bottom_up: MobileNetV2Body):
        super().__init__()
        self.bottom_up = bottom_up

    @property
    def size_divisibility(self) -> int:
        """Inputs are padded to the deepest stage's stride, so every stride-2 conv halves."""
        return max(shape.stride for shape in self.bottom_up.output_shape().values())

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The body's stage outputs."""
        return self.bottom_up(x)

    def output_shape(self) -> dict[str, ShapeSpec]:
        """The body's stage shapes."""
        return self.bottom_up.output_shape()


@BACKBONE_REGISTRY.register()
def build_mobilenetv2_encoder_backbone(cfg, input_shape: ShapeSpec) -> MobileNetV2Encoder:
    """The MobileNetV2 body as an encoder (``MODEL.MOBILENET``, ``FREEZE_AT``), FPN-named."""
    return MobileNetV2Encoder(build_mobilenetv2_backbone(cfg, input_shape))
