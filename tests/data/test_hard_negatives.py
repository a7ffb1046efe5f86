"""Hard negatives: hand-free crops of training photos (HANDS.HARD_NEGATIVES)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from conftest import toy_train_cfg
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


def test_a_hard_negative_is_a_hand_free_crop_in_place_on_grey(toy_sets):
    from detectron2.data import DatasetCatalog

    from d2hands.data.hard_negatives import hard_negative

    toy_train_cfg(toy_sets)  # registers the sets
    settings = HardNegativeSettings(("toy_real",), (0.4, 0.5), 0.05)
    for seed, record in enumerate(DatasetCatalog.get("toy_real")):
        image, (x0, y0, x1, y1) = hard_negative(record, settings, np.random.default_rng(seed))
        photo = cv2.imread(record["file_name"])
        hands = np.zeros(photo.shape[:2], bool)
        for ann in record["annotations"]:
            hands |= mask_utils.decode(ann["segmentation"]).astype(bool)
        assert image.shape == photo.shape
        assert not grown(hands, 3)[y0:y1, x0:x1].any()  # margin 0.05 x 96 px: ~5 px
        side = np.sqrt((x1 - x0) * (y1 - y0))
        assert 0.4 * 96 - 1 <= side <= 0.5 * 96 + 1
        assert np.array_equal(image[y0:y1, x0:x1], photo[y0:y1, x0:x1])
        outside = np.ones(photo.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        assert (image[outside] == 128).all()


def test_the_mapper_gives_hard_negatives_without_labels(toy_sets):
    from detectron2.data import DatasetCatalog

    from d2hands.data.hard_negatives import hard_negative_settings
    from d2hands.data.train_mapper import HandsTrainMapper

    cfg = toy_train_cfg(toy_sets, "HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]',
                        "INPUT.FORMAT", "BGR")
    settings = hard_negative_settings(cfg, list(cfg.DATASETS.TRAIN))
    mapper = HandsTrainMapper(cfg, augmentations=[], negatives=settings)
    for record in DatasetCatalog.get("toy_real"):
        mapped = mapper(dict(record, dataset_name="toy_real"))
        assert mapped["hard_negative"] and len(mapped["instances"]) == 0
        assert tuple(mapped["image"].shape[1:]) == (record["height"], record["width"])


def test_other_sets_map_exactly_as_without_hard_negatives(toy_sets):
    from detectron2.data import DatasetCatalog

    from d2hands.data.train_mapper import build_train_mapper

    extra = ["HANDS.COMPOSITE.ENABLED", "True", "HANDS.COMPOSITE.DATASETS", '["toy_synth"]',
             "HANDS.COMPOSITE.SIZE", "[96, 128]", "HANDS.SCALE_JITTER.ENABLED", "True"]
    plain = toy_train_cfg(toy_sets, *extra)
    negatives = toy_train_cfg(toy_sets, *extra, "HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]')
    records = [dict(r, dataset_name="toy_synth") for r in DatasetCatalog.get("toy_synth")[:4]]
    mapped = []
    for cfg in (plain, negatives):
        mapper = build_train_mapper(cfg, records, [1.0] * len(records))
        np.random.seed(7)
        mapped.append([mapper(dict(r)) for r in records])
    for a, b in zip(*mapped, strict=True):
        assert torch.equal(a["image"], b["image"])
        assert torch.equal(a["instances"].gt_masks.tensor, b["instances"].gt_masks.tensor)


@pytest.mark.parametrize("opts, message", [
    (["HANDS.HARD_NEGATIVES.DATASETS", '["elsewhere"]'], "not in DATASETS.TRAIN"),
    (["HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]', "HANDS.HARD_NEGATIVES.CROP", "[0.6, 0.2]"],
     "CROP"),
    (["HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]', "HANDS.HARD_NEGATIVES.MARGIN", "-0.5"],
     "MARGIN"),
    (["HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]', "HANDS.HARD_NEGATIVES.CROP", "[0.05, 0.2]"],
     "CROP"),
    (["HANDS.HARD_NEGATIVES.DATASETS", '["toy_real"]', "HANDS.COMPOSITE.ENABLED", "True"],
     "both composited and hard negatives"),
])
def test_unusable_settings_are_refused(toy_sets, opts, message):
    from d2hands.data.hard_negatives import hard_negative_settings

    cfg = toy_train_cfg(toy_sets, *opts)
    with pytest.raises(CompositeConfigError, match=message):
        hard_negative_settings(cfg, list(cfg.DATASETS.TRAIN))
