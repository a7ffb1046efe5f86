"""Pixel metrics on hand-made masks; expected values computed by hand."""

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from d2hands.evaluation import PixelCounts, pixel_counts, summarize_pixels

H, W = 10, 10


def box(y0, y1, x0, x1):
    a = np.zeros((H, W), dtype=np.uint8, order="F")
    a[y0:y1, x0:x1] = 1
    return mask_utils.encode(a)


def test_pixel_counts_union_of_touching_hands_and_overlapping_predictions():
    hands = [box(0, 5, 0, 4), box(0, 5, 4, 8)]  # union: rows 0-4, cols 0-7 = 40 px
    preds = [box(0, 5, 2, 10), box(0, 2, 0, 2), box(0, 5, 3, 6)]  # union 40 + 4 = 44 px
    c = pixel_counts(hands, preds, H, W)
    # hand & pred: rows 0-4 cols 2-7 (30) + rows 0-1 cols 0-1 (4) = 34
    assert c == PixelCounts(tp=34, fp=10, fn=6, tn=100 - 50)
    assert c.f1 == pytest.approx(68 / 84)
    assert c.hand_iou == pytest.approx(34 / 50)


def test_empty_image_conventions():
    assert pixel_counts([], [], H, W) == PixelCounts(0, 0, 0, 100)
    assert pixel_counts([], [], H, W).f1 == 1.0  # nothing to find, nothing predicted
    only_fp = pixel_counts([], [box(0, 2, 0, 2)], H, W)
    assert only_fp == PixelCounts(0, 4, 0, 96) and only_fp.f1 == 0.0
    only_fn = pixel_counts([box(0, 2, 0, 2)], [], H, W)
    assert only_fn == PixelCounts(0, 0, 4, 96) and only_fn.f1 == 0.0


def test_summarize_pixels_micro_and_per_image():
    counts = [PixelCounts(34, 10, 6, 50), PixelCounts(0, 0, 0, 100), PixelCounts(0, 0, 4, 96)]
    s = summarize_pixels(counts)
    tp, fp, fn, tn = 34, 10, 10, 246
    assert s["precision"] == pytest.approx(tp / (tp + fp))
    assert s["recall"] == pytest.approx(tp / (tp + fn))
    assert s["F1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert s["hand_IoU"] == pytest.approx(tp / (tp + fp + fn))
    assert s["mIoU"] == pytest.approx((34 / 54 + tn / (tn + fp + fn)) / 2)
    assert s["per_image_F1"] == pytest.approx((68 / 84 + 1.0 + 0.0) / 3)


def test_summarize_pixels_degenerate_datasets():
    nothing = summarize_pixels([PixelCounts(0, 0, 0, 100)])
    assert nothing == {"precision": 1.0, "recall": 1.0, "F1": 1.0, "hand_IoU": 1.0,
                       "mIoU": 1.0, "per_image_F1": 1.0}
    no_preds = summarize_pixels([PixelCounts(0, 0, 4, 96)])
    assert no_preds["precision"] == no_preds["recall"] == no_preds["F1"] == 0.0
    assert no_preds["mIoU"] == pytest.approx(96 / 100 / 2)
    all_hand = summarize_pixels([PixelCounts(100, 0, 0, 0)])
    assert all_hand["mIoU"] == 1.0  # no background anywhere and none predicted
