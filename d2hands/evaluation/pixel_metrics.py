"""Semantic (pixel-level) hand metrics from the union of instance masks per image.

Each image's ground truth is the union of its hand masks and its prediction the union of the
kept predictions (score >= threshold). All counts are computed on RLEs (pycocotools' merge and
area), never on dense masks.

Zero denominators: a pixel ratio whose denominator is 0 is 1.0 when there is no error at all
(FP = FN = 0, i.e. nothing to find and nothing predicted) and 0.0 otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pycocotools import mask as mask_utils

from ..data.rle import union_area

PIXEL_KEYS = ("precision", "recall", "F1", "hand_IoU", "mIoU", "per_image_F1")


def _ratio(num: int, den: int, errors: int) -> float:
    if den:
        return num / den
    return 1.0 if errors == 0 else 0.0


@dataclass(frozen=True)
class PixelCounts:
    """Pixel confusion counts of one image (hand is the positive class)."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def f1(self) -> float:
        """Pixel F1 = 2TP / (2TP + FP + FN); 1.0 if the image has no hand and no prediction."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn, self.fp + self.fn)

    @property
    def hand_iou(self) -> float:
        """Hand IoU = TP / (TP + FP + FN); 1.0 if the image has no hand and no prediction."""
        return _ratio(self.tp, self.tp + self.fp + self.fn, self.fp + self.fn)


def pixel_counts(
    gt_rles: Sequence[dict], pred_rles: Sequence[dict], height: int, width: int
) -> PixelCounts:
    """Count hand/background pixels of one image from its instance masks.

    Args:
        gt_rles: Compressed RLEs of the ground-truth hands.
        pred_rles: Compressed RLEs of the kept predictions.
        height: Image height.
        width: Image width.

    Returns:
        The image's pixel counts.

    """
    gt_union, gt_area = union_area(list(gt_rles))
    pred_union, pred_area = union_area(list(pred_rles))
    inter = 0
    if gt_area and pred_area:
        inter = int(mask_utils.area(mask_utils.merge([gt_union, pred_union], intersect=True)))
    return PixelCounts(
        tp=inter,
        fp=pred_area - inter,
        fn=gt_area - inter,
        tn=height * width - (gt_area + pred_area - inter),
    )


def summarize_pixels(counts: Iterable[PixelCounts]) -> dict[str, float]:
    """Aggregate per-image pixel counts.

    ``precision``, ``recall``, ``F1`` and ``hand_IoU`` are micro averages (counts summed over
    the dataset); ``mIoU`` is the mean of the micro hand IoU and background IoU
    ``TN / (TN + FP + FN)``; ``per_image_F1`` is the mean of the per-image pixel F1.

    Args:
        counts: One ``PixelCounts`` per image.

    Returns:
        A dict with the keys of ``PIXEL_KEYS``.

    """
    tp = fp = fn = tn = 0
    f1_sum = 0.0
    n = 0
    for c in counts:
        tp, fp, fn, tn = tp + c.tp, fp + c.fp, fn + c.fn, tn + c.tn
        f1_sum += c.f1
        n += 1
    errors = fp + fn
    hand_iou = _ratio(tp, tp + fp + fn, errors)
    background_iou = _ratio(tn, tn + fp + fn, errors)
    return {
        "precision": _ratio(tp, tp + fp, errors),
        "recall": _ratio(tp, tp + fn, errors),
        "F1": _ratio(2 * tp, 2 * tp + fp + fn, errors),
        "hand_IoU": hand_iou,
        "mIoU": (hand_iou + background_iou) / 2,
        "per_image_F1": f1_sum / n if n else 0.0,
    }
