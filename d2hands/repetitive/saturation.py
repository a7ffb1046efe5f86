"""Premature learning saturation: the step after which the smoothed loss stops falling.

Rule: smooth the per-step losses with a centred moving average over ``window`` steps (default
5% of the steps, at least 5). Let ``drop`` be the smoothed curve's first value minus its minimum.
The saturation step is the first step ``t`` from which the smoothed loss never again falls by
more than ``tolerance * drop`` (default 5%): ``s[t] - min(s[t:]) <= tolerance * drop``. The
plateau after it must last at least ``max(2 * window, 10% of the steps)``; a curve that settles
later than that is still falling and has not saturated (None).
"""

from __future__ import annotations

import numpy as np


def smooth_losses(losses, window: int) -> np.ndarray:
    """Centred moving average; the ends use the part of the window that exists."""
    values = np.asarray(losses, dtype=np.float64)
    kernel = np.ones(window)
    total = np.convolve(values, kernel, mode="same")
    counts = np.convolve(np.ones_like(values), kernel, mode="same")
    return total / counts


def default_window(num_steps: int) -> int:
    """Smoothing window used when none is given."""
    return max(5, num_steps // 20)


def saturation_step(losses, window: int | None = None, tolerance: float = 0.05) -> int | None:
    """Return the step (0-based) after which the smoothed loss stops falling, or None.

    Args:
        losses: per-step training losses.
        window: smoothing window in steps (default :func:`default_window`).
        tolerance: fraction of the total drop that still counts as "not falling".
    """
    values = np.asarray(losses, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < 10:
        return None
    window = window or default_window(values.size)
    smoothed = smooth_losses(values, window)
    drop = smoothed[0] - smoothed.min()
    if drop <= 0:
        return 0
    suffix_min = np.minimum.accumulate(smoothed[::-1])[::-1]
    settled = np.nonzero(smoothed - suffix_min <= tolerance * drop)[0]
    step = int(settled[0])
    if values.size - step < max(2 * window, values.size // 10):
        return None
    return step


def images_before(step: int | None, batch_size: int, subset_images: int) -> float | None:
    """Fraction of a session's images seen before saturation (above 1: more than an epoch)."""
    if step is None or subset_images <= 0:
        return None
    return (step + 1) * batch_size / subset_images
