"""Dataset layer: the hands COCO format, replication, subsets, real-photo conversion.

Reading and validating a COCO file needs no torch::

    from d2hands.data import load_coco
    dataset = load_coco("annotations.json", "images/")

The detectron2 parts (``load_hands_coco``, ``register_hands_dataset``, the training loader)
are imported on first use.
"""

from ..lazy import lazy_getattr
from .coco_format import HandsCoco, ImageInfo, load_coco, read_coco_json
from .errors import DatasetError
from .subsets import split_into_subsets

# Loaded lazily so that reading a dataset does not import torch and detectron2.
_DETECTRON2_EXPORTS = {
    "build_replicated_train_loader": ".replication",
    "load_hands_coco": ".coco_hands",
    "register_datasets_from_cfg": ".registration",
    "register_hands_dataset": ".coco_hands",
    "train_dicts_with_factors": ".replication",
    "uses_rle": ".coco_hands",
}

__getattr__ = lazy_getattr(__name__, _DETECTRON2_EXPORTS)


__all__ = [
    "DatasetError",
    "HandsCoco",
    "ImageInfo",
    "build_replicated_train_loader",
    "load_coco",
    "load_hands_coco",
    "read_coco_json",
    "register_datasets_from_cfg",
    "register_hands_dataset",
    "split_into_subsets",
    "train_dicts_with_factors",
    "uses_rle",
]
