"""COCO bbox and segm AP through pycocotools' COCOeval, reported as detectron2 does."""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Sequence

from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from .ground_truth import GroundTruth
from .results_io import Prediction, to_coco_results

AP_KEYS = ("AP", "AP50", "AP75", "APs", "APm", "APl")


def _results_coco(gt: GroundTruth, results: list[dict]) -> COCO:
    coco_gt = gt.coco()
    if results:
        return coco_gt.loadRes(results)
    # loadRes cannot take an empty list (it reads results[0]); an empty result set scores 0 AP.
    coco_dt = COCO()
    coco_dt.dataset = {
        "images": list(gt.dataset["images"]),
        "categories": copy.deepcopy(gt.dataset["categories"]),
        "annotations": [],
    }
    coco_dt.createIndex()
    return coco_dt


def run_cocoeval(gt: GroundTruth, results: list[dict], iou_type: str) -> dict[str, float | None]:
    """Run COCOeval (evaluate, accumulate, summarize) on result dicts.

    Args:
        gt: The ground truth.
        results: Result dicts for ``COCO.loadRes`` (they get modified).
        iou_type: ``"bbox"`` or ``"segm"``.

    Returns:
        ``AP_KEYS`` -> AP in percent (0-100), or None where COCOeval reports -1 (no ground truth
        in that area range; detectron2 writes NaN there).

    """
    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = _results_coco(gt, results)
        evaluator = COCOeval(gt.coco(), coco_dt, iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {
        key: (float(v) * 100.0 if v >= 0 else None)
        for key, v in zip(AP_KEYS, evaluator.stats[: len(AP_KEYS)], strict=True)
    }


def coco_ap(gt: GroundTruth, predictions: Sequence[Prediction]) -> dict[str, dict]:
    """COCO AP, AP50, AP75, APs, APm, APl for boxes and masks, as detectron2 computes them.

    For ``segm`` the boxes are dropped from the results so that pycocotools takes each
    detection's area from its mask (detectron2's COCOEvaluator does the same). For ``bbox`` a
    result without a box gets the box of its mask (``mask.toBbox``); if no result has a box,
    the list goes to ``loadRes`` unchanged, which derives them the same way.

    Args:
        gt: The ground truth.
        predictions: Validated predictions.

    Returns:
        ``{"bbox": {...}, "segm": {...}}`` with the keys of ``AP_KEYS``, in percent.

    """
    preds = list(predictions)
    bbox_results = to_coco_results(preds, with_bbox=True)
    if any("bbox" in r for r in bbox_results):
        for r in bbox_results:
            if "bbox" not in r:
                r["bbox"] = [float(v) for v in mask_utils.toBbox(r["segmentation"])]
    return {
        "bbox": run_cocoeval(gt, bbox_results, "bbox"),
        "segm": run_cocoeval(gt, to_coco_results(preds, with_bbox=False), "segm"),
    }
