"""The paper's 28-DoF right-hand pose vector, the L2/L11 grids and the L11 finger schedule.

numpy only (no bpy). Pose vector V = (v1..v28), angles in degrees, translation in metres:

====== ================================================================
v1-v3  ``tx, ty, tz``: global translation of the wrist
v4-v6  ``rx, ry, rz``: global rotation about the wrist ('XYZ' Euler; v4 about the image's
       horizontal axis, v5 about its vertical axis)
v7-v8  ``wrist_flex, wrist_dev``: wrist flexion and (radial/ulnar) deviation
v9-12  little finger: ``mcp_flex, mcp_abd, pip, dip``
v13-16 ring finger, v17-20 middle finger, v21-24 index finger (same four fields)
v25-28 thumb: ``thumb_cmc_flex, thumb_cmc_abd, thumb_mcp, thumb_ip``
====== ================================================================

Structures (Dadgar & Brunnett 2023, section 3): **L2** rotates the forearm about the two in-plane
axes {v4, v5} with the fingers in bind pose; **L11** is the same rotation grid with the fingers'
states changing {v4, v5, v9..v28}. At a 2-degree step each axis takes 180 values in [-180, 180),
so 32,400 poses per structure. ``forward_kinematics`` poses the skeleton of ``synth.skeleton``;
``plausible`` applies the rule documented in ``synth.plausibility`` (45,498 of the 64,800 default
poses are kept); ``python -m synth.pose --count`` prints the counts. ``FIELDS``,
``FIELD_INDEX``, ``JOINT_LIMITS`` and ``field_limits`` live in ``synth.pose_fields``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from synth.argparsing import OneLineParser
from synth.plausibility import plausible_mask
from synth.pose_fields import (  # noqa: F401 - JOINT_LIMITS, field_limits re-exported
    FIELD_INDEX,
    FIELDS,
    JOINT_LIMITS,
    field_limits,
)
from synth.skeleton import FINGERS

STRUCTURES = ("L2", "L11")
DEFAULT_STEP = 2.0
DEFAULT_SEED = 0
_ABD_RANGE = {"index": 15.0, "middle": 6.0, "ring": 9.0, "little": 18.0}


def as_dict(pose) -> dict:
    """Name the 28 values of one pose vector.

    Args:
        pose: Sequence of 28 floats.

    Returns:
        Dict from field name to float, in field order.

    """
    pose = [float(v) for v in pose]
    if len(pose) != len(FIELDS):
        raise ValueError(f"a pose has {len(FIELDS)} values, got {len(pose)}")
    return dict(zip(FIELDS, pose, strict=True))


def axis_values(step: float) -> np.ndarray:
    """Angles of one grid axis: ``[-180, 180)`` in ``step``-degree increments.

    Args:
        step: Grid step in degrees; must divide 360.

    Returns:
        1-D array of 360/step angles.

    """
    count = 360.0 / step
    if step <= 0 or abs(count - round(count)) > 1e-9:
        raise ValueError(f"step must be a positive divisor of 360, got {step}")
    return -180.0 + step * np.arange(int(round(count)))


def grid_size(step: float) -> int:
    """Return the number of poses of one structure at ``step`` (axis length squared)."""
    return len(axis_values(step)) ** 2


def finger_schedule(count: int, seed: int) -> np.ndarray:
    """Finger states (v9..v28) for the L11 structure, deterministic in ``seed``.

    A per-pose grip level drives every digit; each finger curls around it with small noise,
    the little finger follows the ring finger (shared tendons), PIP follows MCP, DIP = 2/3 PIP,
    and spreading (abduction) shrinks as the fingers curl. All values respect ``JOINT_LIMITS``.

    Args:
        count: Number of poses.
        seed: Seed of the schedule.

    Returns:
        (count, 20) array in field order v9..v28.

    """
    rng = np.random.default_rng([int(seed), 11])
    grip = rng.uniform(0.0, 1.0, count)
    curl = np.clip(grip[:, None] + rng.normal(0.0, 0.22, (count, 4)), 0.0, 1.0)
    curl[:, 0] = 0.6 * curl[:, 0] + 0.4 * curl[:, 1]  # little follows ring
    spread = rng.uniform(-0.3, 1.0, count) * (1.0 - curl.mean(axis=1))
    out = np.empty((count, 20))
    for k, finger in enumerate(FINGERS):
        mcp = -8.0 + 96.0 * curl[:, k]
        pip = np.clip(105.0 * curl[:, k] + rng.normal(0.0, 6.0, count), 0.0, 105.0)
        out[:, 4 * k] = mcp
        out[:, 4 * k + 1] = spread * _ABD_RANGE[finger]
        out[:, 4 * k + 2] = pip
        out[:, 4 * k + 3] = pip * (2.0 / 3.0)
    thumb = np.clip(grip + rng.normal(0.0, 0.25, count), 0.0, 1.0)
    out[:, 16] = -5.0 + 55.0 * thumb
    out[:, 17] = 45.0 * rng.uniform(0.0, 1.0, count) * (1.0 - 0.5 * thumb)
    out[:, 18] = 55.0 * thumb
    out[:, 19] = np.clip(0.9 * out[:, 18] + rng.normal(0.0, 5.0, count), -10.0, 80.0)
    return out


def structure_grid(structure: str, step: float = DEFAULT_STEP, seed: int = DEFAULT_SEED):
    """All poses of one structure, in grid order (v4 major, v5 minor).

    Args:
        structure: "L2" or "L11".
        step: Grid step in degrees.
        seed: Seed of the L11 finger schedule (ignored for L2).

    Returns:
        (M, 28) float array.

    """
    if structure not in STRUCTURES:
        raise ValueError(f"unknown structure {structure!r}; choose from {', '.join(STRUCTURES)}")
    axis = axis_values(step)
    rx, ry = np.meshgrid(axis, axis, indexing="ij")
    poses = np.zeros((rx.size, len(FIELDS)))
    poses[:, FIELD_INDEX["rx"]] = rx.ravel()
    poses[:, FIELD_INDEX["ry"]] = ry.ravel()
    if structure == "L11":
        poses[:, FIELD_INDEX["little_mcp_flex"]:] = finger_schedule(len(poses), seed)
    return poses


def forward_kinematics(poses) -> dict:
    """Bone frames and joint positions for a batch of pose vectors.

    Args:
        poses: (N, 28) array.

    Returns:
        See ``synth.skeleton.forward_kinematics`` (``rot``, ``head``, ``tail`` per bone).
    """
    from synth.skeleton import forward_kinematics as fk

    return fk(np.asarray(poses, float).reshape(-1, len(FIELDS)), FIELD_INDEX)


def plausible(poses) -> np.ndarray:
    """Boolean mask of plausible poses (the rule is documented in ``synth.plausibility``)."""
    return plausible_mask(np.asarray(poses, float).reshape(-1, len(FIELDS)))


def count_plausible(structures=STRUCTURES, step: float = DEFAULT_STEP,
                    seed: int = DEFAULT_SEED) -> dict:
    """Count the plausible poses per structure.

    Args:
        structures: Structure names.
        step: Grid step in degrees.
        seed: Schedule seed.

    Returns:
        Dict ``{structure: (plausible, total)}``.

    """
    out = {}
    for s in structures:
        poses = structure_grid(s, step, seed)
        out[s] = (int(plausible(poses).sum()), len(poses))
    return out


def main(argv=None) -> int:
    """CLI: ``python -m synth.pose --count [--step S] [--seed N]``."""
    ap = OneLineParser(prog="python -m synth.pose", description=__doc__.split("\n")[0])
    ap.add_argument("--count", action="store_true", help="print plausible poses per structure")
    ap.add_argument("--step", type=float, default=DEFAULT_STEP)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    if not args.count:
        ap.print_help()
        return 0
    t0 = time.perf_counter()
    try:
        counts = count_plausible(STRUCTURES, args.step, args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total = sum(c for c, _ in counts.values())
    for s, (c, n) in counts.items():
        print(f"{s}: {c} of {n} poses plausible")
    print(f"total: {total} of {sum(n for _, n in counts.values())} "
          f"(step {args.step:g}, seed {args.seed}, {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
