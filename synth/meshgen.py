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


def palm(segments: int = 24, rings: int = 12, exponent: float = 0.45,
         box=PALM_BOX) -> tuple[np.ndarray, list]:
    """Build a rounded box (superellipsoid) filling ``box``, in armature rest coordinates."""
    v = np.linspace(-np.pi / 2, np.pi / 2, rings + 1)
    profile = np.stack([np.cos(v), np.sin(v)], axis=1)
    profile[0, 0] = profile[-1, 0] = 0.0
    verts, faces = lathe(profile, segments)  # unit sphere, poles on local Y

    def spow(t):
        return np.sign(t) * np.abs(t) ** exponent

    (x0, x1), (y0, y1), (z0, z1) = box
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2])
    half = np.array([(x1 - x0) / 2, (y1 - y0) / 2, (z1 - z0) / 2])
    # lathe axis (local Y) becomes the palm's thickness axis (Z)
    unit = np.stack([spow(verts[:, 0]), spow(verts[:, 2]), spow(verts[:, 1])], axis=1)
    faces = [tuple(reversed(f)) for f in faces]  # keep normals outwards after the axis swap
    return centre + unit * half, faces


def hand_parts(include_forearm: bool = False, bones=None, palm_box=PALM_BOX,
               thickness: float = 1.0, palm_width: float = 1.0) -> list[tuple[str, np.ndarray,
                                                                            list]]:
    """All mesh parts as (bone name, vertices in armature rest space, faces).

    The topology depends on nothing but ``include_forearm``, so a rig's vertices can be
    replaced by those of another shape (see :func:`hand_vertices`).

    Args:
        include_forearm: Add the forearm capsule (it is rendered as its own object).
        bones: Bone table (default: the paper hand's ``BONES``).
        palm_box: The palm's box in the wrist bone's frame.
        thickness: Factor on every digit radius.
        palm_width: Factor on the palm's breadth (about its centre).

    Returns:
        List of parts; each is rigidly skinned to its bone.

    """
    (x0, x1), ys, zs = palm_box
    mid, half = (x0 + x1) / 2, (x1 - x0) / 2 * palm_width
    box = ((mid - half, mid + half), ys, zs)
    parts = []
    for bone in BONES if bones is None else bones:
        if bone.name == "wrist":
            verts, faces = palm(box=box)
        elif bone.name == "forearm" and not include_forearm:
            continue
        else:
            segs = 20 if bone.name == "forearm" else 14
            t = 1.0 if bone.name == "forearm" else thickness
            verts, faces = capsule(bone.length, bone.radii[0] * t, bone.radii[1] * t, segs)
            verts = np.asarray(bone.head) + verts @ bone.frame.T
        parts.append((bone.name, verts, faces))
    return parts


def hand_vertices(bones, palm_box, thickness: float, palm_width: float) -> np.ndarray:
    """The hand mesh's rest vertices for a shape, in the order :func:`hand_parts` builds them."""
    return np.concatenate([v for _, v, _ in hand_parts(False, bones, palm_box, thickness,
                                                       palm_width)])


def forearm_part() -> tuple[str, np.ndarray, list]:
    """Return the paper hand's forearm capsule (elbow to wrist) in armature rest space."""
    return next(p for p in hand_parts(include_forearm=True) if p[0] == "forearm")


ARM_SEGMENTS = 20
_ARM_BODY = 16  # rings along the arm between the end caps
_CAP = 4


def _ellipse_scale(verts: np.ndarray, half_width: float, half_thickness: float) -> np.ndarray:
    return verts * np.array([half_width, 1.0, half_thickness])


def arm_tube(length: float, half_width: float, half_thickness: float,
             taper: float) -> tuple[np.ndarray, list]:
    """An elliptical arm from the elbow end (y = -length) to the wrist joint (y = 0).

    The wrist end is rounded within 0.3 half-widths, so it hides inside a palm that is broader
    and thicker than the wrist; the cross-section grows linearly by ``taper`` towards the elbow.

    Returns:
        Vertices (rest space, wrist at the origin, along -Y) and faces; the topology does not
        depend on the arguments.

    """
    cap = 0.3 * half_width
    a = np.linspace(0.0, np.pi / 2, _CAP + 1)
    ys = np.linspace(-length + cap, -cap, _ARM_BODY)
    body = np.stack([1.0 + (taper - 1.0) * (-ys / length), ys], axis=1)
    elbow = np.stack([taper * np.sin(a), -length + cap - cap * np.cos(a)], axis=1)
    wrist = np.stack([np.cos(a), -cap + cap * np.sin(a)], axis=1)
    profile = np.concatenate([elbow[:-1], body, wrist[1:]])
    profile[0, 0] = profile[-1, 0] = 0.0
    verts, faces = lathe(profile, ARM_SEGMENTS)
    return _ellipse_scale(verts, half_width, half_thickness), faces


def sleeve_tube(start: float, length: float, half_width: float, half_thickness: float,
                taper: float, looseness: float) -> tuple[np.ndarray, list]:
    """A sleeve around :func:`arm_tube` from ``start`` behind the wrist to the elbow end.

    Its cuff is a flat disc ``looseness`` times as wide as the arm there (the arm fits inside).

    Returns:
        Vertices, faces (the topology does not depend on the arguments).

    """
    def radius(y):
        return looseness * (1.0 + (taper - 1.0) * (-y / length))

    ys = np.linspace(-start, -length, _ARM_BODY)
    body = np.stack([radius(ys), ys], axis=1)
    profile = np.concatenate([[[0.0, -start]], body, [[0.0, -length]]])
    verts, faces = lathe(profile[::-1], ARM_SEGMENTS)
    return _ellipse_scale(verts, half_width, half_thickness), faces


def sleeve_pattern(kind: str, faces: int, rings: int = _ARM_BODY + 1,
                   band: int = 2) -> np.ndarray:
    """Material index (0 or 1) per sleeve face for a cloth pattern.

    Args:
        kind: "plain", "bands" (rings round the arm), "stripes" (along it) or "checks".
        faces: Number of faces (from :func:`sleeve_tube`).
        rings: Faces per segment in :func:`lathe`'s order.
        band: Width of a stripe in faces.

    Returns:
        (faces,) int array.

    """
    f = np.arange(faces)
    seg, ring = f // rings, f % rings
    pattern = {"plain": np.zeros(faces, int), "bands": ring // band % 2,
               "stripes": seg // band % 2, "checks": (ring // band + seg // band) % 2}
    return pattern[kind].astype(np.int32)
