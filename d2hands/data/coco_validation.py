"""Validation of a COCO instances file for hand segmentation, before anything uses it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pycocotools import mask as mask_utils

from .errors import DatasetError, ProblemList
from .image_checks import probe_images, resolve_inside

# Boxes and polygons may overshoot the image by rounding; more than this is an error.
EDGE_TOLERANCE = 1.0


def read_coco_json(json_path: Path) -> dict[str, Any]:
    """Parse a COCO JSON file, raising :class:`DatasetError` for unreadable or invalid files."""
    source = str(json_path)
    try:
        with open(json_path, encoding="utf-8") as handle:
            coco = json.load(handle)
    except FileNotFoundError:
        raise DatasetError(source, [("file not found", source)]) from None
    except json.JSONDecodeError as exc:
        raise DatasetError(source, [("invalid JSON", f"{exc.msg} at line {exc.lineno}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(source, [("unreadable file", str(exc))]) from None
    if not isinstance(coco, dict):
        raise DatasetError(source, [("invalid COCO file", "top level is not an object")])
    missing = [key for key in ("images", "annotations", "categories") if key not in coco]
    if missing:
        raise DatasetError(source, [("invalid COCO file", f"missing key '{k}'") for k in missing])
    return coco


def _segmentation_problem(segm: Any, width: int, height: int) -> str | None:
    """Return what is wrong with one segmentation, or None."""
    if isinstance(segm, dict):
        if "size" not in segm or "counts" not in segm:
            return "malformed RLE (needs 'size' and 'counts')"
        if list(segm["size"]) != [height, width]:
            return f"mask/image size mismatch (mask {segm['size'][1]}x{segm['size'][0]}, " \
                   f"image {width}x{height})"
        try:
            rle = mask_utils.frPyObjects(segm, height, width) if isinstance(
                segm["counts"], list) else segm
            area = float(mask_utils.area(rle))
        except Exception:  # noqa: BLE001 - pycocotools raises bare exceptions
            return "malformed RLE"
        return "empty mask" if area <= 0 else None
    if isinstance(segm, list):
        polygons = [p for p in segm if isinstance(p, list) and len(p) >= 6]
        if not polygons:
            return "empty mask (no polygon with 3 or more points)"
        for poly in polygons:
            xs, ys = poly[0::2], poly[1::2]
            if (min(xs) < -EDGE_TOLERANCE or min(ys) < -EDGE_TOLERANCE
                    or max(xs) > width + EDGE_TOLERANCE or max(ys) > height + EDGE_TOLERANCE):
                return "annotation outside the image (polygon)"
        rles = mask_utils.frPyObjects(polygons, height, width)
        if float(mask_utils.area(mask_utils.merge(rles))) <= 0:
            return "empty mask (zero-area polygon)"
        return None
    return "segmentation is neither RLE nor polygons"


def _bbox_problem(bbox: Any, width: int, height: int) -> str | None:
    """Return what is wrong with one ``[x, y, w, h]`` box, or None."""
    if not (isinstance(bbox, list) and len(bbox) == 4):
        return "bbox is not [x, y, w, h]"
    x, y, w, h = (float(v) for v in bbox)
    if w <= 0 or h <= 0:
        return "empty bbox"
    if (x < -EDGE_TOLERANCE or y < -EDGE_TOLERANCE
            or x + w > width + EDGE_TOLERANCE or y + h > height + EDGE_TOLERANCE):
        return "annotation outside the image (bbox)"
    return None


def validate_coco(coco: dict[str, Any], image_root: Path, source: str,
                  check_files: bool = True) -> dict[int, Path]:
    """Check a parsed COCO dict against its image folder.

    Args:
        coco: the parsed JSON.
        image_root: folder that ``file_name`` entries are relative to.
        source: how to name the dataset in error messages.
        check_files: also open every image (existence, header, truncation, size).

    Returns:
        image id -> resolved image path.

    Raises:
        DatasetError: naming the first offending files or entries.

    """
    problems = ProblemList(source)
    category_ids = {c.get("id") for c in coco["categories"] if isinstance(c, dict)}
    if len(category_ids) != 1:
        names = [c.get("name") for c in coco["categories"] if isinstance(c, dict)]
        problems.add("expected exactly one category ('hand')", f"found {names}")

    images: dict[int, dict] = {}
    paths: dict[int, Path] = {}
    for index, img in enumerate(coco["images"]):
        where = f"images[{index}]"
        if not isinstance(img, dict) or not {"id", "file_name", "width", "height"} <= img.keys():
            problems.add("image entry needs id, file_name, width, height", where)
            continue
        if img["id"] in images:
            problems.add("duplicate image id", f"{img['id']} ({img['file_name']})")
            continue
        path = resolve_inside(image_root, str(img["file_name"]))
        if path is None:
            problems.add("file_name escapes the image root", str(img["file_name"]))
            continue
        images[img["id"]] = img
        paths[img["id"]] = path

    if check_files:
        ids = list(paths)
        probes = probe_images([paths[i] for i in ids])
        for image_id, (size, problem) in zip(ids, probes, strict=True):
            img = images[image_id]
            if problem:
                problems.add(problem, str(paths[image_id]))
            elif size != (img["width"], img["height"]):
                problems.add("image size differs from the JSON",
                             f"{img['file_name']} is {size[0]}x{size[1]}, JSON says "
                             f"{img['width']}x{img['height']}")

    for index, ann in enumerate(coco["annotations"]):
        where = f"annotations[{index}] (id {ann.get('id') if isinstance(ann, dict) else '?'})"
        if not isinstance(ann, dict) or "image_id" not in ann:
            problems.add("annotation without image_id", where)
            continue
        img = images.get(ann["image_id"])
        if img is None:
            problems.add("annotation for unknown image id", f"{where}, image_id {ann['image_id']}")
            continue
        where = f"{where} of {img['file_name']}"
        if ann.get("category_id") not in category_ids:
            problems.add("unknown category id", f"{ann.get('category_id')} in {where}")
        if "segmentation" not in ann:
            problems.add("annotation without segmentation", where)
            continue
        issue = (_segmentation_problem(ann["segmentation"], img["width"], img["height"])
                 or ("bbox" in ann and _bbox_problem(ann["bbox"], img["width"], img["height"])))
        if issue:
            problems.add(issue, where)
    problems.raise_if_any()
    return paths
