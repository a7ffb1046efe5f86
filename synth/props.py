"""Things a rendered hand holds: a card, a phone, a box, a cup, a puzzle piece (numpy only).

``--held-objects P`` gives each hand of the photo look a held object with probability ``P``,
either pinched between the thumb and the index finger (``grip``, where the tips are as far
apart as the object is thick, give or take ``TIP_ROOM``; otherwise it goes to the palm) or
lying against the palm (``palm``), in a random colour. The object hides the hand where it
passes in front of it, and the hand's mask loses those pixels: a hand partly covered by what
it holds is still a hand (issue 36: the missed hands of an unseen set often held something).

Draws are deterministic in (seed, key) and use their own generator, so runs without held
objects lay out exactly the images they did before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth.anatomy import HAND_LENGTH, THICKNESS
from synth.layout import CENTRE

# name: (shape, sizes in metres for the rig's 0.19 m hand). Boxes: width, height, thickness
# (thickness along the object's local z); the cup: diameter, diameter, height (z its axis).
KINDS = {
    "card": ("box", (0.055, 0.085, 0.002)),
    "phone": ("box", (0.07, 0.145, 0.009)),
    "box": ("box", (0.06, 0.08, 0.045)),
    "cup": ("cylinder", (0.08, 0.08, 0.095)),
    "puzzle": ("box", (0.045, 0.04, 0.004)),
}
PLACES = ("grip", "palm")
PALM_CENTRE = CENTRE  # in the wrist bone's frame
PALM_HALF_THICKNESS = THICKNESS * HAND_LENGTH / 2  # the palm's half depth along its normal
TIP_ROOM = 0.035  # a pinch: the tips at most this much further apart than the object is thick


@dataclass(frozen=True)
class HeldObject:
    """One hand's held object.

    Attributes:
        kind: a key of ``KINDS``.
        place: ``grip`` (between thumb and index tips) or ``palm`` (against the palm).
        spin: rotation in radians about the axis the object is held along.
        rgb: linear RGB colour in [0, 1].

    """

    kind: str
    place: str
    spin: float
    rgb: tuple


def draw_held_objects(seed: int, key: int, count: int, prob: float) -> tuple:
    """Each of ``count`` hands' held object (or None), drawn with probability ``prob``."""
    rng = np.random.default_rng([int(seed), int(key), 13])
    kinds = sorted(KINDS)
    out = []
    for _ in range(count):
        u, k, p, spin = rng.uniform(size=4)
        rgb = tuple(float(c) for c in rng.uniform(0.02, 0.9, 3))
        out.append(HeldObject(kinds[int(k * len(kinds))], PLACES[int(p * len(PLACES))],
                              float(2 * np.pi * spin), rgb) if u < prob else None)
    return tuple(out)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else v


def _frame(z: np.ndarray, y_hint: np.ndarray, spin: float) -> np.ndarray:
    """A rotation whose z axis is ``z``, y as near ``y_hint`` as allowed, spun about z."""
    z = _unit(z)
    y = _unit(y_hint - z * float(np.dot(y_hint, z)))
    if np.linalg.norm(y) < 0.5:  # the hint lies along z: any perpendicular will do
        y = _unit(np.cross(z, [1.0, 0.0, 0.0] if abs(z[0]) < 0.9 else [0.0, 1.0, 0.0]))
    x = np.cross(y, z)
    c, s = np.cos(spin), np.sin(spin)
    x, y = c * x + s * y, -s * x + c * y
    return np.stack([x, y, z], axis=1)


def pinched(held: HeldObject, thumb_tip: np.ndarray, index_tip: np.ndarray) -> bool:
    """Whether a ``grip`` can be made: the tips as far apart as the object is thick (+TIP_ROOM)."""
    shape, size = KINDS[held.kind]
    across = size[0] if shape == "cylinder" else size[2]  # what the tips would pinch
    return held.place == "grip" and across <= np.linalg.norm(index_tip - thumb_tip) <= (
        across + TIP_ROOM)


def held_transform(held: HeldObject, wrist: np.ndarray, thumb_tip: np.ndarray,
                   index_tip: np.ndarray) -> np.ndarray:
    """The object's 4x4 transform in the armature's space (where the posed bones are).

    A ``grip`` that cannot be made (``pinched``) is placed against the palm instead.

    Args:
        held: the object.
        wrist: the posed wrist bone's 4x4 matrix (its z axis is the palm's normal, y points
            to the fingers).
        thumb_tip: the posed thumb's tip (3-vector).
        index_tip: the posed index finger's tip.

    """
    rot_w = wrist[:3, :3]
    normal, along = rot_w[:, 2], rot_w[:, 1]
    shape, size = KINDS[held.kind]
    line = index_tip - thumb_tip
    if pinched(held, thumb_tip, index_tip):
        centre = (thumb_tip + index_tip) / 2
        if shape == "cylinder":  # the tips on either side of the cup: its axis across the line
            rotation = _frame(normal - _unit(line) * float(np.dot(normal, _unit(line))), line,
                              held.spin)
        else:  # the object's thickness between the tips
            rotation = _frame(line, along, held.spin)
    else:
        depth = size[0] / 2 if shape == "cylinder" else size[2] / 2
        if shape == "cylinder":  # the cup's axis across the palm, as a hand grips a cup
            rotation = _frame(rot_w[:, 0], normal, held.spin)
        else:
            rotation = _frame(normal, along, held.spin)
        centre = (wrist @ np.append(PALM_CENTRE, 1.0))[:3]
        centre = centre + normal * (PALM_HALF_THICKNESS + depth + 0.002)
    out = np.eye(4)
    out[:3, :3] = rotation
    out[:3, 3] = centre
    return out
