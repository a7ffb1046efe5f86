"""A smooth path through the pose space, for test clips with known masks (``--sequence N``).

The forearm sways around the palm-facing orientation (v4 = v5 = 0) on a Lissajous curve of
+-35 x +-25 degrees, and the fingers blend smoothly between states of the L11 finger schedule,
one new state every 12 frames. Frames are jobs of structure L11 whose ``pose_id`` is the frame
index, so the clip's frame order is the id order.
"""

from __future__ import annotations

import numpy as np

from synth.joblist import Job
from synth.pose import FIELD_INDEX, FIELDS, finger_schedule

FRAMES_PER_STATE = 12
SWAY_DEGREES = (35.0, 25.0)


def sequence_poses(count: int, seed: int) -> np.ndarray:
    """``(count, 28)`` poses along the path; deterministic in ``seed``."""
    if count < 1:
        raise ValueError(f"--sequence needs at least 1 frame, got {count}")
    t = np.arange(count) / max(count, 1)
    poses = np.zeros((count, len(FIELDS)))
    poses[:, FIELD_INDEX["rx"]] = SWAY_DEGREES[0] * np.sin(2 * np.pi * t)
    poses[:, FIELD_INDEX["ry"]] = SWAY_DEGREES[1] * np.sin(4 * np.pi * t)
    states = finger_schedule(count // FRAMES_PER_STATE + 2, seed)
    position = np.arange(count) / FRAMES_PER_STATE
    low = np.floor(position).astype(int)
    frac = position - low
    ease = frac * frac * (3 - 2 * frac)  # smoothstep: no jumps in finger speed
    first = FIELD_INDEX["little_mcp_flex"]
    poses[:, first:] = (1 - ease)[:, None] * states[low] + ease[:, None] * states[low + 1]
    return poses


def sequence_jobs(count: int, seed: int) -> list[Job]:
    """The clip's frames as render jobs (structure L11, ``pose_id`` = frame index)."""
    return [Job(i, "L11", -1, tuple(float(v) for v in pose))
            for i, pose in enumerate(sequence_poses(count, seed))]
