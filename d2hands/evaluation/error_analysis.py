"""What the errors are: every false detection and every missed hand, classified (TIDE-style).

A false detection (a kept prediction left unmatched) is, checked in this order:

- ``duplicate``: its mask IoU with some hand reaches the match threshold, so that hand was
  already found by a higher-scoring prediction;
- ``part``: at least ``PART_FRACTION`` of its pixels lie inside one hand (a fragment);
- ``mislocalised``: it overlaps a hand (IoU >= ``TOUCH_IOU``) below the match threshold;
- ``background``: it overlaps no hand.

A missed hand (left unmatched) is described by its size (``small`` < 1% of the image,
``medium`` < 10%, ``large``), whether it is ``truncated`` (touches the border), ``touching``
another hand (their boxes overlap) and ``below_threshold`` (a prediction under the score
threshold would have matched it). As in TIDE (Bolya et al., ECCV 2020), each kind is weighed by
the hands F1 the evaluation would have if that kind alone were fixed: false detections of the
type removed, or misses with the attribute found. Miss attributes overlap; their gains do not
add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pycocotools import mask as mask_utils

PART_FRACTION = 0.8
TOUCH_IOU = 0.1
FALSE_TYPES = ("duplicate", "part", "mislocalised", "background")
MISS_ATTRIBUTES = ("small", "medium", "large", "truncated", "touching", "below_threshold")
SIZE_LIMITS = ((0.01, "small"), (0.10, "medium"))


@dataclass(frozen=True)
class ErrorCase:
    """One false detection or missed hand.

    Attributes:
        image_index: Index of the image in the evaluation.
        kind: ``"false"`` or ``"miss"``.
        labels: The false detection's type, or the miss's attributes.
        rle: Its mask (the prediction's or the hand's).
        score: The prediction's score (a miss: the best score of a prediction that would have
            matched it, or None).
        centre: ``(x, y)`` of its box centre as fractions of the image's width and height.
        area_fraction: Its mask area over the image's.

    """

    image_index: int
    kind: str
    labels: tuple[str, ...]
    rle: dict
    score: float | None
    centre: tuple[float, float]
    area_fraction: float


def false_type(pred: dict, hands: Sequence[dict], iou_thresh: float) -> str:
    """The type of one false detection (see the module)."""
    if not hands:
        return "background"
    ious = np.asarray(mask_utils.iou([pred], list(hands), [0] * len(hands)))[0]
    if ious.max() >= iou_thresh:
        return "duplicate"
    area = float(mask_utils.area(pred)) or 1.0
    inside = [float(mask_utils.area(mask_utils.merge([pred, h], intersect=True))) / area
              for h in hands]
    if max(inside) >= PART_FRACTION:
        return "part"
    return "mislocalised" if ious.max() >= TOUCH_IOU else "background"


def miss_attributes(index: int, hands: Sequence[dict], below: Sequence[dict],
                    iou_thresh: float) -> tuple[str, ...]:
    """The attributes of missed hand ``index`` (``below``: predictions under the threshold)."""
    hand = hands[index]
    height, width = hand["size"]
    fraction = float(mask_utils.area(hand)) / (height * width)
    labels = [next((name for limit, name in SIZE_LIMITS if fraction < limit), "large")]
    x, y, w, h = mask_utils.toBbox(hand)
    if x <= 0 or y <= 0 or x + w >= width or y + h >= height:
        labels.append("truncated")
    others = [k for k in range(len(hands)) if k != index]
    if others and np.asarray(mask_utils.iou(
            [mask_utils.toBbox(hand).tolist()], [mask_utils.toBbox(hands[k]).tolist()
                                                 for k in others], [0] * len(others))).max() > 0:
        labels.append("touching")
    if below and np.asarray(mask_utils.iou(list(below), [hand], [0])).max() >= iou_thresh:
        labels.append("below_threshold")
    return tuple(labels)


def _case(image_index: int, kind: str, labels: tuple, rle: dict, score) -> ErrorCase:
    height, width = rle["size"]
    x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
    return ErrorCase(image_index, kind, labels, rle, score,
                     ((x + w / 2) / width, (y + h / 2) / height),
                     float(mask_utils.area(rle)) / (height * width))


def error_cases(images: Sequence, score_thresh: float, iou_thresh: float) -> list[ErrorCase]:
    """Every false detection and missed hand of an evaluation's ``ImageResult`` list."""
    cases = []
    for index, result in enumerate(images):
        hands, preds, match = result.hands, result.predictions, result.match
        for k, gt in zip(match.kept, match.matched_gt, strict=True):
            if gt < 0:
                kind = false_type(preds[k].rle, hands, iou_thresh)
                cases.append(_case(index, "false", (kind,), preds[k].rle, preds[k].score))
        found = set(match.matched_gt)
        below = [p for p in preds if p.score < score_thresh]
        for j in range(len(hands)):
            if j in found:
                continue
            labels = miss_attributes(j, hands, [p.rle for p in below], iou_thresh)
            near = [p.score for p in below if "below_threshold" in labels and np.asarray(
                mask_utils.iou([p.rle], [hands[j]], [0])).max() >= iou_thresh]
            cases.append(_case(index, "miss", labels, hands[j], max(near, default=None)))
    return cases


def f1(tp: int, fp: int, fn: int) -> float:
    """Hands F1 of counts (0.0 when there is nothing to count)."""
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def summarize_errors(cases: Sequence[ErrorCase], tp: int) -> dict:
    """Counts per false-detection type and miss attribute, and the F1 if each were fixed."""
    false = [c for c in cases if c.kind == "false"]
    misses = [c for c in cases if c.kind == "miss"]
    fp, fn = len(false), len(misses)
    base = f1(tp, fp, fn)
    by_type = {t: sum(c.labels[0] == t for c in false) for t in FALSE_TYPES}
    by_attr = {a: sum(a in c.labels for c in misses) for a in MISS_ATTRIBUTES}
    background = [c for c in false if c.labels[0] == "background"]
    return {
        "f1": round(base, 4), "tp": tp, "false_detections": fp, "misses": fn,
        "false_by_type": by_type,
        "f1_if_fixed": {**{t: round(f1(tp, fp - n, fn) - base, 4) for t, n in by_type.items()},
                        **{f"miss_{a}": round(f1(tp + n, fp, fn - n) - base, 4)
                           for a, n in by_attr.items()}},
        "misses_by_attribute": by_attr,
        "background": {
            "median_area_fraction": _median([c.area_fraction for c in background]),
            "median_score": _median([c.score for c in background]),
            "centre_x_mean": _mean([c.centre[0] for c in background]),
            "centre_y_mean": _mean([c.centre[1] for c in background]),
        },
        "rules": {"part_fraction": PART_FRACTION, "touch_iou": TOUCH_IOU,
                  "size_limits": [limit for limit, _ in SIZE_LIMITS]},
    }


def _median(values: list) -> float | None:
    return round(float(np.median(values)), 4) if values else None


def _mean(values: list) -> float | None:
    return round(float(np.mean(values)), 4) if values else None
