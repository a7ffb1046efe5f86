"""``HANDS.SUPPRESS_CONTAINED``: hands lying inside higher-scoring hands are dropped."""

import cv2
import numpy as np
import pytest
from conftest import ROOT

from d2hands.runtime.hands import Hands

SIZE = (50, 60)


def square(top, left, side, extra=()):
    mask = np.zeros(SIZE, bool)
    mask[top:top + side, left:left + side] = True
    for t, lft, s in extra:
        mask[t:t + s, lft:lft + s] = True
    return mask


def constructed_hands():
    """Five hands, listed out of score order; what each fraction keeps is worked out below."""
    masks = {
        "half_out": square(0, 15, 10),  # 10 x 10 at columns 15-24: columns 15-19 inside "whole"
        "whole": square(0, 0, 20),  # 20 x 20, the highest score
        "fragment": square(5, 5, 10),  # wholly inside "whole"
        "apart": square(30, 30, 10),  # overlaps nothing
        "bridge": square(15, 15, 5, [(30, 30, 5)]),  # 5 x 5 inside "whole", 5 x 5 inside "apart"
    }
    scores = {"half_out": 0.6, "whole": 0.9, "fragment": 0.8, "apart": 0.7, "bridge": 0.5}
    names = list(masks)
    boxes = np.zeros((len(names), 4), np.float32)
    return names, Hands(np.stack([masks[n] for n in names]), boxes,
                       np.array([scores[n] for n in names], np.float32))


@pytest.mark.parametrize(("fraction", "kept"), [
    # "half_out" has 50 of its 100 pixels inside "whole": dropped from 0.5 on, kept above.
    # "bridge" lies inside no single hand but wholly inside "whole" and "apart" together.
    (0.5, ["whole", "apart"]),
    (0.6, ["half_out", "whole", "apart"]),
    (1.0, ["half_out", "whole", "apart"]),
])
def test_hands_inside_higher_scoring_ones_are_dropped(fraction, kept):
    names, hands = constructed_hands()
    out = hands.without_contained(fraction)
    assert [names[k] for k in range(len(names)) if any(
        np.array_equal(hands.masks[k], m) for m in out.masks)] == kept
    assert len(out) == len(kept)
    np.testing.assert_array_equal(np.sort(out.scores), np.sort(
        [hands.scores[names.index(n)] for n in kept]))


def test_off_keeps_every_hand():
    _, hands = constructed_hands()
    assert hands.without_contained(0.0) is hands


def test_a_score_threshold_before_or_after_gives_the_same_hands():
    _, hands = constructed_hands()
    for thresh in (0.55, 0.65, 0.75, 0.85):
        before = hands.above(thresh).without_contained(0.6)
        after = hands.without_contained(0.6).above(thresh)
        np.testing.assert_array_equal(before.scores, after.scores)


def test_detectron2_instances_are_filtered_alike():
    import torch
    from detectron2.structures import Boxes, Instances

    from d2hands.modeling.contained import suppress_contained

    _, hands = constructed_hands()
    instances = Instances(SIZE)
    instances.pred_masks = torch.from_numpy(hands.masks)
    instances.pred_boxes = Boxes(torch.from_numpy(hands.boxes))
    instances.scores = torch.from_numpy(hands.scores)
    instances.pred_classes = torch.zeros(len(hands), dtype=torch.int64)
    out = suppress_contained(instances, 0.6)
    np.testing.assert_allclose(out.scores.numpy(), [0.9, 0.7, 0.6])  # by score, as detectron2
    assert out.pred_masks.shape == (3, *SIZE)


def inside_fraction(mask, others):
    union = np.zeros_like(mask)
    for other in others:
        union |= other
    return (mask & union).sum() / mask.sum()


@pytest.mark.slow
def test_the_predictor_keeps_no_hand_inside_higher_scoring_ones(real_data):
    from d2hands import HandsPredictor

    photos = sorted((real_data / "own_hands_50" / "images").glob("*.jpg"))[:6]
    plain = HandsPredictor.default(score_thresh=0.05)
    suppressing = HandsPredictor.default(["HANDS.SUPPRESS_CONTAINED", "0.6"], score_thresh=0.05)
    dropped = 0
    for photo in photos:
        image = cv2.imread(str(photo))
        every, kept = plain(image), suppressing(image)
        kept_ids = [next(i for i in range(len(every)) if np.array_equal(every.masks[i], m))
                    for m in kept.masks]
        for i in range(len(every)):  # every is sorted by score: higher ones come first
            higher_kept = [every.masks[j] for j in kept_ids if j < i]
            fraction = inside_fraction(every.masks[i], higher_kept) if every.masks[i].any() else 0
            assert (i in kept_ids) == (fraction < 0.6), (photo.name, i, fraction)
        dropped += len(every) - len(kept)
    assert dropped >= 1  # at 0.05 the default model repeats itself somewhere


@pytest.mark.parametrize(("value", "valid"), [
    (0, True), (0.0, True), (0.6, True), (1, True), (1.0, True),
    (-0.1, False), (1.5, False), (float("nan"), False), (float("inf"), False),
    (True, False), ("0.6", False), (None, False)])
def test_one_check_decides_what_a_fraction_is(value, valid):
    from d2hands.errors import ConfigError
    from d2hands.evaluation.contained_results import check_contained_fraction
    from d2hands.evaluation.errors import EvaluationInputError
    from d2hands.modeling.contained import contained_fraction
    from d2hands.runtime.hands import is_contained_fraction

    assert is_contained_fraction(value) is valid
    cfg = {"HANDS": {"SUPPRESS_CONTAINED": value}}
    if valid:
        assert contained_fraction(cfg) == float(value)
        check_contained_fraction(value)
    else:
        with pytest.raises(ConfigError):
            contained_fraction(cfg)
        with pytest.raises(EvaluationInputError, match=r"must be a number in \[0, 1\]"):
            check_contained_fraction(value)


def test_a_fraction_outside_0_to_1_is_refused_by_name(tmp_path):
    from d2hands import HandsPredictor
    from d2hands.errors import ConfigError

    with pytest.raises(ConfigError, match=r"HANDS.SUPPRESS_CONTAINED must be a number in \[0, 1\]"):
        HandsPredictor.from_config(str(ROOT / "d2hands" / "model_zoo" / "hands_default.yaml"),
                                   str(ROOT / "d2hands" / "model_zoo" / "hands_default.pth"),
                                   ["HANDS.SUPPRESS_CONTAINED", "1.5"])


def test_an_export_stores_the_option():
    from d2hands.engine import build_cfg
    from d2hands.predict.export_graph import model_metadata

    cfg = build_cfg(str(ROOT / "d2hands" / "model_zoo" / "hands_default.yaml"),
                    ["HANDS.SUPPRESS_CONTAINED", "0.6"])
    assert model_metadata(cfg, "instance")["suppress_contained"] == 0.6
