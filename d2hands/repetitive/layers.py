"""Trainable-layer specs of the paper (matterport Mask_RCNN names) mapped onto detectron2.

``all`` trains everything; ``3+``/``4+``/``5+`` train ResNet stages 3/4/5 and up; ``heads``
freezes the whole backbone body. FPN, RPN and ROI heads always train. Anything else can be given
as ``re:<regex>``: exactly the parameters whose names match are trained.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from ..errors import ConfigError

# Detectron2's MODEL.BACKBONE.FREEZE_AT: 1 freezes the stem, k >= 2 also stages res2..resk.
FREEZE_AT = {"all": 0, "3+": 2, "4+": 3, "5+": 4, "heads": 5}
REGEX_PREFIX = "re:"


@dataclass(frozen=True)
class LayerSpec:
    """One session's trainable layers: a named spec (``freeze_at``) or a regex."""

    text: str
    freeze_at: int
    regex: str = ""


def parse_layer_spec(text: str) -> LayerSpec:
    """Parse ``all``, ``3+``, ``4+``, ``5+``, ``heads`` or ``re:<regex>``.

    Raises:
        ValueError: for an unknown spec or an invalid regex.
    """
    text = text.strip()
    if text in FREEZE_AT:
        return LayerSpec(text, FREEZE_AT[text])
    if text.startswith(REGEX_PREFIX):
        pattern = text[len(REGEX_PREFIX):]
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"layer spec {text!r} is not a valid regex: {exc}") from None
        return LayerSpec(text, 0, pattern)
    raise ConfigError(f"unknown layer spec {text!r}: use one of {', '.join(FREEZE_AT)} or "
                     "re:<regex over parameter names>")


def apply_regex(model: torch.nn.Module, pattern: str) -> None:
    """Train exactly the parameters whose names match ``pattern`` (``re.search``)."""
    compiled = re.compile(pattern)
    matched = 0
    for name, param in model.named_parameters():
        param.requires_grad_(bool(compiled.search(name)))
        matched += param.requires_grad
    if not matched:
        raise ConfigError(f"layer regex {pattern!r} matches no parameter of the model")


def count_trainable(model: torch.nn.Module) -> int:
    """Number of trainable parameter elements."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
