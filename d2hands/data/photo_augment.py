"""The U-Net paper's augmentation set as detectron2 augmentations (``HANDS.AUGMENT``).

Krener-Iversen applied each of random crop, horizontal flip, Gaussian noise, Gaussian blur and
rotation with a 50% chance and added the augmented copies to the set; drawing them afresh for
every training image does the same over a run. The flip is ``INPUT.RANDOM_FLIP``'s; the others
wrap the base augmentations: the crop before the resize, rotation, noise and blur after it.
Masks follow the geometric transforms; noise and blur touch the image only.
"""

from __future__ import annotations

import cv2
import numpy as np
from detectron2.data import transforms as T

from ..errors import HandsError


class GaussianNoise(T.Augmentation):
    """Add zero-mean Gaussian noise of standard deviation ``sigma`` (0-255 scale)."""

    def __init__(self, sigma: float):
        super().__init__()
        self.sigma = float(sigma)

    def get_transform(self, image: np.ndarray) -> T.Transform:
        """A colour transform adding one fixed noise draw (so it can be replayed)."""
        noise = np.random.normal(0.0, self.sigma, image.shape).astype(np.float32)

        def add(img: np.ndarray) -> np.ndarray:
            return np.clip(img.astype(np.float32) + noise, 0, 255).astype(img.dtype)

        return T.ColorTransform(add)


class GaussianBlur(T.Augmentation):
    """Blur with a Gaussian of standard deviation drawn from ``[low, high]`` pixels."""

    def __init__(self, low: float, high: float):
        super().__init__()
        self.low, self.high = float(low), float(high)

    def get_transform(self, image: np.ndarray) -> T.Transform:
        """A colour transform blurring with one drawn sigma."""
        sigma = float(np.random.uniform(self.low, self.high))
        return T.ColorTransform(lambda img: cv2.GaussianBlur(img, (0, 0), sigma))


def check_augment(aug) -> None:
    """Raise ``HandsError`` for ``HANDS.AUGMENT`` values that cannot work."""
    if not 0.0 <= aug.PROB <= 1.0:
        raise HandsError(f"HANDS.AUGMENT.PROB must be in [0, 1], got {aug.PROB}")
    if not 0.0 < aug.CROP <= 1.0:
        raise HandsError(f"HANDS.AUGMENT.CROP (least kept share of each side) must be in "
                         f"(0, 1], got {aug.CROP}")
    if aug.ROTATION < 0 or aug.NOISE_SIGMA < 0:
        raise HandsError("HANDS.AUGMENT.ROTATION and NOISE_SIGMA must be >= 0, got "
                         f"{aug.ROTATION}, {aug.NOISE_SIGMA}")
    if len(aug.BLUR_SIGMA) != 2 or not 0 < aug.BLUR_SIGMA[0] <= aug.BLUR_SIGMA[1]:
        raise HandsError(f"HANDS.AUGMENT.BLUR_SIGMA is [low, high] with 0 < low <= high, got "
                         f"{list(aug.BLUR_SIGMA)}")


def with_photo_augment(cfg, base: list) -> list:
    """``base`` (resize, flip ...) wrapped in the paper's crop, rotation, noise and blur.

    Returns ``base`` unchanged when ``HANDS.AUGMENT.ENABLED`` is off.
    """
    aug = cfg.HANDS.AUGMENT
    if not aug.ENABLED:
        return base
    check_augment(aug)
    prob = float(aug.PROB)
    before = [T.RandomApply(T.RandomCrop("relative_range", (aug.CROP, aug.CROP)), prob)]
    after = []
    if aug.ROTATION > 0:
        after.append(T.RandomApply(T.RandomRotation([-aug.ROTATION, aug.ROTATION],
                                                    expand=False), prob))
    if aug.NOISE_SIGMA > 0:
        after.append(T.RandomApply(GaussianNoise(aug.NOISE_SIGMA), prob))
    after.append(T.RandomApply(GaussianBlur(*aug.BLUR_SIGMA), prob))
    return before + list(base) + after
