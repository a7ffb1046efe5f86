"""The 21 hand keypoints in COCO keypoint format (numpy only).

Order (as in OpenPose and COCO-WholeBody hands): wrist; thumb CMC, MCP, IP, tip; then MCP, PIP,
DIP and tip of the index, middle, ring and little fingers. Joints are the bones' ends (on the
bone axes, inside the mesh); a tip is the end of the distal capsule. Visibility follows COCO:
2 labelled and visible, 1 labelled but hidden (by the hand itself, the other hand, a sleeve or
an arm), 0 outside the image (stored as 0, 0, 0).
"""

from __future__ import annotations

import numpy as np

# (bone, which end): "head", "tail" or "tip" (tail plus the capsule's end radius).
KEYPOINT_BONES = [("wrist", "head"),
                  ("thumb_1", "head"), ("thumb_2", "head"), ("thumb_3", "head"),
                  ("thumb_3", "tip")]
for _finger in ("index", "middle", "ring", "little"):
    KEYPOINT_BONES += [(f"{_finger}_1", "head"), (f"{_finger}_2", "head"),
                       (f"{_finger}_3", "head"), (f"{_finger}_3", "tip")]

KEYPOINT_NAMES = ["wrist", "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip"]
for _finger in ("index", "middle", "ring", "little"):
    KEYPOINT_NAMES += [f"{_finger}_mcp", f"{_finger}_pip", f"{_finger}_dip", f"{_finger}_tip"]
# COCO 'skeleton': 1-based keypoint pairs.
SKELETON = [[1, 2], [2, 3], [3, 4], [4, 5]] + [
    [a, b] for base in (6, 10, 14, 18) for a, b in ((1, base), (base, base + 1),
                                                   (base + 1, base + 2), (base + 2, base + 3))]


def coco_keypoints(points: np.ndarray, mask: np.ndarray, mirror: bool = False) -> tuple[list,
                                                                                       int]:
    """COCO ``keypoints`` and ``num_keypoints`` of one hand.

    Args:
        points: (21, 4) rows of (x, y, depth, self-occluded) from the scene.
        mask: The hand's (H, W) visible mask (hidden by other objects = not in it).
        mirror: The image was mirrored left-right after rendering (the paper look's left hands).

    Returns:
        ``[x1, y1, v1, ...]`` with x, y rounded to 0.01 px, and the count of v > 0.

    """
    h, w = mask.shape
    out, labelled = [], 0
    for x, y, depth, self_hidden in points:
        if mirror:
            x = w - x
        if depth <= 0 or not (0 <= x < w and 0 <= y < h):
            out += [0, 0, 0]
            continue
        c, r = int(x), int(y)
        near = mask[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2]
        visible = bool(near.any()) and not self_hidden
        out += [round(float(x), 2), round(float(y), 2), 2 if visible else 1]
        labelled += 1
    return out, labelled
