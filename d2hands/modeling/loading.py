"""One way to load a trained model: build it from the config, load a checkpoint, refuse misfits."""

from __future__ import annotations

import logging
import os

import torch
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.modeling import build_model

from ..errors import ModelLoadError

MAX_NAMED = 3
logger = logging.getLogger(__name__)


def _named(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_NAMED])
    return shown + (f", ... ({len(keys) - MAX_NAMED} more)" if len(keys) > MAX_NAMED else "")


def check_incompatible(incompatible, weights: str, partial: bool = False,
                       num_checkpoint_keys: int | None = None) -> None:
    """Refuse a load that left parameters of the model unset or ignored checkpoint entries.

    Args:
        incompatible: What detectron2's ``Checkpointer._load_model`` returned (missing keys,
            unexpected keys, shape mismatches), or None.
        weights: The checkpoint, for the message.
        partial: The config says the weights initialise part of the model
            (``HANDS.PARTIAL_WEIGHTS``, e.g. an ImageNet backbone): missing and unexpected
            parameters are expected, but at least one parameter must load.
        num_checkpoint_keys: Number of model entries in the checkpoint (for ``partial``).

    Raises:
        ModelLoadError: Naming how many and which parameters are missing or unexpected.

    """
    missing = list(getattr(incompatible, "missing_keys", []) or [])
    unexpected = list(getattr(incompatible, "unexpected_keys", []) or [])
    shapes = [k for k, *_ in getattr(incompatible, "incorrect_shapes", []) or []]
    if partial:
        if (num_checkpoint_keys is not None
                and num_checkpoint_keys - len(unexpected) - len(shapes) <= 0):
            raise ModelLoadError(
                f"weights {weights} initialise none of the model's parameters (HANDS."
                "PARTIAL_WEIGHTS is set, but not one name and shape matches). Is it a "
                "checkpoint of this config's backbone?")
        logger.info("Partial load (HANDS.PARTIAL_WEIGHTS) from %s: %d model parameters left at "
                    "their initialisation, %d checkpoint entries unused", weights, len(missing),
                    len(unexpected))
        return
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
                             + ". Is it a checkpoint of this config's architecture? (An "
                             "intended partial initialisation says HANDS.PARTIAL_WEIGHTS True.)")


def load_checked(checkpointer, weights: str, checkpointables=None, partial: bool = False):
    """Load ``weights`` with a detectron2 checkpointer and refuse a load that does not fit.

    Args:
        checkpointer: A ``DetectionCheckpointer`` of the model (and, for resuming, the
            trainer's state).
        weights: A checkpoint file or a URL detectron2 can fetch.
        checkpointables: Passed to ``Checkpointer.load`` (``[]``: the model only).
        partial: See :func:`check_incompatible`.

    Returns:
        What ``Checkpointer.load`` returns (the checkpoint's remaining entries).

    Raises:
        ModelLoadError: If the file is missing or unreadable or does not fit the model.

    """
    if "://" not in weights and not os.path.isfile(weights):
        raise ModelLoadError(f"weights file {weights} does not exist")
    captured = {}
    load_model_entries = checkpointer._load_model

    def capture(checkpoint):
        captured["entries"] = len(checkpoint.get("model", {}))
        captured["incompatible"] = load_model_entries(checkpoint)
        return captured["incompatible"]

    checkpointer._load_model = capture  # detectron2 only logs the incompatible keys
    try:
        extra = checkpointer.load(weights, checkpointables=checkpointables)
    except Exception as exc:  # noqa: BLE001 - torch/pickle raise many types for bad files
        reason = (str(exc).strip().splitlines() or [""])[0][:200]  # torch's can be a page long
        raise ModelLoadError(
            f"cannot load weights {weights}: {type(exc).__name__}: {reason}") from None
    finally:
        del checkpointer._load_model
    check_incompatible(captured.get("incompatible"), weights, partial, captured.get("entries"))
    return extra


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
    if str(cfg.MODEL.DEVICE).startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(
            f"MODEL.DEVICE is {cfg.MODEL.DEVICE} but no CUDA GPU is available; add "
            "'MODEL.DEVICE cpu' to run on the CPU")
    if "://" not in weights and not os.path.isfile(weights):
        raise ModelLoadError(f"weights file {weights} does not exist")
    model = build_model(cfg)
    load_checked(DetectionCheckpointer(model), weights)
    model.eval()
    return model
