"""One way to load a trained model: build it from the config, load a checkpoint, refuse misfits."""

from __future__ import annotations

import os

import torch
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.modeling import build_model

from ..errors import ModelLoadError

MAX_NAMED = 3


class _CheckingCheckpointer(DetectionCheckpointer):
    """Keeps the incompatible keys of the load (detectron2 only logs them)."""

    incompatible = None

    def _load_model(self, checkpoint):
        self.incompatible = super()._load_model(checkpoint)
        return self.incompatible


def _named(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_NAMED])
    return shown + (f", ... ({len(keys) - MAX_NAMED} more)" if len(keys) > MAX_NAMED else "")


def check_incompatible(incompatible, weights: str) -> None:
    """Refuse a load that left parameters of the model unset or ignored checkpoint entries.

    Args:
        incompatible: What detectron2's ``Checkpointer._load_model`` returned (missing keys,
            unexpected keys, shape mismatches), or None.
        weights: The checkpoint, for the message.

    Raises:
        ModelLoadError: Naming how many and which parameters are missing or unexpected.

    """
    missing = list(getattr(incompatible, "missing_keys", []) or [])
    unexpected = list(getattr(incompatible, "unexpected_keys", []) or [])
    shapes = [k for k, *_ in getattr(incompatible, "incorrect_shapes", []) or []]
    parts = []
    if missing:
        parts.append(f"{len(missing)} parameters of the model are missing from it or of "
                     f"another shape ({_named(missing)})")
    if unexpected:
        parts.append(f"{len(unexpected)} of its parameters are not in the model "
                     f"({_named(unexpected)})")
    if parts:
        hint = f" ({len(shapes)} of the missing ones only differ in shape)" if shapes else ""
        raise ModelLoadError(f"weights {weights} do not fit the model of the config: "
                             + "; ".join(parts) + hint
                             + ". Is it a checkpoint of this config's architecture?")


def load_model(cfg, weights: str | os.PathLike):
    """Build the model of ``cfg`` and load trained weights, refusing partial loads.

    Every tool that runs a trained model (evaluation, video, ``train_net --eval-only``, the
    chain's session selection) loads it here.

    Args:
        cfg: The model's config.
        weights: A checkpoint file (``.pth`` or detectron2 ``.pkl``) or a URL detectron2 can
            fetch.

    Returns:
        The model in eval mode.

    Raises:
        ModelLoadError: If no weights are given, the device is unavailable, the file is
            missing or unreadable, or its parameters do not match the model's.

    """
    weights = os.fspath(weights) if weights else ""
    if not weights:
        raise ModelLoadError("no weights given: pass a trained checkpoint (model_final.pth)")
    if "://" not in weights and not os.path.isfile(weights):
        raise ModelLoadError(f"weights file {weights} does not exist")
    if str(cfg.MODEL.DEVICE).startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(
            f"MODEL.DEVICE is {cfg.MODEL.DEVICE} but no CUDA GPU is available; add "
            "'MODEL.DEVICE cpu' to run on the CPU")
    model = build_model(cfg)
    checkpointer = _CheckingCheckpointer(model)
    try:
        checkpointer.load(weights)
    except Exception as exc:  # noqa: BLE001 - torch/pickle raise many types for bad files
        reason = (str(exc).strip().splitlines() or [""])[0][:200]  # torch's can be a page long
        raise ModelLoadError(
            f"cannot load weights {weights}: {type(exc).__name__}: {reason}") from None
    check_incompatible(checkpointer.incompatible, weights)
    model.eval()
    return model
