"""Paste cut-out hands onto a background: jitter each hand, then let later hands occlude earlier.

The label of a pasted hand is what stays visible: the pixels of its (warped) label that no
later hand covers. A hand covers a pixel where its opacity, before feathering, exceeds 0.5;
that is also where its colour dominates the blend, so the labels match what the image shows.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .hand_sources import Cutout
from .settings import CompositeSettings


def jitter_colour(bgr: np.ndarray, rng: np.random.Generator, s: CompositeSettings) -> np.ndarray:
    """Hue, saturation, brightness and contrast jitter of a BGR uint8 crop (none: unchanged)."""
    if not (s.hue or s.saturation or s.brightness or s.contrast):
        return bgr
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-s.hue, s.hue) / 2.0) % 180.0  # OpenCV hue: deg/2
    hsv[..., 1] *= 1.0 + rng.uniform(-s.saturation, s.saturation)
    out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2BGR)
    out = out.astype(np.float32)
    mean = out.mean()
    out = (out - mean) * (1.0 + rng.uniform(-s.contrast, s.contrast)) + mean
    out *= 1.0 + rng.uniform(-s.brightness, s.brightness)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def placement(cut: Cutout, rng: np.random.Generator, s: CompositeSettings,
              height: int, width: int) -> np.ndarray:
    """The 2x3 affine that scales, rotates and places a cut-out on a ``height x width`` canvas.

    The hand (its label's box) gets a longer side of ``HAND_SIZE`` x the canvas height (or
    ``CLOSE_UP_SIZE``, with probability ``CLOSE_UP_PROB``), a rotation from ``ROTATION``, and
    a centre that keeps at most ``OUTSIDE`` of its rotated box outside the frame on either
    axis.
    """
    x, y, box_w, box_h = box_of(cut.label if cut.label.any() else cut.alpha > 0.5)
    centre = (x + (box_w - 1) / 2.0, y + (box_h - 1) / 2.0)
    scale = rng.uniform(*paste_size(rng, s)) * height / max(box_h, box_w)
    angle = rng.uniform(*s.rotation)
    cos, sin = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    rot_w = scale * (box_w * cos + box_h * sin)
    rot_h = scale * (box_w * sin + box_h * cos)
    keep = 0.5 - s.outside
    cx = _uniform_or_middle(rng, rot_w * keep, width - rot_w * keep)
    cy = _uniform_or_middle(rng, rot_h * keep, height - rot_h * keep)
    matrix = cv2.getRotationMatrix2D(centre, angle, scale)
    # Whole-pixel shifts: an unrotated, unscaled hand is pasted as an exact copy.
    matrix[:, 2] = np.round(matrix[:, 2] + (cx - centre[0], cy - centre[1]))
    return matrix


def paste_size(rng: np.random.Generator, s: CompositeSettings) -> tuple[float, float]:
    """The size range of one paste: ``CLOSE_UP_SIZE`` with ``CLOSE_UP_PROB``, else ``HAND_SIZE``.

    Close-ups are a second range drawn now and then rather than a wider one, so every other
    size loses only ``CLOSE_UP_PROB`` of its share (widening ``HAND_SIZE`` from 0.6 to 0.9
    takes 40% of the small hands'). Without close-ups no random number is drawn, so
    composites made without them stay as they were.
    """
    if s.close_up_prob > 0 and rng.random() < s.close_up_prob:
        return s.close_up_size
    return s.hand_size


def _uniform_or_middle(rng: np.random.Generator, low: float, high: float) -> float:
    return rng.uniform(low, high) if high > low else (low + high) / 2.0


def prepare_hand(cut: Cutout, rng: np.random.Generator, s: CompositeSettings) -> Cutout:
    """Flip, colour-jitter and maybe blur one cut-out (before it is warped)."""
    bgr, alpha, label = cut.bgr, cut.alpha, cut.label
    if rng.random() < s.flip_prob:
        bgr, alpha, label = bgr[:, ::-1], alpha[:, ::-1], label[:, ::-1]
    bgr = jitter_colour(np.ascontiguousarray(bgr), rng, s)
    if rng.random() < s.blur_prob:
        bgr = cv2.GaussianBlur(bgr, (0, 0), float(rng.uniform(*s.blur_sigma)))
    return Cutout(bgr, np.ascontiguousarray(alpha), np.ascontiguousarray(label))


def box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` of the non-zero pixels of a 2-D mask (all zero for an empty one)."""
    return cv2.boundingRect(mask.astype(np.uint8))


def match_light(bgr: np.ndarray, cover: np.ndarray, window: np.ndarray,
                strength: float) -> np.ndarray:
    """Move a warped hand's mean lightness ``strength`` of the way to its surroundings'.

    The surroundings are the background pixels in a ring around the hand (``window``, float32
    BGR, before the hand is pasted). Lab's a and b move a third as far, so a hand takes on some
    of the scene's light colour without losing its skin tone; a pasted hand then no longer
    stands out from its background by its light alone.

    Returns:
        The hand's BGR uint8 pixels, shifted (unchanged where ``strength`` is 0 or the hand or
        its ring is empty).

    """
    if strength <= 0 or not cover.any():
        return bgr
    radius = max(3, int(round(0.15 * math.sqrt(float(cover.sum())))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    ring = cv2.dilate(cover.astype(np.uint8), kernel).astype(bool) & ~cover
    if not ring.any():
        return bgr
    hand = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    around = cv2.cvtColor(np.clip(window + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_BGR2LAB)
    shift = (around[ring].astype(np.float32).mean(axis=0) - hand[cover].mean(axis=0))
    hand += strength * shift * np.array([1.0, 1 / 3, 1 / 3], np.float32)
    return cv2.cvtColor(np.clip(hand + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def paste(canvas: np.ndarray, cut: Cutout, matrix: np.ndarray,
          feather: float, mode: str = "feather",
          light: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Blend one warped cut-out into ``canvas`` (float32 BGR, in place).

    Only the canvas window that the warped cut-out (plus its feathering) can reach is touched.
    Blend modes (Dwibedi et al. 2017): ``none`` (hard edge), ``feather`` (opacity blurred by
    ``feather`` px), ``gaussian`` (blurred by 2-3x that, at least 1.5 px) and ``poisson``
    (OpenCV's seamless cloning, colours matched to the background; ``feather`` where it
    cannot run, e.g. at the image border). ``light``: ``match_light``'s strength.

    Returns:
        ``(label, cover)``: bool masks of the hand's label and of the pixels it covers.

    """
    height, width = canvas.shape[:2]
    label_full = np.zeros((height, width), bool)
    cover_full = np.zeros((height, width), bool)
    h, w = cut.alpha.shape
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ matrix.T
    sigma = {"none": 0.0, "gaussian": max(1.5, 2.5 * feather)}.get(mode, feather)
    pad = int(math.ceil(3 * sigma)) + 2
    x0, y0 = (max(0, int(math.floor(v)) - pad) for v in corners.min(axis=0))
    x1 = min(width, int(math.ceil(corners[:, 0].max())) + pad)
    y1 = min(height, int(math.ceil(corners[:, 1].max())) + pad)
    if x1 <= x0 or y1 <= y0:
        return label_full, cover_full
    local = matrix.copy()
    local[:, 2] -= (x0, y0)
    size = (x1 - x0, y1 - y0)
    bgr = cv2.warpAffine(cut.bgr, local, size, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(cut.alpha, local, size, flags=cv2.INTER_LINEAR)
    label = cv2.warpAffine(cut.label.astype(np.float32), local, size,
                           flags=cv2.INTER_LINEAR) > 0.5
    cover = alpha > 0.5
    window = canvas[y0:y1, x0:x1]
    bgr = match_light(bgr, cover, window, light)
    if not (mode == "poisson" and _seamless(window, bgr, cover)):
        if sigma > 0:
            alpha = cv2.GaussianBlur(alpha, (0, 0), sigma)
        a = alpha[..., None]
        window *= 1.0 - a
        window += bgr.astype(np.float32) * a
    label_full[y0:y1, x0:x1] = label
    cover_full[y0:y1, x0:x1] = cover
    return label_full, cover_full


def _seamless(window: np.ndarray, bgr: np.ndarray, cover: np.ndarray) -> bool:
    """Poisson-blend ``bgr`` into ``window`` where ``cover`` (in place); False if it cannot."""
    height, width = cover.shape
    ys, xs = np.nonzero(cover)
    if len(ys) < 16 or ys.min() < 1 or xs.min() < 1 or ys.max() > height - 2 \
            or xs.max() > width - 2:
        return False  # seamlessClone needs the mask clear of the window's edge
    dst = np.clip(window + 0.5, 0, 255).astype(np.uint8)
    centre = ((int(xs.min()) + int(xs.max()) + 1) // 2, (int(ys.min()) + int(ys.max()) + 1) // 2)
    try:
        out = cv2.seamlessClone(bgr, dst, cover.astype(np.uint8) * 255, centre, cv2.NORMAL_CLONE)
    except cv2.error:
        return False
    window[cover] = out[cover]
    return True


def compose(background: np.ndarray, cuts: list[Cutout], rng: np.random.Generator,
            s: CompositeSettings) -> tuple[np.ndarray, list[np.ndarray]]:
    """Paste ``cuts`` in order onto a BGR uint8 background.

    Returns:
        The BGR uint8 image and one bool mask per hand that stays visible with at least
        ``MIN_AREA`` pixels, in paste order (distractors, whose labels are empty, have none).

    """
    height, width = background.shape[:2]
    canvas = background.astype(np.float32)
    masks: list[np.ndarray] = []
    for cut in cuts:
        hand = prepare_hand(cut, rng, s)
        mode = s.blend_modes[int(rng.integers(0, len(s.blend_modes)))]
        # Drawn only when on, so that composites without it stay as they were, draw for draw.
        light = float(rng.uniform(*s.match_light)) if s.match_light[1] > 0 else 0.0
        label, cover = paste(canvas, hand, placement(hand, rng, s, height, width), s.feather,
                             mode, light)
        masks = [m & ~cover for m in masks]
        masks.append(label)
    image = np.clip(canvas + 0.5, 0, 255).astype(np.uint8)
    return image, [m for m in masks if int(m.sum()) >= max(1, s.min_area)]


def degrade(image: np.ndarray, rng: np.random.Generator, s: CompositeSettings) -> np.ndarray:
    """Per-image camera effects: Gaussian noise, JPEG re-encoding, sometimes grayscale."""
    if rng.random() < s.noise_prob:
        noise = rng.standard_normal(image.shape, dtype=np.float32) * rng.uniform(*s.noise_sigma)
        image = np.clip(image + noise, 0, 255).astype(np.uint8)
    if rng.random() < s.jpeg_prob:
        quality = int(rng.integers(s.jpeg_quality[0], s.jpeg_quality[1] + 1))
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if rng.random() < s.gray_prob:
        image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return image
