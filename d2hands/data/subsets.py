"""Seeded splits of a dataset into disjoint, near-equal random subsets."""

from __future__ import annotations

import numpy as np

from ..errors import UsageError


def split_into_subsets(count: int, num_subsets: int, seed: int) -> list[list[int]]:
    """Split ``range(count)`` into ``num_subsets`` disjoint random subsets of near-equal size.

    numpy's PCG64 generator is specified bit for bit, so the same seed gives the same split on
    every machine and numpy version that has ``default_rng``.

    Args:
        count: number of items (e.g. images of a dataset).
        num_subsets: S, at least 1 and at most ``count``.
        seed: random seed.

    Returns:
        S sorted index lists whose sizes differ by at most one and that together cover all items.

    """
    if num_subsets < 1:
        raise UsageError(f"the number of subsets must be at least 1, got {num_subsets}")
    if num_subsets > count:
        raise UsageError(f"cannot split {count} images into {num_subsets} non-empty subsets")
    order = np.random.default_rng(seed).permutation(count)
    return [sorted(int(i) for i in part) for part in np.array_split(order, num_subsets)]
