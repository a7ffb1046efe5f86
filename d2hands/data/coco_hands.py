"""Hands COCO datasets as detectron2 dicts (on top of ``coco_format``), registered by name."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.structures import BoxMode

from .coco_format import load_coco
from .image_io import use_in_detectron2

use_in_detectron2()  # 16-bit, CMYK, EXIF: every detectron2 loader reads like OpenCV

logger = logging.getLogger(__name__)

# Per-image keys that renders carry (structure name, 28 pose values) and that pass through.
_PASSTHROUGH_IMAGE_KEYS = ("structure", "pose")


def load_hands_coco(json_path: str | Path, image_root: str | Path,
                    dataset_name: str | None = None) -> list[dict]:
    """Read, validate and convert a COCO hand dataset to detectron2's dataset dicts.

    Args:
        json_path: the COCO instances file (one category, ``hand``).
        image_root: folder the images' ``file_name`` entries are relative to.
        dataset_name: if given, its metadata gets the category id mapping.

    Returns:
        One dict per image with ``file_name``, ``height``, ``width``, ``image_id`` and
        ``annotations`` (``bbox`` in XYWH_ABS, ``category_id`` 0, ``segmentation`` as compressed
        RLE or polygons); rendered images also keep ``structure`` and ``pose``.

    Raises:
        DatasetError: for any invalid input, naming the first offending files or entries.

    """
    json_path, image_root = Path(json_path), Path(image_root)
    stat = json_path.stat() if json_path.exists() else None
    key = (str(json_path.resolve()), str(image_root.resolve()),
           stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)
    records = _load_cached(key)
    if dataset_name is not None:
        meta = MetadataCatalog.get(dataset_name)
        meta.set(thing_dataset_id_to_contiguous_id={records.category_id: 0})
    return [dict(r, annotations=[dict(a) for a in r["annotations"]]) for r in records]


class _Records(list):
    """Dataset dicts plus the dataset's category id."""

    category_id: int


@functools.lru_cache(maxsize=16)
def _load_cached(key: tuple) -> _Records:
    json_path, image_root = Path(key[0]), Path(key[1])
    data = load_coco(json_path, image_root, one_category=True)
    records = _Records()
    records.category_id = data.category_ids[0]
    by_image: dict = {image_id: [] for image_id in data.images}
    for ann in data.dataset["annotations"]:
        by_image[ann["image_id"]].append({
            "bbox": [float(v) for v in ann["bbox"]],
            "bbox_mode": BoxMode.XYWH_ABS,
            "category_id": 0,
            "segmentation": ann["segmentation"],
            "iscrowd": ann["iscrowd"],
        })
    for img in data.dataset["images"]:
        record = {
            "file_name": str(data.paths[img["id"]]),
            "height": img["height"],
            "width": img["width"],
            "image_id": img["id"],
            "annotations": by_image[img["id"]],
        }
        record.update({k: img[k] for k in _PASSTHROUGH_IMAGE_KEYS if k in img})
        records.append(record)
    logger.info("Loaded %d images, %d hands from %s", len(records),
                sum(len(r["annotations"]) for r in records), json_path)
    return records


def uses_rle(records: list[dict]) -> bool:
    """Tell whether any annotation of a dataset stores its mask as RLE (needs ``bitmask``)."""
    return any(isinstance(a["segmentation"], dict) for r in records for a in r["annotations"])


def register_hands_dataset(name: str, json_path: str | Path, image_root: str | Path) -> None:
    """Register a COCO hand dataset under ``name`` (idempotent; re-registers on new paths).

    Relative paths resolve against the current working directory at registration.
    """
    json_path, image_root = Path(json_path).resolve(), Path(image_root).resolve()
    if name in DatasetCatalog.list():
        meta = MetadataCatalog.get(name)
        if meta.get("json_file") == str(json_path) and meta.get("image_root") == str(image_root):
            return
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)
    DatasetCatalog.register(name, functools.partial(load_hands_coco, json_path, image_root, name))
    MetadataCatalog.get(name).set(
        thing_classes=["hand"], json_file=str(json_path), image_root=str(image_root),
        evaluator_type="coco",
    )
