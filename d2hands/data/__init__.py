"""Dataset layer: validated COCO hand datasets, replication, subsets, real-photo conversion."""

from .coco_hands import load_hands_coco, register_hands_dataset, uses_rle
from .errors import DatasetError
from .registration import register_datasets_from_cfg
from .replication import build_replicated_train_loader, train_dicts_with_factors
from .subsets import split_into_subsets

__all__ = [
    "DatasetError",
    "build_replicated_train_loader",
    "load_hands_coco",
    "register_datasets_from_cfg",
    "register_hands_dataset",
    "split_into_subsets",
    "train_dicts_with_factors",
    "uses_rle",
]
