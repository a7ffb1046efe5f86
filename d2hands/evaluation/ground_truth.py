"""Loading and validating a COCO ground-truth JSON for hand evaluation."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from .errors import GroundTruthError
from .rle import segmentation_to_rle


@dataclass(frozen=True)
class ImageInfo:
    """One ground-truth image."""

    id: Any
    file_name: str
    height: int
    width: int


@dataclass
class GroundTruth:
    """A validated COCO ground truth.

    Attributes:
        dataset: The COCO dataset dict (a copy; missing ``id``, ``iscrowd``, ``area`` and
            ``bbox`` fields of annotations filled in), as pycocotools' COCO expects it.
        images: Images by id, in the order of the JSON.
        hands: Compressed RLEs of the hands (annotations with ``iscrowd`` 0, any category) by
            image id; every image has an entry.
        category_ids: The ids of the categories.
        source: Path of the JSON, if loaded from a file.

    """

    dataset: dict
    images: dict[Any, ImageInfo]
    hands: dict[Any, list[dict]]
    category_ids: list
    source: str | None = None
    _coco: COCO | None = field(default=None, repr=False)

    def coco(self) -> COCO:
        """Return a pycocotools COCO object for ``dataset`` (built once, quietly)."""
        if self._coco is None:
            coco = COCO()
            coco.dataset = self.dataset
            with contextlib.redirect_stdout(io.StringIO()):
                coco.createIndex()
            self._coco = coco
        return self._coco


def _is_int(x: object) -> bool:
    return isinstance(x, Integral) and not isinstance(x, bool)


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise GroundTruthError(
            f"ground truth {path} is not valid JSON: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GroundTruthError(f"cannot read ground truth {path}: {exc}") from None


def _images(data: dict, where: str) -> dict[Any, ImageInfo]:
    images: dict[Any, ImageInfo] = {}
    for k, img in enumerate(data["images"]):
        if not isinstance(img, dict):
            raise GroundTruthError(f"{where}: images[{k}] is not an object")
        if "id" not in img:
            raise GroundTruthError(f"{where}: images[{k}] has no 'id'")
        h, w = img.get("height"), img.get("width")
        if not (_is_int(h) and _is_int(w) and h > 0 and w > 0):
            raise GroundTruthError(
                f"{where}: images[{k}] (id {img['id']!r}) needs positive integer 'height' and "
                f"'width', got {h!r} and {w!r}"
            )
        if img["id"] in images:
            raise GroundTruthError(f"{where}: images[{k}] repeats image id {img['id']!r}")
        name = img.get("file_name")
        images[img["id"]] = ImageInfo(img["id"], str(name if name else img["id"]), h, w)
    return images


def _annotation(ann: Any, k: int, images: dict, cats: set, where: str) -> tuple[dict, dict]:
    if not isinstance(ann, dict):
        raise GroundTruthError(f"{where}: annotations[{k}] is not an object")
    ref = f"{where}: annotations[{k}] (id {ann.get('id')!r}, image_id {ann.get('image_id')!r})"
    for key in ("image_id", "category_id", "segmentation"):
        if key not in ann:
            raise GroundTruthError(f"{ref} has no {key!r}; hand evaluation needs masks")
    img = images.get(ann["image_id"])
    if img is None:
        raise GroundTruthError(f"{ref}: image_id is not in 'images'")
    if ann["category_id"] not in cats:
        raise GroundTruthError(f"{ref}: category_id {ann['category_id']!r} is not in 'categories'")
    try:
        rle = segmentation_to_rle(ann["segmentation"], img.height, img.width)
    except ValueError as exc:
        raise GroundTruthError(f"{ref}: {exc}") from None
    out = dict(ann)
    out["iscrowd"] = int(bool(ann.get("iscrowd", 0)))
    if "area" not in ann:
        out["area"] = float(mask_utils.area(rle))
    elif not (isinstance(ann["area"], Real) and math.isfinite(ann["area"])):
        raise GroundTruthError(f"{ref}: 'area' is not a finite number")
    if "bbox" not in ann:
        out["bbox"] = [float(v) for v in mask_utils.toBbox(rle)]
    return out, rle


def load_ground_truth(gt: str | os.PathLike | dict | COCO | GroundTruth) -> GroundTruth:
    """Load and validate a COCO ground truth for hand evaluation.

    Every annotation must have a mask (polygons or RLE at the image's size). Annotations with
    ``iscrowd`` 1 take part in COCO AP (as pycocotools treats them) but are not hands for the
    hand and pixel metrics. Missing ``id``, ``iscrowd`` (0), ``area`` and ``bbox`` (from the
    mask) are filled in. The input dict is not modified.

    Args:
        gt: Path to a COCO JSON, the parsed dict, a pycocotools ``COCO`` or a ``GroundTruth``
            (returned as is).

    Returns:
        The validated ground truth.

    Raises:
        GroundTruthError: If the file cannot be read or an entry is invalid (the message names
            the entry).

    """
    if isinstance(gt, GroundTruth):
        return gt
    source = None
    if isinstance(gt, (str, os.PathLike)):
        source = os.fspath(gt)
        data = _read_json(source)
    elif isinstance(gt, COCO):
        data = gt.dataset
    else:
        data = gt
    where = f"ground truth {source}" if source else "ground truth"
    if not isinstance(data, dict):
        raise GroundTruthError(f"{where} is not a COCO object with 'images' and 'annotations'")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise GroundTruthError(f"{where} has no {key!r} list")
    if not data["images"]:
        raise GroundTruthError(f"{where} has no images: nothing to evaluate")
    if not data["categories"]:
        raise GroundTruthError(f"{where} has no categories")
    images = _images(data, where)
    cats = [c.get("id") if isinstance(c, dict) else None for c in data["categories"]]
    if None in cats:
        raise GroundTruthError(f"{where}: every entry of 'categories' needs an 'id'")
    cat_set = set(cats)
    hands: dict[Any, list[dict]] = {i: [] for i in images}
    anns = []
    used_ids = {a["id"] for a in data["annotations"] if isinstance(a, dict) and "id" in a}
    next_id = max([i for i in used_ids if _is_int(i)], default=0) + 1
    for k, ann in enumerate(data["annotations"]):
        out, rle = _annotation(ann, k, images, cat_set, where)
        if "id" not in out:
            out["id"], next_id = next_id, next_id + 1
        anns.append(out)
        if not out["iscrowd"]:
            hands[out["image_id"]].append(rle)
    if len({a["id"] for a in anns}) != len(anns):
        raise GroundTruthError(f"{where}: annotation ids are not unique")
    dataset = dict(data)
    dataset["annotations"] = anns
    dataset["images"] = [dict(i) for i in data["images"]]
    dataset["categories"] = [dict(c) for c in data["categories"]]
    return GroundTruth(dataset, images, hands, cats, source)
