"""One way to load a trained model: build it from the config, load a checkpoint, refuse misfits."""

from __future__ import annotations

import logging
import os
import re

import torch
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.modeling import build_model

from ..errors import ConfigError, ModelLoadError, UnsafeFileError
from .contained import SuppressContained, contained_fraction
from .safe_checkpoint import read_checkpoint

MAX_NAMED = 3
logger = logging.getLogger(__name__)


def _named(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_NAMED])
    return shown + (f", ... ({len(keys) - MAX_NAMED} more)" if len(keys) > MAX_NAMED else "")


def check_incompatible(incompatible, weights: str, partial: bool = False,
                       num_checkpoint_keys: int | None = None,
                       required: list[str] | None = None, must_load: str = "") -> None:
    """Refuse a load that left parameters of the model unset or ignored checkpoint entries.

    Args:
        incompatible: What detectron2's ``Checkpointer._load_model`` returned (missing keys,
            unexpected keys, shape mismatches), or None.
        weights: The checkpoint, for the message.
        partial: The config says the weights initialise part of the model
            (``HANDS.PARTIAL_WEIGHTS``, e.g. an ImageNet backbone): missing and unexpected
            parameters are expected, but every parameter in ``required`` must load.
        num_checkpoint_keys: Number of model entries in the checkpoint (for ``partial``).
        required: The model's parameters a partial load must set (those matching
            ``HANDS.PARTIAL_WEIGHTS_MUST_LOAD``).
        must_load: The pattern ``required`` came from, for the message.

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
        if required is not None:
            _check_required(weights, required, set(missing), must_load)
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


def _check_required(weights: str, required: list[str], missing: set[str], must_load: str):
    if not required:
        raise ModelLoadError(f"HANDS.PARTIAL_WEIGHTS_MUST_LOAD {must_load!r} matches none of the "
                             "model's parameters; name the part the weights initialise (e.g. "
                             r"'^backbone\.bottom_up\.' for the backbone's body)")
    left = [k for k in required if k in missing]
    if left:
        raise ModelLoadError(
            f"weights {weights} leave {len(left)} of the {len(required)} parameters that HANDS."
            f"PARTIAL_WEIGHTS_MUST_LOAD ({must_load!r}) requires unset or of another shape "
            f"({_named(left)}). Is it a checkpoint of this config's backbone (its "
            "architecture and width)?")


def load_checked(checkpointer, weights: str, checkpointables=None, partial: bool = False,
                 must_load: str = "", complete=None):
    """Load ``weights`` with a detectron2 checkpointer and refuse a load that does not fit.

    Args:
        checkpointer: A ``DetectionCheckpointer`` of the model (and, for resuming, the
            trainer's state).
        weights: A checkpoint file or a URL detectron2 can fetch.
        checkpointables: Passed to ``Checkpointer.load`` (``[]``: the model only).
        partial: See :func:`check_incompatible`.
        must_load: With ``partial``, a regex of the model's parameter names that must all load
            (``HANDS.PARTIAL_WEIGHTS_MUST_LOAD``); empty: no such requirement.
        complete: A function given the checkpoint dict as read, returning it completed (a
            resume fills in the optimizer state that a finished run dropped).

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
    # detectron2's own _load_file would pickle.load a .pkl.
    checkpointer._load_file = (read_checkpoint if complete is None
                               else lambda path: complete(read_checkpoint(path)))
    try:
        extra = checkpointer.load(weights, checkpointables=checkpointables)
    except (ModelLoadError, UnsafeFileError):
        raise
    except Exception as exc:  # noqa: BLE001 - torch/pickle raise many types for bad files
        reason = (str(exc).strip().splitlines() or [""])[0][:200]  # torch's can be a page long
        raise ModelLoadError(
            f"cannot load weights {weights}: {type(exc).__name__}: {reason}") from None
    finally:
        del checkpointer._load_model, checkpointer._load_file
    required = None
    if partial and must_load:
        pattern = re.compile(must_load)
        required = [k for k in checkpointer.model.state_dict() if pattern.search(k)]
    check_incompatible(captured.get("incompatible"), weights, partial, captured.get("entries"),
                       required, must_load)
    return extra


def load_model(cfg, weights: str | os.PathLike, postprocess: bool = True):
    """Build the model of ``cfg`` and load trained weights, refusing partial loads.

    Every tool that runs a trained model (evaluation, video, ``train_net --eval-only``, the
    chain's session selection) loads it here.

    Args:
        cfg: The model's config.
        weights: A checkpoint file (``.pth`` or detectron2 ``.pkl``) or a URL detectron2 can
            fetch.
        postprocess: Wrap the network in what the config asks for at test time
            (``HANDS.FLIP_TTA``, ``HANDS.SUPPRESS_CONTAINED``); False: the plain network
            (an export, whose runtime does the rest).

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
    if not postprocess:
        return model
    fraction = contained_fraction(cfg)
    if cfg.HANDS.get("FLIP_TTA", False):
        model = with_flip_tta(cfg, model)
    return SuppressContained(model, fraction).eval() if fraction > 0 else model


def with_flip_tta(cfg, model):
    """``model`` wrapped in detectron2's test-time augmentation: test size plus its mirror.

    Raises:
        ConfigError: For a model without ROI heads (the semantic models).

    """
    from detectron2.modeling import GeneralizedRCNNWithTTA

    if not hasattr(model, "roi_heads"):
        raise ConfigError("HANDS.FLIP_TTA works for Mask R-CNN models only")
    tta = cfg.clone()
    tta.defrost()
    tta.TEST.AUG.ENABLED, tta.TEST.AUG.FLIP = True, True
    tta.TEST.AUG.MIN_SIZES = (cfg.INPUT.MIN_SIZE_TEST,)
    tta.TEST.AUG.MAX_SIZE = cfg.INPUT.MAX_SIZE_TEST
    wrapped = GeneralizedRCNNWithTTA(tta, model, batch_size=2)
    wrapped.eval()
    return wrapped
