"""The U-Net encoder of Ronneberger et al. (zero padding) as a detectron2 ``Backbone``.

Level ``u0`` runs at full resolution; each further level ``u1`` .. ``uD`` max-pools by 2 and
doubles the channels (``MODEL.UNET.WIDTH`` at ``u0``). Every level is
``MODEL.UNET.CONVS_PER_LEVEL`` x (3x3 conv, optional norm, ReLU, optional dropout), the
Krener-Iversen paper's "batch norm and dropout between the convolutions of every level". The
decoder is :class:`~d2hands.modeling.unet_head.UNetHead`; the two paper models are configs:

=====================  =====  =====  ======  ===========
config                 DEPTH  WIDTH  CONVS   parameters
=====================  =====  =====  ======  ===========
``unet_paper.yaml``    4      32     2       ~7.8M
``unet_base.yaml``     3      32     1       ~0.95M
=====================  =====  =====  ======  ===========

``MODEL.BACKBONE.FREEZE_AT`` k freezes levels ``u0`` .. ``u(k-1)`` (the first level plays the
ResNet stem's part), so the repetitive chain's layer specs apply unchanged; k beyond the last
level freezes the whole encoder.
"""

from __future__ import annotations

import torch
from detectron2.layers import ShapeSpec, get_norm
from detectron2.modeling import BACKBONE_REGISTRY, Backbone
from torch import nn

from ..errors import ConfigError
from .mobilenet import frozen_block

UNET_NORMS = ("", "BN", "GN", "SyncBN")


def conv_block(in_channels: int, out_channels: int, convs: int, norm: str = "",
               dropout: float = 0.0) -> nn.Sequential:
    """``convs`` x (3x3 conv with zero padding, norm, ReLU, dropout): one U-Net level.

    Args:
        in_channels: channels coming in.
        out_channels: channels of every conv.
        convs: number of convolutions (>= 1).
        norm: ``""`` (none), or a detectron2 norm name (``BN``, ``GN``, ``SyncBN``).
        dropout: dropout probability after each conv's activation (0: none).
    """
    layers: list[nn.Module] = []
    for index in range(convs):
        layers.append(nn.Conv2d(in_channels if index == 0 else out_channels, out_channels, 3,
                                padding=1, bias=not norm))
        if norm:
            layers.append(get_norm(norm, out_channels))
        layers.append(nn.ReLU(inplace=True))
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def check_unet_settings(depth: int, width: int, convs: int, norm: str, dropout: float) -> None:
    """Raise ``ValueError`` naming the ``MODEL.UNET`` key that cannot build a U-Net."""
    if depth < 1:
        raise ConfigError(f"MODEL.UNET.DEPTH must be >= 1 (poolings), got {depth}")
    if width < 1 or convs < 1:
        raise ConfigError(f"MODEL.UNET.WIDTH and CONVS_PER_LEVEL must be >= 1, got {width}, "
                         f"{convs}")
    if norm not in UNET_NORMS:
        raise ConfigError(f"MODEL.UNET.NORM must be one of {UNET_NORMS}, got {norm!r}")
    if not 0.0 <= dropout < 1.0:
        raise ConfigError(f"MODEL.UNET.DROPOUT must be in [0, 1), got {dropout}")


class UNetEncoder(Backbone):
    """The contracting path: levels ``u0`` (stride 1) .. ``uD`` (stride 2**D).

    ``output_shape`` is detectron2's ``Backbone.output_shape`` (from ``_out_feature_*``).
    """

    def __init__(self, in_channels: int = 3, depth: int = 4, width: int = 64, convs: int = 2,
                 norm: str = "", dropout: float = 0.0, freeze_at: int = 0):
        """Build the encoder.

        Args:
            in_channels: image channels.
            depth: number of 2x2 max-poolings (levels = depth + 1).
            width: channels of ``u0``; level k has ``width * 2**k``.
            convs: 3x3 convolutions per level.
            norm: ``""``, ``BN``, ``GN`` or ``SyncBN``.
            dropout: dropout after every conv (0: none).
            freeze_at: levels to freeze, as ``MODEL.BACKBONE.FREEZE_AT``.
        """
        super().__init__()
        check_unet_settings(depth, width, convs, norm, dropout)
        self.levels = nn.ModuleList()
        self._out_features = []
        self._out_feature_channels = {}
        self._out_feature_strides = {}
        channels = in_channels
        for level in range(depth + 1):
            name, out = f"u{level}", width * 2 ** level
            self.levels.append(conv_block(channels, out, convs, norm, dropout))
            self._out_features.append(name)
            self._out_feature_channels[name] = out
            self._out_feature_strides[name] = 2 ** level
            channels = out
        self.pool = nn.MaxPool2d(2)
        self._size_divisibility = 2 ** depth
        self.freeze(freeze_at)

    @property
    def size_divisibility(self) -> int:
        """Inputs are zero-padded to a multiple of 2**depth, so every pooling halves exactly."""
        return self._size_divisibility

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return ``{"u0": ..., "uD": ...}``."""
        outputs = {}
        for level, block in enumerate(self.levels):
            x = block(x if level == 0 else self.pool(x))
            outputs[f"u{level}"] = x
        return outputs

    def freeze(self, freeze_at: int = 0) -> UNetEncoder:
        """Freeze levels ``u0`` .. ``u(freeze_at - 1)`` (BatchNorm becomes frozen BatchNorm)."""
        if freeze_at < 0:
            raise ConfigError(f"MODEL.BACKBONE.FREEZE_AT must be >= 0, got {freeze_at}")
        for level in range(min(freeze_at, len(self.levels))):
            self.levels[level] = frozen_block(self.levels[level])
        return self


@BACKBONE_REGISTRY.register()
def build_unet_backbone(cfg, input_shape: ShapeSpec) -> UNetEncoder:
    """The U-Net encoder from ``MODEL.UNET`` and ``MODEL.BACKBONE.FREEZE_AT``."""
    unet = cfg.MODEL.UNET
    return UNetEncoder(in_channels=input_shape.channels, depth=unet.DEPTH, width=unet.WIDTH,
                       convs=unet.CONVS_PER_LEVEL, norm=unet.NORM, dropout=unet.DROPOUT,
                       freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT)
