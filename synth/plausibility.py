"""Geometric plausibility rule for grid poses (numpy only).

A pose is kept when all three hold, seen from the default camera:

1. **Joint limits**: every field lies inside ``synth.pose_fields.field_limits()``.
2. **Not hidden behind the forearm**: at most ``MAX_OCCLUDED`` of the hand's sample points (bone
   heads, tails and midpoints, palm centre) have their line of sight to the camera pass through
   the forearm (a cylinder of radius ``FOREARM_RADII[1]`` from the elbow to just short of the
   wrist).
3. **Silhouette not too small**: the area of the projected hand, measured as the area of the
   covariance ellipse of the projected sample points inflated by a finger radius, is at least
   ``MIN_SILHOUETTE`` times that of the frontal bind pose (palm facing the camera). This drops
   hands seen edge-on or end-on (palm or fingertips pointing at the camera), whose silhouette
   says little about the hand.

With the default step (2 degrees) and seed (0) this keeps 45,498 of the 64,800 poses (L2 21,794,
L11 23,704; ``python -m synth.pose --count``). Occlusion removes few poses (the forearm covers the
hand only inside a narrow cone about the line of sight); the silhouette test removes most: hands
seen edge-on or end-on.
"""

from __future__ import annotations

import numpy as np

from synth.camera import to_camera
from synth.pose_fields import FIELD_INDEX, field_limits
from synth.skeleton import BONES, FOREARM_RADII, forward_kinematics

MAX_OCCLUDED = 0.3
MIN_SILHOUETTE = 0.36
FINGER_RADIUS = 0.009
_WRIST_GAP = 0.02  # the forearm's occluding part ends this far before the wrist joint
_CHUNK = 8192


def sample_points(fk: dict) -> np.ndarray:
    """Hand sample points (N, P, 3): heads, midpoints and tails of the digit bones, palm centre."""
    digits = [i for i, b in enumerate(BONES) if b.name not in ("forearm", "wrist")]
    heads, tails = fk["head"][:, digits], fk["tail"][:, digits]
    w = [b.name for b in BONES].index("wrist")
    palm = fk["head"][:, w] + fk["rot"][:, w, :, 1] * 0.05
    return np.concatenate([heads, 0.5 * (heads + tails), tails, palm[:, None]], axis=1)


def occluded_fraction(fk: dict, points: np.ndarray) -> np.ndarray:
    """Fraction of ``points`` whose sight line to the camera passes through the forearm."""
    f = [b.name for b in BONES].index("forearm")
    elbow = fk["head"][:, f]
    axis = fk["tail"][:, f] - elbow
    end = elbow + axis * (1.0 - _WRIST_GAP / np.linalg.norm(axis, axis=-1, keepdims=True))
    cam = np.zeros(3)
    cam[2] = to_camera(np.zeros((1, 3)))[2][0]  # camera position on +Z
    dist = _segment_distance(points, cam[None, None, :], elbow[:, None], end[:, None])
    return (dist < FOREARM_RADII[1]).mean(axis=1)


def _segment_distance(p0, p1, q0, q1) -> np.ndarray:
    """Distance between segments p0-p1 and q0-q1 (broadcast over leading axes)."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a = np.sum(d1 * d1, -1)
    e = np.sum(d2 * d2, -1)
    f = np.sum(d2 * r, -1)
    c = np.sum(d1 * r, -1)
    b = np.sum(d1 * d2, -1)
    den = a * e - b * b
    s = np.where(den > 1e-12, np.clip((b * f - c * e) / np.where(den > 1e-12, den, 1.0), 0, 1), 0)
    t = (b * s + f) / e
    t_c = np.clip(t, 0.0, 1.0)
    s = np.where(t != t_c, np.clip((b * t_c - c) / a, 0.0, 1.0), s)
    diff = (p0 + d1 * s[..., None]) - (q0 + d2 * t_c[..., None])
    return np.linalg.norm(diff, axis=-1)


def silhouette_area(points: np.ndarray) -> np.ndarray:
    """Inflated covariance-ellipse area of the points projected onto the image plane (m^2)."""
    x, y, d = to_camera(points)
    scale = d.mean(axis=1, keepdims=True) / d  # perspective, in metres at the mean depth
    u, v = x * scale, y * scale
    u = u - u.mean(axis=1, keepdims=True)
    v = v - v.mean(axis=1, keepdims=True)
    r2 = FINGER_RADIUS ** 2
    cuu, cvv, cuv = (u * u).mean(1) + r2, (v * v).mean(1) + r2, (u * v).mean(1)
    return np.pi * np.sqrt(np.maximum(cuu * cvv - cuv * cuv, 0.0))


def _frontal_area() -> float:
    rest = np.zeros((1, len(FIELD_INDEX)))
    return float(silhouette_area(sample_points(forward_kinematics(rest, FIELD_INDEX)))[0])


def plausible_mask(poses: np.ndarray) -> np.ndarray:
    """Apply the rule to a batch of poses.

    Args:
        poses: (N, 28) pose vectors.

    Returns:
        (N,) boolean array, True for plausible poses.

    """
    poses = np.asarray(poses, float)
    lim = field_limits()
    ok = np.all((poses >= lim[:, 0] - 1e-9) & (poses <= lim[:, 1] + 1e-9), axis=1)
    frontal = _frontal_area()
    for start in range(0, len(poses), _CHUNK):
        sl = slice(start, start + _CHUNK)
        fk = forward_kinematics(poses[sl], FIELD_INDEX)
        pts = sample_points(fk)
        ok[sl] &= occluded_fraction(fk, pts) <= MAX_OCCLUDED
        ok[sl] &= silhouette_area(pts) >= MIN_SILHOUETTE * frontal
    return ok
