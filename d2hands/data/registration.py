"""Register the datasets a config declares, so every tool and worker sees the same names."""

from __future__ import annotations

import logging

from detectron2.data import DatasetCatalog

from .coco_hands import register_hands_dataset, uses_rle

logger = logging.getLogger(__name__)


def register_datasets_from_cfg(cfg) -> None:
    """Register every ``[name, json, image_root]`` entry of ``cfg.DATASETS.REGISTER``.

    Raises:
        ValueError: for a malformed entry, or a name in TRAIN/TEST that nothing registered.

    """
    for entry in cfg.DATASETS.REGISTER:
        if len(entry) != 3:
            raise ValueError("DATASETS.REGISTER entries are [name, annotations.json, image_root], "
                             f"got {list(entry)!r}")
        register_hands_dataset(*entry)
    known = set(DatasetCatalog.list())
    for key in ("TRAIN", "TEST"):
        unknown = [name for name in cfg.DATASETS.get(key) if name not in known]
        if unknown:
            raise ValueError(f"DATASETS.{key} names {unknown}, which are not registered: add them "
                             "to DATASETS.REGISTER as [name, annotations.json, image_root]")


def choose_mask_format(cfg) -> str:
    """Return ``bitmask`` if any training or test set stores RLE masks, else the config's value.

    Loading the sets here also validates them before any model is built.
    """
    for name in list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST):
        if uses_rle(DatasetCatalog.get(name)):
            return "bitmask"
    return cfg.INPUT.MASK_FORMAT
