"""Loading and validating a COCO results list (the predictions) against a ground truth."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from numbers import Real
from typing import Any

from ..data.rle import segmentation_to_rle
from .errors import ResultsError
from .ground_truth import GroundTruth

REQUIRED_KEYS = ("image_id", "category_id", "segmentation", "score")


@dataclass(frozen=True)
class Prediction:
    """One validated predicted instance.

    Attributes:
        image_id: Ground-truth image id.
        category_id: Ground-truth category id.
        score: Confidence (finite).
        rle: Compressed RLE ``{"size": [h, w], "counts": bytes}`` at the image's size.
        bbox: ``[x, y, w, h]`` as given in the results, or None when the entry had none.

    """

    image_id: Any
    category_id: Any
    score: float
    rle: dict
    bbox: list[float] | None = None


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def read_results_json(path: str | os.PathLike) -> Any:
    """Read a results JSON file.

    Args:
        path: File path.

    Returns:
        The parsed JSON value.

    Raises:
        ResultsError: If the file cannot be read or is not valid JSON.

    """
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source=source
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"cannot read the file: {exc}", source=source) from None
    except RecursionError:
        raise ResultsError("not valid JSON: nested too deeply", source=source) from None


def _prediction(entry: Any, index: int, gt: GroundTruth, source: str | None) -> Prediction:
    if not isinstance(entry, dict):
        raise ResultsError(
            f"must be an object with {', '.join(REQUIRED_KEYS)}, got {type(entry).__name__}",
            index, source=source,
        )
    image_id = entry.get("image_id")

    def fail(problem: str) -> ResultsError:
        return ResultsError(problem, index, image_id, source)

    missing = [k for k in REQUIRED_KEYS if k not in entry]
    if missing:
        raise fail(
            f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
            f"each result needs {', '.join(REQUIRED_KEYS)} (bbox is optional)"
        )
    try:  # bools compare equal to 0 and 1: never take them for ids
        img = None if isinstance(image_id, bool) else gt.images.get(image_id)
    except TypeError:  # unhashable id, e.g. a list
        img = None
    if img is None:
        raise fail("image_id is not an image of the ground truth")
    category_id = entry["category_id"]
    known_category = not isinstance(category_id, bool) and category_id in gt.category_ids
    if not known_category:
        raise fail(
            f"category_id {entry['category_id']!r} is not a category of the ground truth "
            f"(known: {gt.category_ids})"
        )
    score = entry["score"]
    if not _is_number(score) or not math.isfinite(score):
        raise fail(f"score must be a finite number, got {score!r}")
    bbox = entry.get("bbox")
    if bbox is not None:
        if not (
            isinstance(bbox, list)
            and len(bbox) == 4
            and all(_is_number(v) and math.isfinite(v) for v in bbox)
            and bbox[2] >= 0
            and bbox[3] >= 0
        ):
            raise fail(f"bbox must be [x, y, width, height] of finite numbers, got {bbox!r}")
        bbox = [float(v) for v in bbox]
    try:
        rle = segmentation_to_rle(entry["segmentation"], img.height, img.width)
    except ValueError as exc:
        raise fail(f"invalid segmentation: {exc}") from None
    return Prediction(image_id, entry["category_id"], float(score), rle, bbox)


def load_results(results: str | os.PathLike | list, gt: GroundTruth) -> list[Prediction]:
    """Validate a COCO results list against a ground truth.

    Each entry needs ``image_id`` (an image of ``gt``), ``category_id`` (a category of ``gt``),
    ``segmentation`` (RLE with ``size`` equal to the image's [height, width] and ``counts`` as a
    compressed string or a list of run lengths; COCO polygons are accepted too) and a finite
    ``score``; ``bbox`` is optional. An empty list is valid.

    Args:
        results: Path to the results JSON or the parsed list.
        gt: The validated ground truth (see ``load_ground_truth``).

    Returns:
        The predictions, in the order of the list.

    Raises:
        ResultsError: For the first invalid entry (the message names its index and image id),
            or if the file is not a readable JSON list.

    """
    source = None
    if isinstance(results, (str, os.PathLike)):
        source = os.fspath(results)
        results = read_results_json(source)
    if not isinstance(results, list):
        hint = ""
        if isinstance(results, dict) and "annotations" in results:
            hint = " (this looks like a COCO dataset; pass its 'annotations' list of results)"
        raise ResultsError(
            f"expected a COCO results list [{{image_id, category_id, segmentation, score}}, "
            f"...], got a JSON {type(results).__name__}{hint}",
            source=source,
        )
    return [_prediction(entry, k, gt, source) for k, entry in enumerate(results)]


def to_coco_results(predictions: list[Prediction], with_bbox: bool) -> list[dict]:
    """Convert predictions to fresh result dicts for pycocotools' ``COCO.loadRes``.

    Args:
        predictions: Validated predictions.
        with_bbox: Include the ``bbox`` of predictions that have one.

    Returns:
        New dicts (``loadRes`` modifies them), RLE counts as bytes.

    """
    out = []
    for p in predictions:
        d = {"image_id": p.image_id, "category_id": p.category_id,
             "segmentation": {"size": p.rle["size"], "counts": p.rle["counts"]},
             "score": p.score}
        if with_bbox and p.bbox is not None:
            d["bbox"] = list(p.bbox)
        out.append(d)
    return out
