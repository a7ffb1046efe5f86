"""Where the photo look puts its hands: view, size, position, side, shape, sleeve (numpy only).

The camera sits at the origin and looks down -Z (+Y up) with a phone-like field of view; each
hand is placed in front of it. Every draw is deterministic in (seed, key), the key being the
pose id (or 0 for every frame of a ``--sequence`` clip, so a clip keeps its layout).

Distributions (the README repeats them):

- hand size: the hand's length spans a fraction of the image height drawn log-uniformly from
  ``--hand-size`` (default 0.05-0.6); egocentric hands from its part above 0.15;
- position: front views put the palm's centre uniformly in the middle 90% of the frame, so
  large or off-centre hands are cut by the frame edge; egocentric views put right hands in the
  right half and left hands in the left half of the lower two thirds;
- views: ``front`` rotates the hand by the pose's global rotation (every orientation of the
  grid); ``egocentric`` shows the back of the hand from behind and above the wrist, fingers
  pointing into the scene (20-65 degrees), yaw +-25, roll +-30 degrees; ``mixed`` is 50/50;
- hands: ``mixed`` renders two hands (a right and a mirrored left rig) in half the images; one
  hand is right or left with equal chance;
- forearm: ``mixed`` puts both arms in sleeves in half the images; the cuff sits 1-15 cm behind
  the wrist, 1.12-1.35x as wide as the arm, plain (40%), banded, striped or checked cloth.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from synth.anatomy import HAND_LENGTH, Shape, jitter
from synth.pose import FIELD_INDEX, field_limits, finger_schedule
from synth.skeleton import euler_xyz

FOCAL_PHOTO = 1.0 / np.tan(np.radians(25.0))  # 50 degrees across the shorter image side
CENTRE = np.array([0.0, 0.045, 0.0])  # middle of the palm in the rig's frame at HAND_LENGTH
PATTERNS = ("plain", "plain", "bands", "stripes", "checks")
EGO_MIN_SIZE = 0.15
ARM_MAX = 1.2  # metres at scale 1: forearm, upper arm and a shoulder's worth


@dataclass(frozen=True)
class Placement:
    """One hand of an image.

    Attributes:
        side: "right" or "left" (the left rig mirrors the right one).
        pose: The 28 pose values (fingers and wrist; global fields are replaced by ``matrix``).
        matrix: 4x4 world transform of the rig (rotation x scale, mirror included, translation).
        shape: The hand's ``synth.anatomy.Shape``.
        size: Hand length over the image height (at the palm's depth, seen face-on).
        sleeve: (cuff start in metres, looseness, pattern) or None.

    """

    side: str
    pose: tuple
    matrix: np.ndarray
    shape: Shape
    size: float
    sleeve: tuple | None


@dataclass(frozen=True)
class Layout:
    """Everything random about one photo-look image."""

    view: str
    hands: tuple
    skin_tone: float
    light_deg: float
    cloth: tuple
    background_seed: int


def _rot(axis: str, deg: float) -> np.ndarray:
    angles = {"x": (deg, 0, 0), "y": (0, deg, 0), "z": (0, 0, deg)}[axis]
    return euler_xyz(*angles)


def _second_pose(rng, first) -> tuple:
    pose = np.array(first, float)
    fingers = finger_schedule(1, int(rng.integers(2**31)))[0]
    pose[FIELD_INDEX["little_mcp_flex"]:] = fingers
    lim = field_limits()
    for name in ("wrist_flex", "wrist_dev"):
        lo, hi = lim[FIELD_INDEX[name]]
        pose[FIELD_INDEX[name]] = rng.uniform(lo / 2, hi / 2)
    for name in ("rx", "ry", "rz"):
        pose[FIELD_INDEX[name]] += rng.uniform(-45, 45)
    return tuple(float(v) for v in pose)


def _size(rng, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _ray_point(u: float, v: float, depth: float, resolution) -> np.ndarray:
    w, h = resolution
    f_px = FOCAL_PHOTO * min(w, h) / 2
    return np.array([(u - 0.5) * w / f_px * depth, (0.5 - v) * h / f_px * depth, -depth])


def _place(rng, side, pose, view, size, shape, resolution) -> np.ndarray:
    if view == "front":
        rot = euler_xyz(*(pose[FIELD_INDEX[k]] for k in ("rx", "ry", "rz")))
        u, v = rng.uniform(0.05, 0.95, 2)
    else:
        rot = (_rot("z", rng.uniform(-30, 30)) @ _rot("y", rng.uniform(-25, 25))
               @ _rot("x", -rng.uniform(20, 65)) @ _rot("y", 180.0))
        u = rng.uniform(0.45, 0.9) if side == "right" else rng.uniform(0.1, 0.55)
        v = rng.uniform(0.4, 0.85)
    w, h = resolution
    f_px = FOCAL_PHOTO * min(w, h) / 2
    depth = HAND_LENGTH * shape.scale * f_px / (size * h)
    linear = rot @ np.diag([-1.0 if side == "left" else 1.0, 1.0, 1.0]) * shape.scale
    matrix = np.eye(4)
    matrix[:3, :3] = linear
    matrix[:3, 3] = _ray_point(u, v, depth, resolution) - linear @ CENTRE
    return matrix


def arm_length_to_leave(matrix: np.ndarray, shape: Shape, resolution) -> float:
    """The arm's length (rig units) so that it runs out of the frame like a real arm.

    The drawn length where that is enough; else the length at which the arm's axis leaves the
    image (or passes the camera), plus 10 cm, up to ``ARM_MAX`` (an arm running away from the
    camera towards the middle of the picture would need a body behind it).
    """
    w, h = resolution
    f_px = FOCAL_PHOTO * min(w, h) / 2
    axis = -matrix[:3, 1] / np.linalg.norm(matrix[:3, 1])  # towards the elbow, world
    steps = np.linspace(0.0, ARM_MAX * shape.scale, 241)[:, None]  # metres along the arm
    points = matrix[:3, 3] + steps * axis
    depth = -points[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = w / 2 + f_px * points[:, 0] / depth
        y = h / 2 - f_px * points[:, 1] / depth
    outside = (depth < 0.05) | (x < 0) | (x > w) | (y < 0) | (y > h)
    if not outside.any():
        return ARM_MAX
    leave = float(steps[np.argmax(outside), 0]) / shape.scale + 0.1
    return float(min(max(shape.arm_length, leave), ARM_MAX))


def draw_layout(seed: int, key: int, pose, resolution, view: str, hands: str, forearm: str,
                hand_size: tuple, skin_tone: tuple, light_jitter: float) -> Layout:
    """Draw the layout of one image.

    Args:
        seed: Run seed.
        key: Pose id (0 for every frame of a clip).
        pose: The job's pose (the first hand's).
        resolution: (width, height).
        view: "front", "egocentric" or "mixed".
        hands: "1", "2" or "mixed".
        forearm: "skin", "sleeve" or "mixed".
        hand_size: (lo, hi) fractions of the image height.
        skin_tone: (lo, hi) tone range.
        light_jitter: Max absolute light rotation in degrees.

    Returns:
        The image's layout.

    """
    rng = np.random.default_rng([int(seed), int(key), 12])
    # Every choice is drawn whatever the options, so that runs differing in one option (say
    # --forearm skin and sleeve) place the same hands in the same images.
    u_view, u_count, u_side, u_sleeve = rng.uniform(size=4)
    if view == "mixed":
        view = "front" if u_view < 0.5 else "egocentric"
    count = {"1": 1, "2": 2}.get(hands) or (1 if u_count < 0.5 else 2)
    sides = ("right", "left") if count == 2 else (("right",) if u_side < 0.5 else ("left",))
    lo, hi = hand_size
    if view == "egocentric" and hi > EGO_MIN_SIZE:
        lo = max(lo, EGO_MIN_SIZE)
    sleeved = forearm == "sleeve" or (forearm == "mixed" and u_sleeve < 0.5)
    placements = []
    for k, side in enumerate(sides):
        hand_pose = tuple(pose) if k == 0 else _second_pose(rng, pose)
        shape = jitter(rng)
        size = _size(rng, lo, hi)
        sleeve = (float(rng.uniform(0.01, 0.15)), float(rng.uniform(1.12, 1.35)),
                  PATTERNS[int(rng.integers(len(PATTERNS)))])
        matrix = _place(rng, side, hand_pose, view, size, shape, resolution)
        shape = replace(shape, arm_length=arm_length_to_leave(matrix, shape, resolution))
        placements.append(Placement(side, hand_pose, matrix, shape, size,
                                    sleeve if sleeved else None))
    cloth = tuple(tuple(float(c) for c in rng.uniform(0.03, 0.85, 3)) for _ in range(2))
    return Layout(view=view, hands=tuple(placements),
                  skin_tone=float(skin_tone[0] + rng.uniform() * (skin_tone[1] - skin_tone[0])),
                  light_deg=float(rng.uniform(-1, 1) * light_jitter), cloth=cloth,
                  background_seed=int(rng.integers(2**31)))
