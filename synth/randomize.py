"""Per-frame domain randomisation, deterministic in (seed, pose id); defaults give the paper's look.

Switches: skin tone range, light rotation jitter, apparent scale (camera distance) range, left
hands by mirroring, and the background (white, procedural, or images from a folder).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# sRGB skin tones from light (0) to dark (1), interpolated piecewise linearly.
SKIN_PALETTE = np.array([[0.96, 0.82, 0.72], [0.87, 0.67, 0.55], [0.72, 0.50, 0.38],
                         [0.52, 0.34, 0.24], [0.33, 0.21, 0.15]])


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """Convert sRGB values in [0, 1] to linear light."""
    c = np.asarray(c, float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def skin_colour(t: float) -> np.ndarray:
    """Linear RGB skin colour at tone ``t`` in [0, 1] (0 light, 1 dark)."""
    pos = np.clip(t, 0.0, 1.0) * (len(SKIN_PALETTE) - 1)
    i = min(int(pos), len(SKIN_PALETTE) - 2)
    srgb = SKIN_PALETTE[i] + (pos - i) * (SKIN_PALETTE[i + 1] - SKIN_PALETTE[i])
    return srgb_to_linear(srgb)


@dataclass(frozen=True)
class FrameParams:
    """Randomised settings of one frame.

    Attributes:
        skin_tone: Tone in [0, 1].
        light_deg: Light rotation about the view axis.
        scale: Apparent hand size (1 = default camera distance).
        mirror: Mirror the frame into a left hand.
        background_seed: Seed for the background (procedural noise or image choice).

    """

    skin_tone: float
    light_deg: float
    scale: float
    mirror: bool
    background_seed: int


def frame_params(seed: int, pose_id: int, skin_tone=(0.2, 0.2), light_jitter: float = 0.0,
                 scale_range=(1.0, 1.0), left_hand_prob: float = 0.0) -> FrameParams:
    """Draw the settings of one frame; the same (seed, pose_id) always gives the same values.

    Args:
        seed: Run seed.
        pose_id: Stable pose id.
        skin_tone: (lo, hi) tone range.
        light_jitter: Max absolute light rotation in degrees.
        scale_range: (lo, hi) apparent scale range.
        left_hand_prob: Probability of a mirrored (left) hand.

    Returns:
        The frame's parameters.

    """
    rng = np.random.default_rng([int(seed), int(pose_id), 7])
    u = rng.uniform(size=5)
    return FrameParams(
        skin_tone=float(skin_tone[0] + u[0] * (skin_tone[1] - skin_tone[0])),
        light_deg=float((2.0 * u[1] - 1.0) * light_jitter),
        scale=float(scale_range[0] + u[2] * (scale_range[1] - scale_range[0])),
        mirror=bool(u[3] < left_hand_prob),
        background_seed=int(u[4] * 2**31))


def procedural_background(seed: int, height: int, width: int) -> np.ndarray:
    """Smooth random colour field with soft noise, (H, W, 3) uint8."""
    rng = np.random.default_rng(seed)
    grid = rng.uniform(0.15, 0.95, (4, 5, 3))
    ys = np.linspace(0, grid.shape[0] - 1, height)
    xs = np.linspace(0, grid.shape[1] - 1, width)
    y0 = np.minimum(ys.astype(int), grid.shape[0] - 2)
    x0 = np.minimum(xs.astype(int), grid.shape[1] - 2)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x0 + 1] * fx
    bottom = grid[y0 + 1][:, x0] * (1 - fx) + grid[y0 + 1][:, x0 + 1] * fx
    img = top * (1 - fy) + bottom * fy
    img += rng.normal(0.0, 0.02, (height, width, 1))
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def fit_background(img: np.ndarray, height: int, width: int, seed: int) -> np.ndarray:
    """Random crop at the frame's aspect ratio, resized (nearest) to (H, W), uint8 RGB."""
    h, w = img.shape[:2]
    rng = np.random.default_rng(seed)
    scale = min(h / height, w / width)
    ch, cw = max(1, int(height * scale)), max(1, int(width * scale))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    rows = y + (np.arange(height) * ch // height)
    cols = x + (np.arange(width) * cw // width)
    return np.ascontiguousarray(img[rows][:, cols, :3])
