"""Distractors: unlabelled non-hand cut-outs pasted exactly like the hands.

"Cut, Paste and Learn" (Dwibedi et al., ICCV 2017) pastes distractor objects with the same
blending as the objects to find, so that the look of a paste stops telling the model what is
an object. Here a distractor is a piece of another background, cut in one of three ways:

- ``blob``: a smooth random shape (a few overlapping ellipses), background texture inside;
- ``silhouette``: the outline of a random hand from the bank, background texture inside (a
  hand's shape is not enough to be a hand);
- ``skin blob``: a smooth random shape whose texture is recoloured to a random hand's mean
  colour (skin colour is not enough either: faces, arms and cushions are skin-coloured blobs).

Its label is empty, so it is never a hand; it covers whatever hand it is pasted over.
"""

from __future__ import annotations

import cv2
import numpy as np

from .backgrounds import BackgroundPool
from .hand_sources import Cutout, HandBank
from .settings import DISTRACTOR_KINDS

KINDS = DISTRACTOR_KINDS
SIDE = 96  # distractors are made at this size; placement scales them like hands


def blob_mask(rng: np.random.Generator, side: int = SIDE) -> np.ndarray:
    """A smooth random shape: 2-4 overlapping ellipses, blurred and thresholded (bool)."""
    canvas = np.zeros((side, side), np.uint8)
    for _ in range(int(rng.integers(2, 5))):
        centre = (int(rng.integers(side // 4, 3 * side // 4)),
                  int(rng.integers(side // 4, 3 * side // 4)))
        axes = (int(rng.integers(side // 10, side // 3)), int(rng.integers(side // 10, side // 3)))
        cv2.ellipse(canvas, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    return cv2.GaussianBlur(canvas, (0, 0), side / 24) > 127


def recolour(texture: np.ndarray, bgr_mean: np.ndarray) -> np.ndarray:
    """The texture's light and shade in another mean colour (BGR uint8)."""
    gray = cv2.cvtColor(texture, cv2.COLOR_BGR2GRAY).astype(np.float32)
    shade = gray / max(float(gray.mean()), 1.0)
    return np.clip(shade[..., None] * bgr_mean[None, None, :], 0, 255).astype(np.uint8)


def make_distractor(rng: np.random.Generator, backgrounds: BackgroundPool,
                    bank: HandBank, kinds: tuple[str, ...] = KINDS) -> Cutout:
    """One distractor cut-out, its kind drawn uniformly from ``kinds`` (no hand: a blob)."""
    kinds = kinds if len(bank) else ("blob",)
    kind = kinds[int(rng.integers(0, len(kinds)))]
    hand = bank.draw(rng) if kind != "blob" else None
    if kind == "silhouette":
        shape = hand.label if hand.label.any() else hand.alpha > 0.5
    else:
        shape = blob_mask(rng)
    height, width = shape.shape
    texture = backgrounds.draw(rng, height, width)
    if kind == "skin blob":
        skin = hand.label if hand.label.any() else hand.alpha > 0.5
        texture = recolour(texture, hand.bgr[skin].astype(np.float32).mean(axis=0))
    return Cutout(bgr=np.ascontiguousarray(texture), alpha=shape.astype(np.float32),
                  label=np.zeros(shape.shape, bool))
