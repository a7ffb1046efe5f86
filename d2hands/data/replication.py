"""Per-dataset replication (the paper copies real images 5-10x) as sampler repeat factors."""

from __future__ import annotations

import logging

import torch
from detectron2.data import DatasetCatalog, build_detection_train_loader
from detectron2.data.build import filter_images_with_only_crowd_annotations
from detectron2.data.samplers import RepeatFactorTrainingSampler

from ..errors import ConfigError
from .compositing.settings import composited_datasets
from .subsets import split_into_subsets
from .train_mapper import build_train_mapper

logger = logging.getLogger(__name__)


def replication_map(cfg) -> dict[str, float]:
    """Return ``{dataset name: factor}`` from ``cfg.DATASETS.REPLICATION`` (validated)."""
    factors: dict[str, float] = {}
    for entry in cfg.DATASETS.REPLICATION:
        if len(entry) != 2:
            raise ConfigError(f"DATASETS.REPLICATION entries are [name, factor], got {entry!r}")
        name, factor = entry[0], float(entry[1])
        if factor <= 0:
            raise ConfigError(f"replication factor of {name!r} must be positive, got {factor}")
        if name not in cfg.DATASETS.TRAIN:
            raise ConfigError(f"DATASETS.REPLICATION names {name!r}, which is not in "
                              f"DATASETS.TRAIN {list(cfg.DATASETS.TRAIN)}")
        factors[name] = factor
    return factors


def subset_spec(cfg) -> tuple[str, int, int, int] | None:
    """Return ``(dataset, index, count, seed)`` from ``cfg.HANDS.SUBSET``, or None if unset."""
    if not cfg.HANDS.SUBSET:
        return None
    if len(cfg.HANDS.SUBSET) != 3:
        raise ConfigError(f"HANDS.SUBSET is [index, count, seed], got {list(cfg.HANDS.SUBSET)!r}")
    index, count, seed = (int(v) for v in cfg.HANDS.SUBSET)
    name = cfg.HANDS.SUBSET_DATASET or cfg.DATASETS.TRAIN[0]
    if name not in cfg.DATASETS.TRAIN:
        raise ConfigError(f"HANDS.SUBSET_DATASET {name!r} is not in DATASETS.TRAIN")
    if not 0 <= index < count:
        raise ConfigError(f"HANDS.SUBSET index {index} is outside 0..{count - 1}")
    return name, index, count, seed


def train_dicts_with_factors(cfg) -> tuple[list[dict], torch.Tensor]:
    """Concatenate the training datasets and give every image its dataset's repeat factor.

    Images without annotations are dropped if ``DATALOADER.FILTER_EMPTY_ANNOTATIONS`` is set,
    except in the sets that ``HANDS.COMPOSITE`` composites (their images get hands pasted or are
    negatives on purpose).

    Returns:
        The dataset dicts (each tagged with ``dataset_name``) and a float tensor of factors.

    """
    factors = replication_map(cfg)
    subset = subset_spec(cfg)
    composited = composited_datasets(cfg)
    dicts: list[dict] = []
    repeat: list[float] = []
    for name in cfg.DATASETS.TRAIN:
        records = DatasetCatalog.get(name)
        if subset and subset[0] == name:
            part = split_into_subsets(len(records), subset[2], subset[3])[subset[1]]
            records = [records[i] for i in part]
        if cfg.DATALOADER.FILTER_EMPTY_ANNOTATIONS and name not in composited:
            records = filter_images_with_only_crowd_annotations(records)
        if not records:
            raise ConfigError(f"training dataset {name!r} has no usable images")
        for record in records:
            record["dataset_name"] = name
        dicts.extend(records)
        repeat.extend([factors.get(name, 1.0)] * len(records))
        logger.info("train set %s: %d images, replication %.2f", name, len(records),
                    factors.get(name, 1.0))
    return dicts, torch.tensor(repeat, dtype=torch.float32)


def build_replicated_train_loader(cfg, mapper=None):
    """Build detectron2's training loader over all training sets with the replication sampler.

    Without a ``mapper``, :class:`~d2hands.data.train_mapper.HandsTrainMapper` is used:
    detectron2's ``DatasetMapper`` with ``HANDS.COMPOSITE`` compositing and
    ``HANDS.SCALE_JITTER``; its mask format becomes ``bitmask`` when any training annotation
    stores an RLE mask (polygons are rasterised either way), so ``INPUT.MASK_FORMAT`` never has
    to be set by hand.
    """
    dicts, factors = train_dicts_with_factors(cfg)
    if mapper is None:
        mapper = build_train_mapper(cfg, dicts, factors.tolist())
    sampler = RepeatFactorTrainingSampler(factors, shuffle=True, seed=cfg.SEED if cfg.SEED >= 0
                                          else None)
    return build_detection_train_loader(cfg, dataset=dicts, sampler=sampler, mapper=mapper)
