"""Compositing: occlusion labels, fragments, negatives, determinism, errors, one real step.

Expected labels come from the pixels of the composed image (each pasted hand has its own solid
colour, pasted unrotated and unscaled, so the visible pixels of a hand are exactly the pixels
of its colour), not from the compositing code.
"""

import json

import cv2
import numpy as np
import pytest
import torch
from conftest import toy_train_cfg
from pycocotools import mask as mask_utils

from d2hands.data.compositing import (
    BackgroundPool,
    CompositeConfigError,
    CompositeSettings,
    Cutout,
    compose,
    cut_out,
)

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]  # BGR: blue, green, red
BACKGROUND = (40, 40, 40)


def solid_hand(colour, size=40, seed=0):
    """A cut-out whose every label pixel has one colour: a rectangle with a notch."""
    rng = np.random.default_rng(seed)
    label = np.zeros((size, size), bool)
    label[2:-2, 2:-2] = True
    label[int(rng.integers(5, 15)):, size // 2 - 3:size // 2 + 3] = False  # a gap between fingers
    bgr = np.zeros((size, size, 3), np.uint8)
    bgr[:] = (7, 7, 7)
    bgr[label] = colour
    return Cutout(bgr=bgr, alpha=label.astype(np.float32), label=label)


def exact_settings(**changes):
    """No jitter that alters colours or geometry, hard edges: pasted pixels keep their colour."""
    values = dict(hue=0.0, saturation=0.0, brightness=0.0, contrast=0.0, blur_prob=0.0,
                  feather=0.0, noise_prob=0.0, jpeg_prob=0.0, gray_prob=0.0, rotation=(0, 0),
                  hand_size=(36 / 64, 36 / 64), outside=0.2, min_area=1, size=(64, 80))
    values.update(changes)
    return CompositeSettings(**values)


def colour_masks(image, colours):
    return [np.all(image == np.array(c, np.uint8), axis=-1) for c in colours]


@pytest.mark.parametrize("seed", range(6))
def test_occluded_masks_equal_the_visible_pixels_of_each_hand(seed):
    settings = exact_settings()
    background = np.full((64, 80, 3), BACKGROUND, np.uint8)
    cuts = [solid_hand(c, seed=k) for k, c in enumerate(COLOURS)]
    image, masks = compose(background, cuts, np.random.default_rng(seed), settings)
    visible = colour_masks(image, COLOURS)
    expected = [v for v in visible if v.sum() >= 1]
    assert len(masks) == len(expected)
    for got, want in zip(masks, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    # Every image pixel is a hand's colour, the background's or a pasted non-hand pixel.
    known = np.any(np.stack(visible), axis=0) | np.all(image == BACKGROUND, axis=-1)
    assert known.mean() > 0.95


def test_fragments_below_min_area_are_dropped():
    background = np.full((64, 80, 3), BACKGROUND, np.uint8)
    cuts = [solid_hand(c, seed=k) for k, c in enumerate(COLOURS)]
    found_drop = False
    for seed in range(40):
        loose = compose(background, cuts, np.random.default_rng(seed), exact_settings())[1]
        image, masks = compose(background, cuts, np.random.default_rng(seed),
                               exact_settings(min_area=200))
        areas = [int(v.sum()) for v in colour_masks(image, COLOURS)]
        assert [int(m.sum()) for m in masks] == [a for a in areas if a >= 200]
        found_drop |= len(masks) < len(loose)
    assert found_drop, "no seed occluded a hand below 200 px; the test proves nothing"


def test_cut_out_uses_the_mask_and_leaves_other_hands(tmp_path):
    image = np.zeros((50, 60, 3), np.uint8)
    first, second = np.zeros((50, 60), np.uint8), np.zeros((50, 60), np.uint8)
    first[5:20, 5:25], second[30:45, 30:55] = 1, 1
    image[first > 0], image[second > 0] = (10, 200, 30), (200, 10, 30)
    path = tmp_path / "two.png"
    cv2.imwrite(str(path), image)
    annotations = [{"segmentation": mask_utils.encode(np.asfortranarray(m))} for m in
                   (first, second)]
    for a in annotations:
        a["segmentation"]["counts"] = a["segmentation"]["counts"].decode()
    record = {"file_name": str(path), "height": 50, "width": 60, "annotations": annotations}
    cut = cut_out(record, 1)
    assert cut.label.sum() == second.sum() == cut.alpha.sum()
    assert np.all(cut.bgr[cut.label] == (200, 10, 30))
    assert not np.any(np.all(cut.bgr == (10, 200, 30), axis=-1))


def test_settings_refuse_unusable_values(tmp_path):
    with pytest.raises(CompositeConfigError, match="HANDS_PER_IMAGE"):
        CompositeSettings(hands_per_image=(3, 1))
    with pytest.raises(CompositeConfigError, match="NEGATIVE_PROB"):
        CompositeSettings(negative_prob=1.5)
    with pytest.raises(CompositeConfigError, match="not a folder"):
        BackgroundPool([str(tmp_path / "missing")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompositeConfigError, match="holds no images"):
        BackgroundPool([str(tmp_path / "empty")])


def lab(bgr):
    return cv2.cvtColor(np.array([[bgr]], np.uint8), cv2.COLOR_BGR2LAB)[0, 0].astype(float)


@pytest.mark.parametrize("strength", [0.0, 0.5, 1.0])
def test_match_light_moves_the_hand_towards_its_surroundings(strength):
    hand_colour, scene = (60, 90, 180), (200, 190, 170)
    settings = exact_settings(match_light=(strength, strength))
    rng = np.random.default_rng(0)
    image, masks = compose(np.full((64, 80, 3), scene, np.uint8),
                           [solid_hand(hand_colour)], rng, settings)
    pixels = image[masks[0]].astype(float)
    # Expected by hand: Lab of the two pure colours, L moved `strength` of the way, a and b a third.
    before, around = lab(hand_colour), lab(scene)
    expected = before + strength * (around - before) * np.array([1, 1 / 3, 1 / 3])
    got = lab(np.round(pixels.mean(axis=0)).astype(np.uint8))
    assert np.abs(got - expected).max() <= 2.5, (got, expected)
    if strength == 0.0:
        assert np.all(pixels == hand_colour), "off: the hand is pasted exactly"
    with pytest.raises(CompositeConfigError, match="MATCH_LIGHT"):
        exact_settings(match_light=(0.6, 0.2))


# --- through the training loader ---------------------------------------------------------


def loader_cfg(toy_sets, *extra):
    return toy_train_cfg(toy_sets, "HANDS.COMPOSITE.ENABLED", "True", "HANDS.COMPOSITE.SIZE",
                         "[96, 128]", *extra)


def first_batches(cfg, count=3):
    from detectron2.utils.env import seed_all_rng

    from d2hands.data import build_replicated_train_loader

    seed_all_rng(cfg.SEED)
    batches = []
    for batch in build_replicated_train_loader(cfg):
        batches.append(batch)
        if len(batches) == count:
            return batches
    return batches


def same_batches(a, b):
    for batch_a, batch_b in zip(a, b, strict=True):
        for x, y in zip(batch_a, batch_b, strict=True):
            if not torch.equal(x["image"], y["image"]):
                return False
            ma, mb = x["instances"], y["instances"]
            if len(ma) != len(mb) or (len(ma) and not torch.equal(ma.gt_masks.tensor,
                                                                  mb.gt_masks.tensor)):
                return False
    return True


@pytest.mark.parametrize("workers", [0, 2])
def test_composites_are_deterministic_for_a_seed(toy_sets, workers):
    opts = ["DATALOADER.NUM_WORKERS", str(workers)]
    a = first_batches(loader_cfg(toy_sets, *opts, "SEED", "3"))
    b = first_batches(loader_cfg(toy_sets, *opts, "SEED", "3"))
    c = first_batches(loader_cfg(toy_sets, *opts, "SEED", "4"))
    assert all(x.get("composite") for batch in a for x in batch)
    assert same_batches(a, b)
    assert not same_batches(a, c)


@pytest.mark.parametrize("jitter", ["False", "True"])
def test_negatives_carry_no_annotations(toy_sets, jitter):
    batches = first_batches(loader_cfg(toy_sets, "HANDS.COMPOSITE.NEGATIVE_PROB", "1.0",
                                       "HANDS.SCALE_JITTER.ENABLED", jitter))
    items = [x for batch in batches for x in batch]
    assert items and all(x.get("composite") and len(x["instances"]) == 0 for x in items)
    assert all("annotations" not in x and x["instances"].gt_masks.tensor.shape[0] == 0
               for x in items)


def test_only_the_named_sets_are_composited(toy_sets):
    cfg = loader_cfg(toy_sets, "HANDS.COMPOSITE.DATASETS", '["toy_real"]',
                     "DATASETS.REPLICATION", '[["toy_real", 3.0]]')
    items = [x for batch in first_batches(cfg, 6) for x in batch]
    composites = [x for x in items if x.get("composite")]
    assert composites and len(composites) < len(items)
    assert all(x["dataset_name"] == "toy_real" for x in composites)
    assert all(x["dataset_name"] == "toy_synth" for x in items if not x.get("composite"))


def test_scale_jitter_gives_fixed_size_inputs_with_tight_boxes(toy_sets):
    cfg = loader_cfg(toy_sets, "HANDS.COMPOSITE.ENABLED", "False", "HANDS.SCALE_JITTER.ENABLED",
                     "True", "HANDS.SCALE_JITTER.SIZE", "[80, 112]")
    for batch in first_batches(cfg):
        for item in batch:
            assert tuple(item["image"].shape[1:]) == (80, 112)
            inst = item["instances"]
            for box, mask in zip(inst.gt_boxes.tensor, inst.gt_masks.tensor, strict=True):
                ys, xs = np.nonzero(mask.numpy())
                assert box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


@pytest.mark.slow
def test_training_steps_run_on_composites(toy_sets, tmp_path):
    from d2hands.engine.trainer import HandsTrainer

    cfg = loader_cfg(toy_sets, "SOLVER.MAX_ITER", "4", "OUTPUT_DIR", str(tmp_path),
                     "HANDS.COMPOSITE.NEGATIVE_PROB", "0.5", "SOLVER.CHECKPOINT_PERIOD", "100",
                     "HANDS.SCALE_JITTER.ENABLED", "True", "HANDS.SCALE_JITTER.SIZE", "[96, 128]")
    trainer = HandsTrainer(cfg)
    trainer.resume_or_load(resume=False)
    trainer.train()
    losses = trainer.storage.history("total_loss").values()
    assert len(losses) == 4 and all(np.isfinite(v) for v, _ in losses)


@pytest.mark.parametrize("composite", ["False", "True"])
def test_scale_jitter_padding_belongs_to_no_hand(toy_sets, composite):
    """A downscaled image is padded to SIZE: the padding must be in no hand's mask or box."""
    size = (120, 160)  # twice the half-size image, so every input is padded
    cfg = loader_cfg(toy_sets, "HANDS.COMPOSITE.ENABLED", composite, "INPUT.RANDOM_FLIP",
                     "none", "HANDS.SCALE_JITTER.ENABLED", "True", "HANDS.SCALE_JITTER.SIZE",
                     json.dumps(list(size)), "HANDS.SCALE_JITTER.MIN_SCALE", "0.5",
                     "HANDS.SCALE_JITTER.MAX_SCALE", "0.5", "HANDS.COMPOSITE.NEGATIVE_PROB", "0.0")
    checked = 0
    for item in (x for batch in first_batches(cfg) for x in batch):
        source_h, source_w = item["height"], item["width"]  # the record's (or composite's)
        scale = min(0.5 * size[0] / source_h, 0.5 * size[1] / source_w)
        inside_h, inside_w = round(source_h * scale), round(source_w * scale)
        assert inside_h < size[0] and inside_w < size[1]
        inst = item["instances"]
        for box, mask in zip(inst.gt_boxes.tensor.tolist(), inst.gt_masks.tensor.numpy(),
                             strict=True):
            assert mask.any() and not mask[inside_h + 1:].any() and not mask[:, inside_w + 1:].any()
            assert box[2] <= inside_w + 1 and box[3] <= inside_h + 1
            checked += 1
    assert checked
