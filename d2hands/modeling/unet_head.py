"""The U-Net decoder as a detectron2 semantic-segmentation head (``SEM_SEG_HEADS_REGISTRY``).

It takes the backbone features of ``MODEL.SEM_SEG_HEAD.IN_FEATURES`` (any strides, each twice
the one before) and works up from the deepest: a 2x2 transposed conv to the next level's
channels, concatenation with that level's features (the skip), then a U-Net level of convs
(``MODEL.UNET.CONVS_PER_LEVEL``, ``NORM``, ``DROPOUT``). A 1x1 conv gives the class logits; if
the shallowest feature is not at stride 1 (MobileNetV2's is at 2), they are upsampled
bilinearly. Over :class:`~d2hands.modeling.unet.UNetEncoder` this is Ronneberger's U-Net; over
the MobileNetV2 body (``stem, m2 .. m5``) it is the MobileUNet (skips at strides 2/4/8/16).
"""

from __future__ import annotations

import torch
from detectron2.layers import ShapeSpec
from detectron2.modeling import SEM_SEG_HEADS_REGISTRY
from torch import nn
from torch.nn import functional as F

from ..errors import ConfigError
from .unet import check_unet_settings, conv_block


@SEM_SEG_HEADS_REGISTRY.register()
class UNetHead(nn.Module):
    """Expanding path with skip concatenation; cross-entropy against ``sem_seg`` targets."""

    def __init__(self, cfg, input_shape: dict[str, ShapeSpec]):
        super().__init__()
        head, unet = cfg.MODEL.SEM_SEG_HEAD, cfg.MODEL.UNET
        missing = [name for name in head.IN_FEATURES if name not in input_shape]
        if missing or len(head.IN_FEATURES) < 2:
            raise ConfigError(f"MODEL.SEM_SEG_HEAD.IN_FEATURES must name >= 2 of the backbone's "
                             f"features {sorted(input_shape)}, got {list(head.IN_FEATURES)}")
        check_unet_settings(1, 1, unet.CONVS_PER_LEVEL, unet.NORM, unet.DROPOUT)
        if head.NUM_CLASSES < 2:
            raise ConfigError("MODEL.SEM_SEG_HEAD.NUM_CLASSES must be >= 2 (background and "
                             f"hand), got {head.NUM_CLASSES}")
        names = sorted(head.IN_FEATURES, key=lambda name: input_shape[name].stride)
        strides = [input_shape[name].stride for name in names]
        if any(deep != 2 * shallow for shallow, deep in zip(strides, strides[1:], strict=False)):
            raise ConfigError(f"UNetHead needs features whose strides double level by level, "
                             f"got {dict(zip(names, strides, strict=True))}")
        channels = [input_shape[name].channels for name in names]
        self.in_features = names
        self.ups = nn.ModuleList()
        self.blocks = nn.ModuleList()
        for level in range(len(names) - 1, 0, -1):
            self.ups.append(nn.ConvTranspose2d(channels[level], channels[level - 1], 2, stride=2))
            self.blocks.append(conv_block(2 * channels[level - 1], channels[level - 1],
                                          unet.CONVS_PER_LEVEL, unet.NORM, unet.DROPOUT))
        self.predictor = nn.Conv2d(channels[0], head.NUM_CLASSES, 1)
        self.common_stride = strides[0]
        self.size_divisibility = strides[-1]
        self.ignore_value = head.IGNORE_VALUE
        self.loss_weight = head.LOSS_WEIGHT

    def layers(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Class logits at the input's resolution (padded size)."""
        x = features[self.in_features[-1]]
        for up, block, skip_name in zip(self.ups, self.blocks, reversed(self.in_features[:-1]),
                                        strict=True):
            skip = features[skip_name]
            x = up(x)
            if x.shape[-2:] != skip.shape[-2:]:  # only with inputs not padded to the stride
                x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([skip, x], dim=1))
        x = self.predictor(x)
        if self.common_stride > 1:
            x = F.interpolate(x, scale_factor=self.common_stride, mode="bilinear",
                              align_corners=False)
        return x

    def losses(self, logits: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """Pixel-wise cross-entropy; padding (``IGNORE_VALUE``) does not count."""
        if not (targets != self.ignore_value).any():
            return {"loss_sem_seg": logits.sum() * 0.0}
        loss = F.cross_entropy(logits, targets, ignore_index=self.ignore_value)
        return {"loss_sem_seg": loss * self.loss_weight}

    def forward(self, features: dict[str, torch.Tensor], targets: torch.Tensor | None = None):
        """Return ``(logits, losses)``; losses are computed whenever targets are given."""
        logits = self.layers(features)
        return logits, ({} if targets is None else self.losses(logits, targets))
