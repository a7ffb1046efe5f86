"""Register the datasets a config declares, so every tool and worker sees the same names.

Registering reads nothing: a dataset is read and validated when a loader first asks for it.
"""

from __future__ import annotations

import logging

from detectron2.data import DatasetCatalog

from ..errors import ConfigError
from .coco_hands import register_hands_dataset

logger = logging.getLogger(__name__)


def register_datasets_from_cfg(cfg) -> None:
    """Register every ``[name, json, image_root]`` entry of ``cfg.DATASETS.REGISTER``.

    Raises:
        ValueError: for a malformed entry, or a name in TRAIN/TEST that nothing registered.

    """
    for entry in cfg.DATASETS.REGISTER:
        if len(entry) != 3:
            raise ConfigError("DATASETS.REGISTER entries are [name, annotations.json, image_root], "
                             f"got {list(entry)!r}")
        register_hands_dataset(*entry)
    known = set(DatasetCatalog.list())
    for key in ("TRAIN", "TEST"):
        unknown = [name for name in cfg.DATASETS.get(key) if name not in known]
        if unknown:
            raise ConfigError(f"DATASETS.{key} names {unknown}, which are not registered: add them "
                             "to DATASETS.REGISTER as [name, annotations.json, image_root]")

