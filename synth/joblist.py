"""The ordered list of poses a run renders: plausible grid poses, limit, shard, worker split.

Every pose gets a stable id: its position in the full list of plausible poses of the chosen
structures (in the given order), so ids do not depend on the shard, the worker or on resuming.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth.plausibility import plausible_mask
from synth.pose import structure_grid


@dataclass(frozen=True)
class Job:
    """One frame to render.

    Attributes:
        pose_id: Stable id (position in the full plausible list).
        structure: "L2" or "L11".
        grid_index: Index of the pose in its structure's full grid.
        pose: The 28 pose values.

    """

    pose_id: int
    structure: str
    grid_index: int
    pose: tuple


def all_jobs(structures, step: float, seed: int) -> list[Job]:
    """All plausible poses of ``structures`` in order (structure, then v4, then v5)."""
    jobs = []
    for s in structures:
        poses = structure_grid(s, step, seed)
        for g in np.flatnonzero(plausible_mask(poses)):
            jobs.append(Job(len(jobs), s, int(g), tuple(float(v) for v in poses[g])))
    return jobs


def spread(jobs: list, limit: int) -> list:
    """Keep ``limit`` jobs spread evenly over the list (all of them if limit is 0 or larger)."""
    if limit <= 0 or limit >= len(jobs):
        return list(jobs)
    idx = np.unique(np.round(np.linspace(0, len(jobs) - 1, limit)).astype(int))
    return [jobs[i] for i in idx]


def select_jobs(structures, step: float, seed: int, limit: int = 0, shard=(0, 1),
                worker=(0, 1)) -> list[Job]:
    """Jobs of one shard (and of one worker process inside it).

    Args:
        structures: Structure names.
        step: Grid step in degrees.
        seed: Finger-schedule seed.
        limit: Keep this many poses spread over the whole list before sharding (0 = all).
        shard: (K, N): every N-th job starting at K; shards partition the list.
        worker: (w, W): the same split again inside the shard, for local processes.

    Returns:
        The jobs in id order.

    """
    jobs = spread(all_jobs(structures, step, seed), limit)
    k, n = shard
    w, ws = worker
    return jobs[k::n][w::ws]
