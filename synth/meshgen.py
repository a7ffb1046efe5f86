"""Procedural hand mesh parts as numpy vertex/face arrays (no bpy).

Each digit bone gets a tapered capsule that lies inside the convex hull of its head and tail
spheres (``Bone.radii``), the palm a rounded box inside ``PALM_BOX``; so the geometric checks in
``synth.camera`` bound the rendered mesh exactly.
"""

from __future__ import annotations

import numpy as np

from synth.skeleton import BONES, PALM_BOX


def lathe(profile: np.ndarray, segments: int) -> tuple[np.ndarray, list]:
    """Revolve a (radius, height) profile about the local Y axis.

    Args:
        profile: (K, 2) rows of (radius, y) from bottom pole to top pole; the first and last
            rows must have radius 0 (poles).
        segments: Number of segments around the axis.

    Returns:
        Vertices (V, 3) in the local frame (x, y along the axis, z) and faces (index tuples).

    """
    ring_r, ring_y = profile[1:-1, 0], profile[1:-1, 1]
    ang = 2 * np.pi * np.arange(segments) / segments
    rings = np.stack([np.outer(ring_r, np.cos(ang)), np.repeat(ring_y[:, None], segments, 1),
                      np.outer(ring_r, np.sin(ang))], axis=-1).reshape(-1, 3)
    verts = np.concatenate([[[0.0, profile[0, 1], 0.0]], rings, [[0.0, profile[-1, 1], 0.0]]])
    n_rings, top = len(ring_r), len(verts) - 1
    faces = []
    for s in range(segments):
        t = (s + 1) % segments
        faces.append((0, 1 + t, 1 + s))
        for k in range(n_rings - 1):
            a, b = 1 + k * segments, 1 + (k + 1) * segments
            faces.append((a + s, a + t, b + t, b + s))
        last = 1 + (n_rings - 1) * segments
        faces.append((last + s, last + t, top))
    return verts, faces


def capsule(length: float, r0: float, r1: float, segments: int = 14,
            cap_rings: int = 4) -> tuple[np.ndarray, list]:
    """Tapered capsule along +Y from 0 to ``length``, inside the hull of its two end spheres."""
    a = np.linspace(-np.pi / 2, 0.0, cap_rings + 1)
    bottom = np.stack([r0 * np.cos(a), r0 * np.sin(a)], axis=1)
    top = np.stack([r1 * np.cos(-a[::-1]), length + r1 * np.sin(-a[::-1])], axis=1)
    return lathe(np.concatenate([bottom, top]), segments)


def palm(segments: int = 24, rings: int = 12, exponent: float = 0.45) -> tuple[np.ndarray, list]:
    """Build a rounded box (superellipsoid) filling ``PALM_BOX``, in armature rest coordinates."""
    v = np.linspace(-np.pi / 2, np.pi / 2, rings + 1)
    profile = np.stack([np.cos(v), np.sin(v)], axis=1)
    profile[0, 0] = profile[-1, 0] = 0.0
    verts, faces = lathe(profile, segments)  # unit sphere, poles on local Y

    def spow(t):
        return np.sign(t) * np.abs(t) ** exponent

    (x0, x1), (y0, y1), (z0, z1) = PALM_BOX
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2])
    half = np.array([(x1 - x0) / 2, (y1 - y0) / 2, (z1 - z0) / 2])
    # lathe axis (local Y) becomes the palm's thickness axis (Z)
    unit = np.stack([spow(verts[:, 0]), spow(verts[:, 2]), spow(verts[:, 1])], axis=1)
    faces = [tuple(reversed(f)) for f in faces]  # keep normals outwards after the axis swap
    return centre + unit * half, faces


def hand_parts(include_forearm: bool = False) -> list[tuple[str, np.ndarray, list]]:
    """All mesh parts as (bone name, vertices in armature rest space, faces).

    Args:
        include_forearm: Add the forearm capsule (it is rendered as its own object).

    Returns:
        List of parts; each is rigidly skinned to its bone.

    """
    parts = []
    for bone in BONES:
        if bone.name == "wrist":
            verts, faces = palm()
        elif bone.name == "forearm" and not include_forearm:
            continue
        else:
            segs = 20 if bone.name == "forearm" else 14
            verts, faces = capsule(bone.length, bone.radii[0], bone.radii[1], segs)
            verts = np.asarray(bone.head) + verts @ bone.frame.T
        parts.append((bone.name, verts, faces))
    return parts


def forearm_part() -> tuple[str, np.ndarray, list]:
    """Return the forearm capsule (elbow to wrist) in armature rest space."""
    return next(p for p in hand_parts(include_forearm=True) if p[0] == "forearm")
