"""Procedural backgrounds: smooth colour fields, textures and clutter, some of it skin-coloured.

Nothing is downloaded: every background is drawn from a seeded generator with OpenCV. Clutter
includes skin-toned shapes on purpose: they are distractors the model must learn not to take
for hands.
"""

from __future__ import annotations

import cv2
import numpy as np

# BGR skin tones from pale to dark, as in the renders' skin-tone range.
_SKIN_BGR = np.array([[180, 200, 240], [140, 170, 220], [100, 140, 200], [60, 90, 150],
                      [40, 60, 100]], np.float32)


def _random_colour(rng: np.random.Generator, skin_prob: float = 0.15) -> tuple[int, int, int]:
    if rng.random() < skin_prob:
        a, b = _SKIN_BGR[rng.integers(0, len(_SKIN_BGR), 2)]
        t = rng.random()
        colour = a * t + b * (1 - t) + rng.normal(0, 8, 3)
    else:
        colour = rng.uniform(0, 255, 3)
    return tuple(int(v) for v in np.clip(colour, 0, 255))


def colour_field(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Smooth low-frequency colour noise (walls, tables, out-of-focus rooms)."""
    cells = int(rng.integers(2, 7))
    coarse = rng.uniform(0, 255, (cells, cells + 1, 3)).astype(np.float32)
    field = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    grain = rng.standard_normal((height, width, 1), dtype=np.float32) * rng.uniform(2, 10)
    return np.clip(field + grain, 0, 255).astype(np.uint8)


def texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Stripes, checks or wood-like grain in two colours, rotated (drawn at half size)."""
    full = (width, height)
    height, width = (height + 1) // 2, (width + 1) // 2
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    u = xs * np.cos(angle) + ys * np.sin(angle)
    v = -xs * np.sin(angle) + ys * np.cos(angle)
    period = rng.uniform(3, 30)
    kind = rng.integers(0, 3)
    if kind == 0:
        t = 0.5 + 0.5 * np.sin(2 * np.pi * u / period)
    elif kind == 1:
        t = ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float32)
    else:
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (u + 6 * np.sin(v / period)) / period)
    a = np.array(_random_colour(rng, 0.0), np.float32)
    b = np.array(_random_colour(rng, 0.0), np.float32)
    image = a * t[..., None] + b * (1 - t[..., None])
    return cv2.resize(np.clip(image, 0, 255).astype(np.uint8), full,
                      interpolation=cv2.INTER_LINEAR)


def add_clutter(rng: np.random.Generator, image: np.ndarray, count: int) -> None:
    """Draw ``count`` random rectangles, ellipses, polylines and blobs into ``image``."""
    height, width = image.shape[:2]
    scale = min(height, width)
    for _ in range(count):
        colour = _random_colour(rng)
        cx, cy = int(rng.uniform(0, width)), int(rng.uniform(0, height))
        size = int(rng.uniform(0.03, 0.35) * scale) + 1
        kind = rng.integers(0, 4)
        if kind == 0:
            cv2.rectangle(image, (cx - size, cy - size // 2), (cx + size, cy + size // 2),
                          colour, -1 if rng.random() < 0.7 else int(rng.integers(1, 5)))
        elif kind == 1:
            cv2.ellipse(image, (cx, cy), (size, int(size * rng.uniform(0.2, 1.0))),
                        float(rng.uniform(0, 180)), 0, 360, colour, -1)
        elif kind == 2:
            points = rng.normal(0, size, (int(rng.integers(2, 6)), 2)) + (cx, cy)
            cv2.polylines(image, [points.astype(np.int32)], False, colour,
                          int(rng.integers(1, 8)))
        else:
            points = rng.normal(0, size * 0.6, (int(rng.integers(3, 8)), 2)) + (cx, cy)
            cv2.fillPoly(image, [cv2.convexHull(points.astype(np.int32))], colour)


def procedural_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A BGR uint8 background: a colour field or a texture, then 0-25 clutter shapes, softened.

    Args:
        rng: the generator; the same state gives the same image.
        height: rows of the image.
        width: columns of the image.

    """
    base = colour_field if rng.random() < 0.6 else texture
    image = base(rng, height, width)
    add_clutter(rng, image, int(rng.integers(0, 26)))
    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.5, 2.5)))
    return image
