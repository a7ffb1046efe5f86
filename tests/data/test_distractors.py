"""Distractors and blend modes: pasted like hands, never labelled, and labels stay exact."""

import numpy as np
import pytest
from test_compositing import BACKGROUND, COLOURS, colour_masks, exact_settings, solid_hand

from d2hands.data.compositing import CompositeConfigError, Cutout, compose
from d2hands.data.compositing.compositor import Compositor
from d2hands.data.compositing.distractors import blob_mask, make_distractor, recolour

DISTRACTOR_COLOUR = (0, 255, 255)


class OneBackground:
    """A background pool that always gives one flat colour (the test's independent truth)."""

    def __init__(self, colour):
        self.colour = colour

    def draw(self, rng, height, width):
        return np.full((height, width, 3), self.colour, np.uint8)


class Bank:
    def __init__(self, cuts):
        self.cuts = cuts

    def __len__(self):
        return len(self.cuts)

    def draw(self, rng):
        return self.cuts[int(rng.integers(0, len(self.cuts)))]


@pytest.mark.parametrize("seed", range(5))
def test_a_distractor_covers_hands_but_is_never_one(seed):
    rng = np.random.default_rng(seed)
    distractor = solid_hand(DISTRACTOR_COLOUR, seed=9)
    distractor = Cutout(distractor.bgr, distractor.alpha, np.zeros_like(distractor.label))
    cuts = [solid_hand(COLOURS[0]), distractor, solid_hand(COLOURS[1], seed=1)]
    background = np.full((64, 80, 3), BACKGROUND, np.uint8)
    image, masks = compose(background, cuts, rng, exact_settings())
    visible = [v for v in colour_masks(image, COLOURS[:2]) if v.any()]
    assert len(masks) == len(visible)  # the distractor adds no mask
    for got, want in zip(masks, visible, strict=True):
        np.testing.assert_array_equal(got, want)  # and the hand under it lost what it covers
    assert colour_masks(image, [DISTRACTOR_COLOUR])[0].any()


@pytest.mark.parametrize("mode", ["none", "feather", "gaussian", "poisson"])
def test_every_blend_mode_keeps_the_label_and_the_pixels_around_the_paste(mode):
    hand = solid_hand(COLOURS[2], size=40)
    settings = exact_settings(blend_modes=(mode,), feather=1.0, outside=0.0)
    background = np.full((64, 80, 3), BACKGROUND, np.uint8)
    image, masks = compose(background, [hand], np.random.default_rng(3), settings)
    _, exact = compose(background, [hand], np.random.default_rng(3),
                       exact_settings(outside=0.0))
    np.testing.assert_array_equal(masks[0], exact[0])  # where the hand is does not change
    far = np.ones((64, 80), bool)
    ys, xs = np.nonzero(masks[0])
    far[max(ys.min() - 8, 0):ys.max() + 9, max(xs.min() - 8, 0):xs.max() + 9] = False
    assert (image[far] == BACKGROUND).all()
    if mode == "poisson":  # colours are matched to the background: not the pasted red
        assert not (image[masks[0]] == COLOURS[2]).all(axis=-1).all()


def test_distractors_are_made_of_background_shapes_and_skin_colours():
    rng = np.random.default_rng(0)
    hand = solid_hand((60, 120, 200))
    kinds = set()
    for _ in range(30):
        cut = make_distractor(rng, OneBackground((200, 100, 50)), Bank([hand]))
        assert not cut.label.any() and cut.alpha.max() == 1.0
        inside = cut.bgr[cut.alpha > 0.5]
        kinds.add("skin" if np.allclose(inside.mean(axis=0), (60, 120, 200), atol=2) else
                  "texture" if np.allclose(inside.mean(axis=0), (200, 100, 50), atol=2) else "?")
    assert kinds == {"skin", "texture"}
    shapes_only = {make_distractor(rng, OneBackground((200, 100, 50)), Bank([hand]),
                                   ("blob", "silhouette")).bgr.mean() for _ in range(10)}
    assert shapes_only == {float(np.mean((200, 100, 50)))}, "no skin-coloured blob"
    assert 0.05 < blob_mask(rng).mean() < 0.9
    flat = np.full((4, 4, 3), 100, np.uint8)
    assert (recolour(flat, np.array([10.0, 20.0, 30.0])) == (10, 20, 30)).all()


def test_a_compositor_with_distractors_only_makes_negatives():
    settings = exact_settings(hands_per_image=(0, 0), negative_prob=1.0, distractors=(3, 3))
    compositor = Compositor(settings, Bank([solid_hand(COLOURS[0])]), OneBackground(BACKGROUND))
    image, annotations = compositor.make({"annotations": []}, np.random.default_rng(1))
    assert annotations == []
    assert (image != BACKGROUND).any(axis=-1).mean() > 0.02  # something was pasted


@pytest.mark.parametrize("changes, words", [({"distractors": (2, 1)}, "DISTRACTORS"),
                                            ({"blend_modes": ("blur",)}, "BLEND_MODES"),
                                            ({"blend_modes": ()}, "BLEND_MODES"),
                                            ({"distractor_kinds": ("skin",)}, "DISTRACTOR_KINDS"),
                                            ({"distractor_kinds": ()}, "DISTRACTOR_KINDS")])
def test_unusable_distractor_settings_name_their_key(changes, words):
    with pytest.raises(CompositeConfigError, match=words):
        exact_settings(**changes)


def test_solid_distractors_are_shaded_objects_of_many_colours():
    rng = np.random.default_rng(4)
    flat = OneBackground((120, 120, 120))  # a flat texture: all variation is the shading's
    hues = []
    for _ in range(30):
        cut = make_distractor(rng, flat, Bank([solid_hand(COLOURS[0])]), ("solid",))
        assert not cut.label.any() and cut.alpha.max() == 1.0
        inside = cut.bgr[cut.alpha > 0.5].astype(float)
        assert inside.std(axis=0).max() > 5, "lit like a solid, not flat"
        mean = inside.mean(axis=0)
        hues.append(np.degrees(np.arctan2(np.sqrt(3) * (mean[1] - mean[0]),
                                          2 * mean[2] - mean[1] - mean[0])) % 360)
    spread = np.sort(hues)
    assert np.diff(np.concatenate([spread, [spread[0] + 360]])).max() < 120, "many hues"
