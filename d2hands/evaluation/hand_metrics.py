"""Dataset-level hand (instance) metrics: TtlHnd, TP, FP, FN, IoU, Acc, F1, TPH."""

from __future__ import annotations

from collections.abc import Iterable

from .matching import ImageMatch

HAND_KEYS = ("TtlHnd", "TP", "FP", "FN", "IoU", "Acc", "F1", "TPH", "TPH_pct")


def summarize_hands(matches: Iterable[ImageMatch]) -> dict[str, float | int]:
    """Aggregate per-image matches into the paper's hand metrics.

    ``IoU`` is the mean mask IoU over all true positives, ``Acc = TP / (TP + FP + FN)``,
    ``F1 = 2 TP / (2 TP + FP + FN)``, ``TPH`` the number of images whose top kept prediction is
    a true positive and ``TPH_pct`` that number in percent of the images with at least one
    hand. Each ratio is 0.0 when its denominator is 0 (so F1 = Acc = IoU = 0 without any TP).

    Args:
        matches: One ``ImageMatch`` per evaluated image.

    Returns:
        A dict with the keys of ``HAND_KEYS``.

    """
    total = tp = fp = fn = tph = with_hands = 0
    iou_sum = 0.0
    for m in matches:
        total += m.num_gt
        tp += m.tp
        fp += m.fp
        fn += m.fn
        iou_sum += sum(m.ious)
        tph += int(m.top_is_tp)
        with_hands += int(m.num_gt > 0)
    return {
        "TtlHnd": total,
        "TP": tp,
        "FP": fp,
        "FN": fn,
        "IoU": iou_sum / tp if tp else 0.0,
        "Acc": tp / (tp + fp + fn) if tp else 0.0,
        "F1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "TPH": tph,
        "TPH_pct": 100.0 * tph / with_hands if with_hands else 0.0,
    }
