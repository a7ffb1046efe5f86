"""Per-image greedy matching of predicted hands to ground-truth hands by mask IoU."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pycocotools import mask as mask_utils

from ..defaults import DEFAULT_SCORE_THRESH


@dataclass(frozen=True)
class ImageMatch:
    """Outcome of matching the predictions of one image.

    Attributes:
        num_gt: Ground-truth hands in the image.
        kept: Indices (into the image's predictions) of those with score >= the threshold,
            highest score first.
        matched_gt: For each entry of ``kept``, the matched ground-truth index or -1 (FP).
        ious: Mask IoU of each true positive, in the order of ``kept``.
        top_score: Score of the highest-scoring kept prediction, or None if none is kept.
        top_is_tp: Whether that prediction is a true positive (False if none is kept).

    """

    num_gt: int
    kept: tuple[int, ...]
    matched_gt: tuple[int, ...]
    ious: tuple[float, ...]
    top_score: float | None
    top_is_tp: bool

    @property
    def tp(self) -> int:
        """True positives: kept predictions matched to a hand."""
        return len(self.ious)

    @property
    def fp(self) -> int:
        """False positives: kept predictions left unmatched."""
        return len(self.kept) - len(self.ious)

    @property
    def fn(self) -> int:
        """False negatives: hands left unmatched."""
        return self.num_gt - len(self.ious)

    @property
    def mean_iou(self) -> float:
        """Mean IoU of the true positives (0.0 without any)."""
        return float(np.mean(self.ious)) if self.ious else 0.0


def match_image(
    gt_rles: Sequence[dict],
    pred_rles: Sequence[dict],
    scores: Sequence[float],
    score_thresh: float = DEFAULT_SCORE_THRESH,
    iou_thresh: float = 0.5,
) -> ImageMatch:
    """Match one image's predictions to its ground-truth hands.

    Predictions with ``score >= score_thresh`` are taken in order of decreasing score (ties:
    input order). Each is matched to the still unmatched hand with the highest mask IoU
    (ties: the hand listed first) if that IoU is ``>= iou_thresh``; it is then a true positive,
    otherwise a false positive. Hands left unmatched are false negatives.

    Args:
        gt_rles: Compressed RLEs of the ground-truth hands.
        pred_rles: Compressed RLEs of the predictions (same image size).
        scores: Score of each prediction.
        score_thresh: Minimum score of a prediction to be counted.
        iou_thresh: Minimum mask IoU of a match.

    Returns:
        The match of this image.

    """
    scores_arr = np.asarray(scores, dtype=np.float64).reshape(-1)
    order = np.argsort(-scores_arr, kind="stable")
    kept = tuple(int(i) for i in order if scores_arr[i] >= score_thresh)
    top_score = float(scores_arr[kept[0]]) if kept else None
    if not kept or not gt_rles:
        return ImageMatch(len(gt_rles), kept, (-1,) * len(kept), (), top_score, False)
    iou = np.asarray(
        mask_utils.iou([pred_rles[i] for i in kept], list(gt_rles), [0] * len(gt_rles)),
        dtype=np.float64,
    )
    free = np.ones(len(gt_rles), dtype=bool)
    matched, ious = [], []
    for row in iou:
        if not free.any():
            matched.append(-1)
            continue
        candidates = np.where(free, row, -1.0)
        j = int(np.argmax(candidates))
        if candidates[j] >= iou_thresh:
            free[j] = False
            matched.append(j)
            ious.append(float(candidates[j]))
        else:
            matched.append(-1)
    return ImageMatch(len(gt_rles), kept, tuple(matched), tuple(ious), top_score, matched[0] >= 0)
