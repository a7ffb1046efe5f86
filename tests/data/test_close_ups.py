"""Close-ups (``HANDS.COMPOSITE.CLOSE_UP_PROB``): now and then a paste from a second size range.

The pasted size is measured on the composed image (one solid-coloured hand on a grey canvas:
the hand's pixels are exactly the pixels of its colour), not read from the compositing code.
"""

import numpy as np
import pytest
from detectron2.config import get_cfg

from d2hands.config import add_hands_config
from d2hands.data.compositing import CompositeConfigError, CompositeSettings, Cutout, compose
from d2hands.data.compositing.paste import paste_size
from d2hands.data.compositing.settings import settings_from_cfg

HEIGHT, WIDTH = 100, 140
RED = (0, 0, 255)
# The box is scaled between pixel centres and resampled: a side lands a pixel or two short
TOL = 2.5


def square(colour=RED, labelled=True):
    """A 40 x 40 cut-out whose 36 x 36 opaque square has one colour (no label: a distractor)."""
    shape = np.zeros((40, 40), bool)
    shape[2:-2, 2:-2] = True
    bgr = np.zeros((40, 40, 3), np.uint8)
    bgr[shape] = colour
    return Cutout(bgr=bgr, alpha=shape.astype(np.float32),
                  label=shape if labelled else np.zeros_like(shape))


def settings(**changes):
    """Exact pastes (no jitter, hard edges, upright, inside the frame) of two known sizes."""
    values = dict(hue=0.0, saturation=0.0, brightness=0.0, contrast=0.0, blur_prob=0.0,
                  feather=0.0, noise_prob=0.0, jpeg_prob=0.0, gray_prob=0.0, rotation=(0, 0),
                  flip_prob=0.0, outside=0.0, min_area=1, size=(HEIGHT, WIDTH),
                  hand_size=(0.2, 0.2), close_up_size=(0.8, 0.8))
    values.update(changes)
    return CompositeSettings(**values)


def side_of(image, colour):
    """The longer side (px) of the box of the pixels of one colour."""
    ys, xs = np.nonzero(np.all(image == colour, axis=-1))
    return max(ys.max() - ys.min(), xs.max() - xs.min()) + 1


def pasted_side(seed, **changes):
    """The longer side (px) of the red pixels' box after pasting one square hand."""
    background = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    image = compose(background, [square()], np.random.default_rng(seed), settings(**changes))[0]
    return side_of(image, RED)


def test_close_ups_take_the_close_up_size():
    sides = {pasted_side(seed, close_up_prob=1.0) for seed in range(5)}
    assert all(abs(side - 0.8 * HEIGHT) <= TOL for side in sides), sides


def test_without_close_ups_every_hand_keeps_hand_size():
    sides = {pasted_side(seed, close_up_prob=0.0) for seed in range(20)}
    assert all(abs(side - 0.2 * HEIGHT) <= TOL for side in sides), sides


def test_close_ups_come_with_their_probability():
    draws = 400
    sides = [pasted_side(seed, close_up_prob=0.25) for seed in range(draws)]
    close = sum(abs(side - 0.8 * HEIGHT) <= TOL for side in sides)
    small = sum(abs(side - 0.2 * HEIGHT) <= TOL for side in sides)
    assert close + small == draws
    # Binomial(400, 0.25): mean 100, sd ~8.7; 3 sd either side
    assert 74 <= close <= 126, close


def test_distractors_become_close_ups_too_each_paste_drawn_alone():
    green = (0, 255, 0)
    background = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    pairs = set()
    for seed in range(60):
        image = compose(background, [square(), square(green, labelled=False)],
                        np.random.default_rng(seed), settings(close_up_prob=0.5))[0]
        visible = [np.all(image == c, axis=-1).any() for c in (RED, green)]
        if not all(visible):
            continue  # the later paste covered the hand whole
        pairs.add(tuple(abs(side_of(image, c) - 0.8 * HEIGHT) <= TOL for c in (RED, green)))
    # hand and distractor each a close-up or not, independently: all four pairs occur
    assert pairs == {(False, False), (False, True), (True, False), (True, True)}


def test_without_close_ups_no_random_number_is_drawn():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    assert paste_size(rng, CompositeSettings()) == (0.15, 0.6)
    assert rng.bit_generator.state == state


def hands_cfg():
    """A detectron2 config with the d2hands keys at their defaults."""
    cfg = get_cfg()
    add_hands_config(cfg)
    return cfg


def test_close_up_settings_are_read_and_checked():
    cfg = hands_cfg()
    assert cfg.HANDS.COMPOSITE.CLOSE_UP_PROB == 0.0  # off unless asked for
    cfg.HANDS.COMPOSITE.CLOSE_UP_PROB = 0.1
    cfg.HANDS.COMPOSITE.CLOSE_UP_SIZE = [0.5, 0.9]
    settings = settings_from_cfg(cfg)
    assert (settings.close_up_prob, settings.close_up_size) == (0.1, (0.5, 0.9))
    with pytest.raises(CompositeConfigError, match="CLOSE_UP_PROB"):
        CompositeSettings(close_up_prob=1.5)
    with pytest.raises(CompositeConfigError, match="CLOSE_UP_SIZE"):
        CompositeSettings(close_up_size=(0.9, 0.6))
    with pytest.raises(CompositeConfigError, match="CLOSE_UP_SIZE"):
        CompositeSettings(close_up_size=(0.6, 1.5))


@pytest.mark.parametrize("value", [[0.6], ["a", "b"], [[0.6], [0.9]], [0.6, float("inf")]])
def test_a_size_that_is_not_two_finite_numbers_is_refused_by_name(value):
    cfg = hands_cfg()
    cfg.HANDS.COMPOSITE.CLOSE_UP_SIZE = value
    with pytest.raises(CompositeConfigError, match="CLOSE_UP_SIZE"):
        settings_from_cfg(cfg)
