"""Write a trained model as files a user can ship: slim weights + config, ONNX or TorchScript."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from ..data.image_io import read_image
from ..engine.setup import build_cfg
from ..errors import UsageError
from ..io_utils import write_bytes_atomic
from ..modeling.safe_checkpoint import read_checkpoint


def standalone_config(config_file: str, opts: list[str]) -> str:
    """The full config of a model as YAML that needs no other file (no ``_BASE_``, no data).

    Datasets, weights and the output folder are cleared: the file describes the model and how
    it reads images, nothing of where it was trained.
    """
    cfg = build_cfg(config_file, opts, freeze=False)
    cfg.DATASETS.REGISTER, cfg.DATASETS.TRAIN, cfg.DATASETS.TEST = [], (), ()
    cfg.DATASETS.REPLICATION = []
    cfg.HANDS.SUBSET, cfg.HANDS.SUBSET_DATASET = [], ""
    cfg.HANDS.COMPOSITE.DATASETS = []
    cfg.HANDS.PARTIAL_WEIGHTS = False
    cfg.MODEL.WEIGHTS, cfg.OUTPUT_DIR = "", ""
    return cfg.dump()


def slim_weights(weights: str, half: bool = False) -> bytes:
    """The model entries of a checkpoint only (optionally float16), as ``torch.save`` bytes."""
    model = read_checkpoint(weights)["model"]
    state = {}
    for name, value in model.items():
        tensor = torch.as_tensor(value)
        if half and tensor.is_floating_point():
            tensor = tensor.half()
        state[name] = tensor.contiguous()
    buffer = io.BytesIO()
    torch.save({"model": state, "__author__": "d2hands"}, buffer)
    return buffer.getvalue()


def export_slim(config_file: str, opts: list[str], weights: str, output: Path,
                half: bool = False) -> tuple[Path, Path]:
    """Write ``output`` (weights) and ``output`` with ``.yaml`` (its standalone config).

    Returns:
        The two paths written.

    """
    config_path = output.with_suffix(".yaml")
    text = standalone_config(config_file, opts)
    data = slim_weights(weights, half)
    write_bytes_atomic(config_path, text.encode("utf-8"))
    write_bytes_atomic(output, data)
    return output, config_path


def tracing_sample(path: Path | None) -> np.ndarray:
    """The image to trace with: ``path``, or a fixed noise image (any content traces alike)."""
    if path is not None:
        return read_image(path, "BGR")
    return np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)


def export_model(config_file: str, opts: list[str], weights: str, output: Path, fmt: str,
                 half: bool = False, sample: Path | None = None,
                 score_floor: float | None = None) -> tuple[Path, ...]:
    """Export in ``fmt`` (``slim``, ``onnx``, ``torchscript``); returns the paths written.

    Args:
        config_file: the model's config.
        opts: ``KEY VALUE`` overrides.
        weights: its checkpoint.
        output: the file to write (``.pth``, ``.onnx``, ``.ts``).
        fmt: ``slim``, ``onnx`` or ``torchscript``.
        half: slim: float16 weights.
        sample: graph formats: an image to trace with (default: a fixed noise image).
        score_floor: ONNX/TorchScript Mask R-CNN: the lowest score the exported graph keeps
            (default: the model's ``HANDS.SCORE_THRESH``). Boxes under it get no mask, which
            is most of the graph's work; the hands above it are exactly the PyTorch model's.

    """
    if fmt == "slim":
        return export_slim(config_file, opts, weights, output, half)
    from ..config import score_threshold
    from .export_graph import export_graph

    cfg = build_cfg(config_file, opts, freeze=False)
    cfg.MODEL.DEVICE = "cpu"
    cfg.HANDS.FLIP_TTA = False  # an exported graph is the plain network
    floor = score_threshold(cfg) if score_floor is None else float(score_floor)
    if not 0.0 <= floor <= 1.0:
        raise UsageError(f"--score-thresh must be in [0, 1], got {floor}")
    if cfg.MODEL.META_ARCHITECTURE != "HandsSemanticSegmentor":
        cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = max(cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST,
                                                    floor)
    cfg.freeze()
    export_graph(cfg, weights, output, fmt, tracing_sample(sample))
    return (output,)
