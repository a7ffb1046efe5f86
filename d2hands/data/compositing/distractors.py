"""Distractors: unlabelled non-hand cut-outs pasted exactly like the hands.

"Cut, Paste and Learn" (Dwibedi et al., ICCV 2017) pastes distractor objects with the same
blending as the objects to find, so that the look of a paste stops telling the model what is
an object. Here a distractor is a piece of another background, cut in one of three ways:

- ``blob``: a smooth random shape (a few overlapping ellipses), background texture inside;
- ``silhouette``: the outline of a random hand from the bank, background texture inside (a
  hand's shape is not enough to be a hand);
- ``skin blob``: a smooth random shape whose texture is recoloured to a random hand's mean
  colour (skin colour is not enough either: faces, arms and cushions are skin-coloured blobs);
- ``solid`` (opt-in): a blob or a rounded box, its texture recoloured to a random colour and
  shaded as a lit solid with a highlight, so that it reads as an object (a fruit, a crate, a
  cup) rather than a flat piece of background.

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
SOLID_SATURATION = (0.15, 0.9)  # the random colour of a solid (HSV, hue uniform)
SOLID_VALUE = (0.35, 0.95)


def blob_mask(rng: np.random.Generator, side: int = SIDE) -> np.ndarray:
    """A smooth random shape: 2-4 overlapping ellipses, blurred and thresholded (bool)."""
    canvas = np.zeros((side, side), np.uint8)
    for _ in range(int(rng.integers(2, 5))):
        centre = (int(rng.integers(side // 4, 3 * side // 4)),
                  int(rng.integers(side // 4, 3 * side // 4)))
        axes = (int(rng.integers(side // 10, side // 3)), int(rng.integers(side // 10, side // 3)))
        cv2.ellipse(canvas, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    return cv2.GaussianBlur(canvas, (0, 0), side / 24) > 127


def box_mask(rng: np.random.Generator, side: int = SIDE) -> np.ndarray:
    """A rotated box with rounded corners, 0.3-0.9 of ``side`` per edge (bool)."""
    canvas = np.zeros((side, side), np.uint8)
    half = rng.uniform(0.15, 0.45, size=2) * side
    centre = side / 2
    cv2.rectangle(canvas, (int(centre - half[0]), int(centre - half[1])),
                  (int(centre + half[0]), int(centre + half[1])), 255, -1)
    turn = cv2.getRotationMatrix2D((centre, centre), float(rng.uniform(0, 180)), 1.0)
    canvas = cv2.warpAffine(canvas, turn, (side, side))
    return cv2.GaussianBlur(canvas, (0, 0), float(rng.uniform(1, side / 16))) > 127


def shade_solid(texture: np.ndarray, shape: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``texture`` lit as a rounded solid of outline ``shape``: Lambert shading and a highlight.

    The solid's height rises from the outline like a quarter circle of the distance to it, so
    its normals tilt outwards at the rim; the light comes from a random direction in front.
    """
    distance = cv2.distanceTransform(shape.astype(np.uint8), cv2.DIST_L2, 5)
    peak = max(float(distance.max()), 1.0)
    height = np.sqrt(np.clip(1.0 - (1.0 - distance / peak) ** 2, 0.0, 1.0)) * peak
    height = cv2.GaussianBlur(height.astype(np.float32), (0, 0), 1.5)  # no distance-map streaks
    gy, gx = np.gradient(height)
    normals = np.dstack([-gx, -gy, np.ones_like(height)])
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    light = np.array([*rng.uniform(-1, 1, size=2), rng.uniform(0.5, 1.5)])
    lambert = np.clip(normals @ (light / np.linalg.norm(light)), 0.0, 1.0)
    ambient = rng.uniform(0.25, 0.5)
    shaded = texture.astype(np.float32) * (ambient + (1 - ambient) * lambert)[..., None]
    if rng.random() < 0.5:  # a glossy object: a white highlight where the light reflects
        shaded += 255.0 * rng.uniform(0.2, 0.6) * (lambert ** rng.uniform(20, 60))[..., None]
    return np.clip(shaded, 0, 255).astype(np.uint8)


def solid_colour(rng: np.random.Generator) -> np.ndarray:
    """A random object colour (BGR float): any hue, moderate to strong saturation and value."""
    hsv = np.array([[[rng.uniform(0, 180), 255 * rng.uniform(*SOLID_SATURATION),
                      255 * rng.uniform(*SOLID_VALUE)]]], np.float32).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


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
    elif kind == "solid" and rng.random() < 0.5:
        shape = box_mask(rng)
    else:
        shape = blob_mask(rng)
    height, width = shape.shape
    texture = backgrounds.draw(rng, height, width)
    if kind == "solid":
        texture = shade_solid(recolour(texture, solid_colour(rng)), shape, rng)
    if kind == "skin blob":
        skin = hand.label if hand.label.any() else hand.alpha > 0.5
        texture = recolour(texture, hand.bgr[skin].astype(np.float32).mean(axis=0))
    return Cutout(bgr=np.ascontiguousarray(texture), alpha=shape.astype(np.float32),
                  label=np.zeros(shape.shape, bool))
