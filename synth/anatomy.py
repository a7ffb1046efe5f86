"""The photo-look hand: proportions from published anthropometry, and per-image shape jitter.

Segment lengths are ratios of hand length (HL, wrist crease to the tip of the middle finger) from
Buchholz, Armstrong & Goldstein (1992), "Anthropometric data for describing the kinematics of
the human hand", Ergonomics 35(3):261-273, Table 2 (metacarpal, proximal, middle, distal):

====== ======= ======== ====== =======
digit  MC      PP       MP     DP
====== ======= ======== ====== =======
thumb  0.251   0.196    --     0.158
index  0.374   0.246    0.143  0.097
middle 0.373   0.265    0.170  0.108
ring   0.336   0.244    0.165  0.107
little 0.295   0.204    0.117  0.093
====== ======= ======== ====== =======

Breadths and thickness are ratios of HL from the US Army anthropometric survey means (ANSUR,
Greiner 1991, "Hand anthropometry of U.S. Army personnel", tech. report NATICK/TR-92/011;
men: HL 19.4 cm, hand breadth 8.9 cm, thickness at metacarpal III 3.3 cm, index finger breadth
2.1 cm proximal / 1.8 cm distal, thumb breadth 2.3 cm): hand breadth 0.45 HL, palm thickness
0.17 HL, finger breadth at the PIP joint 0.108 HL (index), 0.111 (middle), 0.103 (ring), 0.092
(little), at the DIP joint 0.093 (index), thumb at the IP joint 0.119 HL; the wrist is 0.30 HL
broad and, so that the arm never bulges over the back of the hand, just thinner than the palm.

Per image (``jitter``): hand length uniform in [0.165, 0.205] m (about the 5th percentile of
women to the 95th of men), finger thickness x[0.9, 1.15], palm breadth x[0.93, 1.08]; the arm
(forearm, and upper arm where it is long) is 0.25-0.60 m, tapering to 1.3x the wrist's breadth.
numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth.skeleton import PAPER_DIMS, HandDims

HAND_LENGTH = 0.19  # metres: the rig's size; the per-image size is an object scale
SEGMENT_RATIOS = {
    "thumb": (0.251, 0.196, 0.158),
    "index": (0.374, 0.246, 0.143, 0.097),
    "middle": (0.373, 0.265, 0.170, 0.108),
    "ring": (0.336, 0.244, 0.165, 0.107),
    "little": (0.295, 0.204, 0.117, 0.093),
}
# Finger radii (MCP, PIP, DIP, tip) as ratios of HL: half the breadths above, tapering.
RADIUS_RATIOS = {
    "index": (0.057, 0.054, 0.0465, 0.043),
    "middle": (0.058, 0.0555, 0.048, 0.044),
    "ring": (0.054, 0.0515, 0.045, 0.0415),
    "little": (0.048, 0.046, 0.041, 0.038),
}
THUMB_RADIUS_RATIOS = (0.079, 0.066, 0.0595, 0.0525)
BREADTH, THICKNESS = 0.45, 0.17
CMC_OFFSET = 0.079  # wrist joint to the metacarpals' bases (carpal bones), ratio of HL
WRIST_HALF_WIDTH = 0.15  # ratio of HL
WRIST_HALF_THICKNESS = 0.081  # ratio of HL; the palm's half thickness is 0.085
ARM_TAPER = 1.3

SIZE_RANGE = (0.165, 0.205)
THICKNESS_RANGE = (0.9, 1.15)
PALM_WIDTH_RANGE = (0.93, 1.08)
ARM_LENGTH_RANGE = (0.25, 0.60)


def anatomical_dims(hand_length: float = HAND_LENGTH) -> HandDims:
    """Skeleton dimensions of the photo-look hand of the given length (metres)."""
    hl = hand_length
    fingers = {}
    for name, (_, splay, _, _, sign) in PAPER_DIMS.fingers.items():
        mc, *phalanges = SEGMENT_RATIOS[name]
        (px, _py) = PAPER_DIMS.fingers[name][0]
        mcp = (px * BREADTH * hl / 0.089, (CMC_OFFSET + mc) * hl)
        fingers[name] = (mcp, splay, tuple(r * hl for r in phalanges),
                         tuple(r * hl for r in RADIUS_RATIOS[name]), sign)
    top = max(f[0][1] for f in fingers.values())
    half_breadth = BREADTH * hl / 2
    return HandDims(
        fingers=fingers,
        thumb_head=(0.12 * hl, 0.07 * hl, 0.02 * hl), thumb_dir=PAPER_DIMS.thumb_dir,
        thumb_flex_towards=PAPER_DIMS.thumb_flex_towards,
        thumb_lengths=tuple(r * hl for r in SEGMENT_RATIOS["thumb"]),
        thumb_radii=tuple(r * hl for r in THUMB_RADIUS_RATIOS),
        palm_box=((-half_breadth * 1.03, half_breadth * 0.97), (-0.02 * hl, top),
                  (-THICKNESS * hl / 2, THICKNESS * hl / 2)),
        forearm_length=0.27, forearm_radii=(WRIST_HALF_WIDTH * hl * ARM_TAPER,
                                             WRIST_HALF_WIDTH * hl))


@dataclass(frozen=True)
class Shape:
    """One image's hand shape.

    Attributes:
        scale: Hand length over ``HAND_LENGTH`` (an object scale of the rig).
        thickness: Finger radius factor.
        palm_width: Palm breadth factor.
        arm_length: Length of the arm behind the wrist, metres at scale 1.

    """

    scale: float
    thickness: float
    palm_width: float
    arm_length: float


PAPER_SHAPE = Shape(1.0, 1.0, 1.0, PAPER_DIMS.forearm_length)


def jitter(rng: np.random.Generator) -> Shape:
    """Draw a hand shape within the stated ranges."""
    u = rng.uniform(size=4)

    def pick(k, lo_hi):
        return float(lo_hi[0] + u[k] * (lo_hi[1] - lo_hi[0]))

    return Shape(pick(0, SIZE_RANGE) / HAND_LENGTH, pick(1, THICKNESS_RANGE),
                 pick(2, PALM_WIDTH_RANGE), pick(3, ARM_LENGTH_RANGE))
