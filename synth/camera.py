"""Pinhole camera model shared by the plausibility rule, the framing check and the Blender scene.

The camera sits on the +Z axis at ``distance / scale`` metres from the wrist pivot, looks down -Z
with +Y up, and its fixed lens makes the shorter image side span ``2 * HALF_EXTENT`` metres at
the default distance (so the hand covers a small part of a 1280x720 frame). numpy only.
"""

from __future__ import annotations

import numpy as np

from synth.skeleton import BONES, PALM_BOX

DISTANCE = 1.5  # metres from the camera to the wrist pivot at scale 1
HALF_EXTENT = 0.25  # half of the shorter image side, in metres at the wrist's depth
FOCAL = DISTANCE / HALF_EXTENT  # focal length in units of half the shorter image side
CLIP_START = 0.05


def lens_mm(sensor_mm: float = 24.0) -> float:
    """Lens for Blender with ``sensor_mm`` fitted to the shorter image side."""
    return FOCAL * sensor_mm / 2.0


def hand_spheres(fk: dict) -> tuple[np.ndarray, np.ndarray]:
    """Spheres whose union's convex hulls per bone contain the hand mesh (forearm excluded).

    Every digit bone's mesh is a tapered capsule inside the hull of its head and tail spheres;
    the palm lies inside its box, whose corners enter with radius 0.

    Args:
        fk: Output of ``synth.skeleton.forward_kinematics``.

    Returns:
        centres (N, S, 3) in world space and radii (S,).

    """
    centres, radii = [], []
    for i, bone in enumerate(BONES):
        if bone.name in ("forearm", "wrist"):
            continue
        centres += [fk["head"][:, i], fk["tail"][:, i]]
        radii += list(bone.radii)
    w = [b.name for b in BONES].index("wrist")
    corners = np.array(np.meshgrid(*PALM_BOX, indexing="ij")).reshape(3, -1).T  # (8, 3)
    wrist_rest = BONES[w].frame
    local = corners @ wrist_rest  # corner coordinates in the wrist bone's rest frame
    rot, head = fk["rot"][:, w], fk["head"][:, w]
    for c in local:
        centres.append(head + rot @ c)
        radii.append(0.0)
    return np.stack(centres, axis=1), np.asarray(radii)


def to_camera(points: np.ndarray, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """World points to camera coordinates (x right, y up, depth in front of the camera)."""
    depth = DISTANCE / scale - points[..., 2]
    return points[..., 0], points[..., 1], depth


def extent_limits(resolution: tuple[int, int]) -> tuple[float, float]:
    """Half width and half height of the image in units of half the shorter side."""
    w, h = resolution
    m = min(w, h)
    return w / m, h / m


def sphere_extents(c: np.ndarray, d: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact min/max of the projected coordinate ``FOCAL * c / depth`` over spheres.

    The extreme rays are the planes through the camera's axis tangent to the sphere, i.e. the
    roots of ``(c - t d)^2 = r^2 (1 + t^2)``.

    Args:
        c: Lateral coordinate of sphere centres.
        d: Depth of sphere centres (must exceed r).
        r: Radii (broadcast).

    Returns:
        (low, high) projected coordinates.

    """
    den = d * d - r * r
    root = r * np.sqrt(np.maximum(c * c + den, 0.0))
    return FOCAL * (c * d - root) / den, FOCAL * (c * d + root) / den


def framing_margin_px(fk: dict, resolution: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """Smallest distance in pixels between the hand's projection and the image border.

    Args:
        fk: Forward kinematics of N poses.
        resolution: (width, height) in pixels.
        scale: Camera scale (>1 brings the camera closer).

    Returns:
        (N,) margins; a negative value means the hand (wrist to fingertips) leaves the frame.

    """
    centres, radii = hand_spheres(fk)
    x, y, d = to_camera(centres, scale)
    lim_x, lim_y = extent_limits(resolution)
    px_per_unit = min(resolution) / 2.0
    lo_x, hi_x = sphere_extents(x, d, radii)
    lo_y, hi_y = sphere_extents(y, d, radii)
    slack = np.minimum(np.minimum(lim_x - hi_x, lo_x + lim_x), np.minimum(lim_y - hi_y,
                                                                           lo_y + lim_y))
    return slack.min(axis=1) * px_per_unit


def project_px(points: np.ndarray, resolution: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """Project world points to pixel coordinates (column, row), row 0 at the top."""
    x, y, d = to_camera(points, scale)
    w, h = resolution
    half = min(w, h) / 2.0
    return np.stack([w / 2.0 + FOCAL * x / d * half, h / 2.0 - FOCAL * y / d * half], axis=-1)
