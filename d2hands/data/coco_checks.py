"""Checks of the entries of a hands COCO file: images, categories, annotations (torch-free)."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from pycocotools import mask as mask_utils

from .errors import ProblemList
from .rle import segmentation_to_rle

# Boxes and polygons may overshoot the image by rounding; more than this is an error.
EDGE_TOLERANCE = 1.0
# Larger than any camera's frame; a mask of a larger image would not fit in memory.
MAX_SIDE = 32768
MAX_PIXELS = 2**28


def is_int(value: object) -> bool:
    """Tell whether ``value`` is an integer (and not a bool)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def image_problem(img: Any) -> str | None:
    """Return what is wrong with one ``images`` entry (ids are checked by the caller), or None."""
    if not isinstance(img, dict):
        return "image entry is not an object"
    if "id" not in img:
        return "image entry has no 'id'"
    if not is_int(img["id"]):
        return f"image 'id' must be an integer, got {type(img['id']).__name__} {img['id']!r:.40}"
    height, width = img.get("height"), img.get("width")
    if not (is_int(height) and is_int(width) and height > 0 and width > 0):
        return (f"image needs positive integer 'height' and 'width', got {height!r:.40} and "
                f"{width!r:.40}")
    if height > MAX_SIDE or width > MAX_SIDE or height * width > MAX_PIXELS:
        return (f"image of {width}x{height} pixels is larger than d2hands reads (sides up to "
                f"{MAX_SIDE}, {MAX_PIXELS // 2**20} megapixels)")
    return None


def category_ids(categories: list, one_category: bool, problems: ProblemList) -> set:
    """Return the category ids, recording entries without one (and, if asked, not exactly one)."""
    ids = []
    for index, cat in enumerate(categories):
        if not isinstance(cat, dict) or "id" not in cat:
            problems.add("category without an 'id'", f"categories[{index}]")
        elif not is_int(cat["id"]):
            problems.add("category 'id' must be an integer", f"categories[{index}]")
        else:
            ids.append(cat["id"])
    if not ids and not problems.items:
        problems.add("no categories", "'categories' is empty")
    if one_category and len(set(ids)) > 1:
        names = [c.get("name") for c in categories if isinstance(c, dict)]
        problems.add("expected exactly one category ('hand')", f"found {names}")
    return set(ids)


def _polygon_outside(segm: list, width: int, height: int) -> bool:
    for poly in segm:
        xs, ys = poly[0::2], poly[1::2]
        if (min(xs) < -EDGE_TOLERANCE or min(ys) < -EDGE_TOLERANCE
                or max(xs) > width + EDGE_TOLERANCE or max(ys) > height + EDGE_TOLERANCE):
            return True
    return False


def bbox_problem(bbox: Any, width: int, height: int) -> str | None:
    """Return what is wrong with one ``[x, y, w, h]`` box, or None."""
    if not (isinstance(bbox, list) and len(bbox) == 4
            and all(isinstance(v, Real) and math.isfinite(v) for v in bbox)):
        return "bbox is not [x, y, w, h] (four finite numbers)"
    x, y, w, h = (float(v) for v in bbox)
    if w <= 0 or h <= 0:
        return "empty bbox"
    if (x < -EDGE_TOLERANCE or y < -EDGE_TOLERANCE
            or x + w > width + EDGE_TOLERANCE or y + h > height + EDGE_TOLERANCE):
        return "annotation outside the image (bbox)"
    return None


def annotation_mask(ann: dict, height: int, width: int) -> tuple[dict | None, str | None]:
    """Validate an annotation's segmentation (and bbox, area) against its image's size.

    Returns:
        ``(compressed_rle, None)``, or ``(None, problem)``.

    """
    segm = ann["segmentation"]
    try:
        rle = segmentation_to_rle(segm, height, width)
    except ValueError as exc:
        return None, str(exc)
    if isinstance(segm, list) and _polygon_outside(segm, width, height):
        return None, "annotation outside the image (polygon)"
    if float(mask_utils.area(rle)) <= 0:
        return None, "empty mask"
    if "bbox" in ann:
        problem = bbox_problem(ann["bbox"], width, height)
        if problem:
            return None, problem
    problem = area_problem(ann, height, width) or iscrowd_problem(ann)
    if problem:
        return None, problem
    return rle, None


def area_problem(ann: dict, height: int, width: int) -> str | None:
    """What is wrong with an annotation's ``area`` (optional; COCO AP divides by it), or None."""
    if "area" not in ann:
        return None
    area = ann["area"]
    if not (isinstance(area, Real) and not isinstance(area, bool) and math.isfinite(area)):
        return f"'area' is not a finite number, got {area!r:.40}"
    if area <= 0:
        return f"'area' must be > 0, got {area!r}"
    if area > height * width * (1 + 1e-6) + 1:
        return f"'area' {area!r} is larger than the image ({width}x{height})"
    return None


def iscrowd_problem(ann: dict) -> str | None:
    """What is wrong with an annotation's ``iscrowd`` (optional, 0 or 1), or None."""
    value = ann.get("iscrowd", 0)
    if not (is_int(value) and value in (0, 1)):
        return f"'iscrowd' must be 0 or 1, got {value!r:.40}"
    return None


def id_problem(ann: dict) -> str | None:
    """What is wrong with an annotation's ids (``id`` optional, ``image_id``, ``category_id``)."""
    for key in ("id", "image_id", "category_id"):
        if key in ann and not is_int(ann[key]):
            return f"annotation {key!r} must be an integer, got {ann[key]!r:.40}"
    return None
