"""Hard negatives: hand-free crops of training photos (HANDS.HARD_NEGATIVES)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from d2hands.data.compositing.settings import CompositeConfigError
from d2hands.data.hard_negatives import HardNegativeSettings, hand_free_window


def grown(mask, pixels):
    """The mask grown by ``pixels`` in every direction (a square reach, wider than a disc)."""
    out = mask.copy()
    ys, xs = np.nonzero(mask)
    for y, x in zip(ys, xs, strict=True):
        out[max(0, y - pixels):y + pixels + 1, max(0, x - pixels):x + pixels + 1] = True
    return out


@pytest.mark.parametrize("seed", range(6))
def test_windows_keep_clear_of_the_hands_and_their_margin(seed):
    rng = np.random.default_rng(seed)
    mask = np.zeros((90, 120), bool)
    mask[30:60, 10:40] = True  # one hand on the left
    settings = HardNegativeSettings(("x",), (0.3, 0.5), 0.1)  # margin: 9 px
    window = hand_free_window(mask, settings, rng)
    assert window is not None
    x0, y0, x1, y1 = window
    assert 0 <= x0 < x1 <= 120 and 0 <= y0 < y1 <= 90
    # An ellipse of radius 9 reaches at least 6 px diagonally: nothing within 6 px of the hand.
    assert not grown(mask, 6)[y0:y1, x0:x1].any()
    assert min(x1 - x0, y1 - y0) >= 8


def test_windows_lie_next_to_the_hand():
    mask = np.zeros((200, 200), bool)
    mask[80:120, 0:30] = True
    settings = HardNegativeSettings(("x",), (0.3, 0.3), 0.02)
    centres = []
    for seed in range(10):
        x0, y0, x1, y1 = hand_free_window(mask, settings, np.random.default_rng(seed))
        centres.append(np.hypot((x0 + x1) / 2 - 15, (y0 + y1) / 2 - 100))
    # Free windows lie up to ~170 px from the hand; the nearest of 64 tried are within ~70.
    assert np.median(centres) < 80


def test_no_window_where_the_hands_fill_the_photo():
    mask = np.ones((60, 80), bool)
    assert hand_free_window(mask, HardNegativeSettings(("x",)), np.random.default_rng(0)) is None


def test_smaller_windows_are_tried_when_large_ones_do_not_fit():
    mask = np.ones((100, 100), bool)
    mask[:25, :25] = False  # a free corner of a quarter of the side
    settings = HardNegativeSettings(("x",), (0.6, 0.6), 0.0)
    x0, y0, x1, y1 = hand_free_window(mask, settings, np.random.default_rng(0))
    assert x1 <= 25 and y1 <= 25


def toy_cfg(toy_sets, *extra):
    from d2hands.engine import build_cfg

    (synth_json, synth_images), (real_json, real_images) = toy_sets["synth"], toy_sets["real"]
    register = [["toy_synth", str(synth_json), str(synth_images)],
                ["toy_real", str(real_json), str(real_images)]]
    return build_cfg("configs/hands_tiny_cpu.yaml", [
        "DATASETS.REGISTER", json.dumps(register), "DATASETS.TRAIN", '("toy_synth", "toy_real")',
        *extra])


def test_a_hard_negative_is_a_hand_free_window_of_the_photo(toy_sets):
    from detectron2.data import DatasetCatalog

    from d2hands.data.hard_negatives import hard_negative_settings
    from d2hands.data.train_mapper import HandsTrainMapper

    cfg = toy_cfg(toy_sets, "HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]',
                  "HANDS.HARD_NEGATIVES.CROP", "[0.4, 0.5]", "INPUT.FORMAT", "BGR")
    settings = hard_negative_settings(cfg, list(cfg.DATASETS.TRAIN))
    mapper = HandsTrainMapper(cfg, augmentations=[], negatives=settings)
    records = [dict(r, dataset_name="toy_real") for r in DatasetCatalog.get("toy_real")]
    for record in records:
        mapped = mapper(dict(record))
        assert mapped["hard_negative"] and len(mapped["instances"]) == 0
        crop = mapped["image"].numpy().transpose(1, 2, 0)
        photo = cv2.imread(record["file_name"])
        hands = np.zeros(photo.shape[:2], bool)
        for ann in record["annotations"]:
            hands |= mask_utils.decode(ann["segmentation"]).astype(bool)
        # Where in the photo the crop came from: the exact match of its pixels.
        score = cv2.matchTemplate(photo, crop, cv2.TM_SQDIFF)
        y, x = np.unravel_index(np.argmin(score), score.shape)
        height, width = crop.shape[:2]
        assert np.array_equal(photo[y:y + height, x:x + width], crop)
        assert not hands[y:y + height, x:x + width].any()
        assert 0.4 * 96 - 1 <= max(height, width) and min(height, width) <= 0.5 * 96 * 1.16


def test_other_sets_are_mapped_as_usual(toy_sets):
    from d2hands.data import build_replicated_train_loader

    cfg = toy_cfg(toy_sets, "HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]',
                  "DATASETS.REPLICATION", '[["toy_real", 3.0]]')
    items = []
    for batch in build_replicated_train_loader(cfg):
        items += batch
        if len(items) >= 12:
            break
    negatives = [x for x in items if x.get("hard_negative")]
    assert negatives and all(x["dataset_name"] == "toy_real" for x in negatives)
    assert all(len(x["instances"]) == 0 for x in negatives)
    assert all(len(x["instances"]) > 0 for x in items if x["dataset_name"] == "toy_synth")


@pytest.mark.parametrize("opts, message", [
    (["HANDS.HARD_NEGATIVES.DATASETS", '["elsewhere"]'], "not in DATASETS.TRAIN"),
    (["HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]', "HANDS.HARD_NEGATIVES.CROP", "[0.6, 0.2]"],
     "CROP"),
    (["HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]', "HANDS.HARD_NEGATIVES.MARGIN", "-0.5"],
     "MARGIN"),
])
def test_unusable_settings_are_refused(toy_sets, opts, message):
    from d2hands.data.hard_negatives import hard_negative_settings

    cfg = toy_cfg(toy_sets, *opts)
    with pytest.raises(CompositeConfigError, match=message):
        hard_negative_settings(cfg, list(cfg.DATASETS.TRAIN))
