"""Hand matching and hand metrics on hand-made masks; expected values computed by hand."""

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from d2hands.evaluation import ImageMatch, match_image, summarize_hands

H, W = 10, 20


def box(y0, y1, x0, x1):
    """RLE of the rectangle rows y0:y1, columns x0:x1 on an H x W canvas."""
    a = np.zeros((H, W), dtype=np.uint8, order="F")
    a[y0:y1, x0:x1] = 1
    return mask_utils.encode(a)


def test_several_hands_with_a_high_score_fp_above_the_tps():
    hands = [box(0, 4, 0, 4), box(0, 4, 10, 14), box(6, 10, 0, 5)]  # 16, 16, 20 px
    preds = [box(0, 4, 0, 4), box(0, 4, 11, 15), box(6, 10, 15, 20)]
    scores = [0.9, 0.8, 0.95]
    m = match_image(hands, preds, scores)
    # p2 vs hand 2: 3 x 4 = 12 px shared, union 16 + 16 - 12 = 20 -> IoU 0.6.
    assert m.kept == (2, 0, 1)
    assert m.matched_gt == (-1, 0, 1)
    assert (m.tp, m.fp, m.fn) == (2, 1, 1)
    assert m.ious == pytest.approx((1.0, 0.6))
    assert m.mean_iou == pytest.approx(0.8)
    assert m.top_score == 0.95 and m.top_is_tp is False


def test_touching_hands_iou_exactly_at_threshold_and_tie_break():
    hands = [box(0, 5, 0, 5), box(0, 5, 5, 10)]  # 25 px each, sharing a border
    both = box(0, 5, 0, 10)  # covers both hands: IoU 25 / 50 = 0.5 with each
    m = match_image(hands, [both, box(0, 5, 5, 10)], [0.9, 0.8])
    # 0.5 >= 0.5 counts; tie between the two hands goes to the first listed.
    assert m.matched_gt == (0, 1)
    assert m.ious == pytest.approx((0.5, 1.0))
    assert (m.tp, m.fp, m.fn) == (2, 0, 0) and m.top_is_tp
    strict = match_image(hands, [both, box(0, 5, 5, 10)], [0.9, 0.8], iou_thresh=0.51)
    assert strict.matched_gt == (-1, 1)
    assert (strict.tp, strict.fp, strict.fn) == (1, 1, 1) and not strict.top_is_tp


def test_prediction_spilling_onto_the_touching_hand():
    hands = [box(0, 5, 0, 5), box(0, 5, 5, 10)]
    # 30 px: 25 on hand 1 (IoU 25/30), 5 on hand 2 (IoU 5/50).
    m = match_image(hands, [box(0, 5, 0, 6)], [0.99])
    assert m.matched_gt == (0,)
    assert m.ious == pytest.approx((25 / 30,))
    assert (m.tp, m.fp, m.fn) == (1, 0, 1)


def test_duplicates_of_one_hand_give_one_tp_and_fps():
    hands = [box(0, 4, 0, 4)]
    dups = [box(0, 4, 0, 3), box(0, 4, 0, 4), box(0, 4, 1, 4)]  # IoU 0.75, 1.0, 0.75
    m = match_image(hands, dups, [0.85, 0.9, 0.8])
    assert m.kept == (1, 0, 2)
    assert m.matched_gt == (0, -1, -1)
    assert (m.tp, m.fp, m.fn) == (1, 2, 0)
    assert m.ious == (1.0,)


def test_greedy_by_score_not_by_iou():
    hands = [box(0, 4, 0, 4)]
    # The lower-IoU prediction has the higher score: it takes the hand.
    m = match_image(hands, [box(0, 4, 0, 4), box(0, 4, 0, 3)], [0.8, 0.9])
    assert m.matched_gt == (0, -1)
    assert m.ious == pytest.approx((0.75,))


def test_score_threshold_is_inclusive_and_drops_low_scores():
    hands = [box(0, 4, 0, 4)]
    m = match_image(hands, [box(0, 4, 0, 4), box(5, 9, 5, 9)], [0.7, 0.69])
    assert m.kept == (0,) and (m.tp, m.fp, m.fn) == (1, 0, 0)
    none_kept = match_image(hands, [box(0, 4, 0, 4)], [0.5])
    assert none_kept.kept == () and none_kept.top_score is None and not none_kept.top_is_tp
    assert (none_kept.tp, none_kept.fp, none_kept.fn) == (0, 0, 1)


def test_empty_images_and_empty_predictions():
    m = match_image([], [], [])
    assert (m.num_gt, m.tp, m.fp, m.fn, m.mean_iou, m.top_is_tp) == (0, 0, 0, 0, 0.0, False)
    only_fp = match_image([], [box(0, 2, 0, 2)], [0.9])
    assert (only_fp.tp, only_fp.fp, only_fp.fn) == (0, 1, 0) and only_fp.top_score == 0.9
    only_fn = match_image([box(0, 2, 0, 2), box(4, 6, 4, 6)], [], [])
    assert (only_fn.tp, only_fn.fp, only_fn.fn) == (0, 0, 2)


def _m(num_gt, matched, ious, top_is_tp):
    return ImageMatch(num_gt, tuple(range(len(matched))), tuple(matched), tuple(ious),
                      0.9 if matched else None, top_is_tp)


def test_summarize_hands_by_hand():
    matches = [
        _m(3, [-1, 0, 1], [1.0, 0.6], False),  # TP 2, FP 1, FN 1, top is FP
        _m(1, [0, -1], [0.8], True),  # TP 1, FP 1, FN 0
        _m(0, [-1], [], False),  # image without hands, one FP
        _m(2, [], [], False),  # no predictions: FN 2
        _m(0, [], [], False),  # empty image
    ]
    s = summarize_hands(matches)
    tp, fp, fn = 3, 3, 3
    assert (s["TtlHnd"], s["TP"], s["FP"], s["FN"]) == (6, tp, fp, fn)
    assert s["IoU"] == pytest.approx((1.0 + 0.6 + 0.8) / 3)
    assert s["Acc"] == pytest.approx(3 / 9)
    assert s["F1"] == pytest.approx(6 / 12)
    assert s["TPH"] == 1
    assert s["TPH_pct"] == pytest.approx(100 / 3)  # 3 images contain hands


def test_summarize_hands_empty_cases_are_zero():
    for matches in ([], [_m(0, [], [], False)], [_m(2, [-1], [], False)]):
        s = summarize_hands(matches)
        assert s["IoU"] == s["Acc"] == s["F1"] == s["TPH_pct"] == 0.0
        assert s["TP"] == s["TPH"] == 0


def test_paper_check_acc_equals_f1_over_two_minus_f1():
    # Acc = TP/(TP+FP+FN), F1 = 2TP/(2TP+FP+FN)  =>  Acc = F1 / (2 - F1).
    assert 0.922 / (2 - 0.922) == pytest.approx(0.855, abs=5e-4)
    rng = np.random.default_rng(0)
    for _ in range(200):
        tp, fp, fn = (int(v) for v in rng.integers(0, 50, 3))
        matched = [0] * tp + [-1] * fp
        s = summarize_hands([_m(tp + fn, matched, [0.7] * tp, tp > 0)])
        assert s["Acc"] == pytest.approx(s["F1"] / (2 - s["F1"]))
