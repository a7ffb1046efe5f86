"""Hard negatives: hand-free crops of training photos, taken next to the hands.

The false detections of the composited recipes sit on what surrounds a hand in a photo: the
sleeve, the arm, the textured object beside it (docs/RESULTS.md, "Where the errors are").
A pasted hand teaches "a hand is here"; nothing teaches "the sleeve next to it is not". A
record of a set named in ``HANDS.HARD_NEGATIVES.DATASETS`` is therefore mapped to a crop of
its photo that keeps clear of every annotated hand (by ``MARGIN``) and lies as near the hands
as the sizes drawn allow, with no annotation: an image whose every detection is false.

The crop stays at its place in an image of the photo's size, the rest mid-grey (the padding
that scale jitter itself adds around a shrunk image): augmentation resizes an image by its
size, so a bare crop would be seen enlarged, at another scale than the sleeve the model took
for a hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .compositing.hand_sources import annotation_mask, check_size, read_bgr
from .compositing.settings import CompositeConfigError, composited_datasets

TRIES = 64  # random windows tried per crop size
MIN_CROP = 0.1  # smallest crop side tried, as a fraction of the shorter side
FILL = 128  # grey around the crop: FixedSizeCrop's own padding value


@dataclass(frozen=True)
class HardNegativeSettings:
    """``HANDS.HARD_NEGATIVES`` as plain values.

    Attributes:
        datasets: training sets whose records become hand-free crops.
        crop: min, max side of a crop (the geometric mean of its width and height; aspect
            3:4 to 4:3) as a fraction of the photo's shorter side.
        margin: gap kept around every hand, as a fraction of the photo's shorter side.

    """

    datasets: tuple[str, ...] = ()
    crop: tuple[float, float] = (0.3, 0.6)
    margin: float = 0.03


def hard_negative_settings(cfg, train: list[str]) -> HardNegativeSettings | None:
    """The settings of ``cfg.HANDS.HARD_NEGATIVES``, or None when it names no set.

    Raises:
        CompositeConfigError: for a set not in ``DATASETS.TRAIN``, a set that is also
            composited, or unusable sizes.

    """
    c = cfg.HANDS.HARD_NEGATIVES
    if not c.DATASETS:
        return None
    stray = [name for name in c.DATASETS if name not in train]
    if stray:
        raise CompositeConfigError(f"HANDS.HARD_NEGATIVES.DATASETS names {stray}, which are not "
                                   f"in DATASETS.TRAIN {train}")
    both = sorted(set(c.DATASETS) & composited_datasets(cfg))
    if both:
        raise CompositeConfigError(f"{both} would be both composited and hard negatives: name "
                                   "the composited sets in HANDS.COMPOSITE.DATASETS and register "
                                   "the photos again under another name for "
                                   "HANDS.HARD_NEGATIVES.DATASETS")
    crop = tuple(float(v) for v in c.CROP)
    if len(crop) != 2 or not MIN_CROP <= crop[0] <= crop[1] <= 1:
        raise CompositeConfigError(f"HANDS.HARD_NEGATIVES.CROP needs {MIN_CROP} <= min <= max "
                                   f"<= 1, got {list(c.CROP)}")
    if not 0 <= float(c.MARGIN) < 0.5:
        raise CompositeConfigError(f"HANDS.HARD_NEGATIVES.MARGIN needs 0 <= margin < 0.5, got "
                                   f"{c.MARGIN}")
    return HardNegativeSettings(tuple(c.DATASETS), crop, float(c.MARGIN))


def hands_mask(record: dict) -> np.ndarray:
    """Every annotation of a record (crowd regions too) as one bool mask."""
    height, width = record["height"], record["width"]
    mask = np.zeros((height, width), bool)
    for ann in record.get("annotations", []):
        if ann.get("segmentation"):
            mask |= annotation_mask(ann, height, width)
        elif ann.get("bbox"):  # a boxes-only annotation: keep clear of its box
            x, y, w, h = ann["bbox"]
            top, left = max(0, math.floor(y)), max(0, math.floor(x))
            mask[top:math.ceil(y + h), left:math.ceil(x + w)] = True
    return mask


def hand_free_window(mask: np.ndarray, settings: HardNegativeSettings,
                     rng: np.random.Generator) -> tuple[int, int, int, int] | None:
    """A window ``(x0, y0, x1, y1)`` holding no pixel of ``mask`` grown by the margin.

    Sizes are drawn from ``settings.crop``; of the free windows tried, the one whose centre
    lies nearest a hand pixel is kept (where the arm and sleeve are). Where no window of the
    drawn size is free, smaller ones are tried, down to ``MIN_CROP`` of the shorter side.

    Returns:
        The window, or None when the hands leave no free window that large.

    """
    height, width = mask.shape
    short = min(height, width)
    grow = int(round(settings.margin * short))
    blocked = mask.astype(np.uint8)
    if grow:
        blocked = cv2.dilate(blocked, cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    integral = cv2.integral(blocked)
    if blocked.any():
        distance = cv2.distanceTransform((blocked == 0).astype(np.uint8), cv2.DIST_L2, 3)
    else:
        distance = np.zeros_like(blocked, np.float32)
    scale = rng.uniform(*settings.crop)
    while scale >= MIN_CROP * 0.999:
        side = int(scale * short)
        aspect = rng.uniform(0.75, 4 / 3, TRIES)
        ws = np.minimum(width, np.maximum(8, side * np.sqrt(aspect))).astype(int)
        hs = np.minimum(height, np.maximum(8, side / np.sqrt(aspect))).astype(int)
        x0 = (rng.random(TRIES) * (width - ws + 1)).astype(int)
        y0 = (rng.random(TRIES) * (height - hs + 1)).astype(int)
        x1, y1 = x0 + ws, y0 + hs
        inside = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
        free = np.flatnonzero(inside == 0)
        if free.size:
            near = free[np.argmin(distance[(y0[free] + y1[free]) // 2,
                                           (x0[free] + x1[free]) // 2])]
            return int(x0[near]), int(y0[near]), int(x1[near]), int(y1[near])
        scale *= 0.7
    return None


def in_place(image: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """A copy of ``image`` that keeps only ``window``'s pixels; the rest is ``FILL`` grey."""
    x0, y0, x1, y1 = window
    out = np.full_like(image, FILL)
    out[y0:y1, x0:x1] = image[y0:y1, x0:x1]
    return out


def hard_negative(record: dict, settings: HardNegativeSettings, rng: np.random.Generator
                  ) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """A hand-free image of a record's photo's size: a crop at its place, grey around it.

    Returns:
        The BGR image and the crop's window ``(x0, y0, x1, y1)``, or None if no crop fits.

    Raises:
        DatasetError: if the photo cannot be read or its size is not the record's.

    """
    source = record.get("dataset_name", "training set")
    image = read_bgr(record["file_name"], source)
    check_size(image, record, source)
    mask = hands_mask(record)
    window = hand_free_window(mask, settings, rng)
    if window is None:
        return None
    return in_place(image, window), window
