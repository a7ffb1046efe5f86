"""Write a trained model as files a user can ship: a self-contained config + slim weights."""

from __future__ import annotations

import io
from pathlib import Path

import torch

from ..engine.setup import build_cfg
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
