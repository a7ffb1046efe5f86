"""Choose the score from which a prediction is a hand, on validation images.

One fixed threshold (0.7) does not suit every model: the protocol's records show models whose
hands score just under it, and others whose false detections score above it. Here the hands
F1 is counted at every threshold of a grid on the validation predictions (the matching of
``tools/evaluate.py``), pooled over the validation sets, and the best is chosen; ties go to
the threshold nearest the default, so that a flat curve keeps the default.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..defaults import DEFAULT_SCORE_THRESH
from .matching import match_image

GRID = tuple(round(0.05 * k, 2) for k in range(2, 20))  # 0.10 .. 0.95


def hand_counts(images: Sequence, score_thresh: float, iou_thresh: float) -> tuple[int, int, int]:
    """``(TP, FP, FN)`` of ``ImageResult``s re-matched at ``score_thresh``."""
    tp = fp = fn = 0
    for result in images:
        preds = result.predictions
        match = match_image(result.hands, [p.rle for p in preds], [p.score for p in preds],
                            score_thresh, iou_thresh)
        tp, fp, fn = tp + match.tp, fp + match.fp, fn + match.fn
    return tp, fp, fn


def f1_curve(images: Sequence, iou_thresh: float = 0.5,
             grid: Sequence[float] = GRID) -> dict[float, float]:
    """Hands F1 at every threshold of ``grid``."""
    curve = {}
    for t in grid:
        tp, fp, fn = hand_counts(images, t, iou_thresh)
        curve[t] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return curve


def choose_threshold(curve: dict, default: float = DEFAULT_SCORE_THRESH) -> float:
    """The threshold of highest F1 (ties: nearest ``default``, then the higher)."""
    return max(curve, key=lambda t: (round(curve[t], 9), -round(abs(float(t) - default), 9),
                                     float(t)))
