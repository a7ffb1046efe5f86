"""Object ids of the mask pass and the instance masks made from them (numpy only).

The mask pass paints every object in a flat colour whose channels are 0 or 1; a pixel's id is
``R + 2 G + 4 B`` (channels thresholded at half), 0 where nothing was rendered.
"""

from __future__ import annotations

import numpy as np

# (part, side) -> object colour (RGBA) in the mask pass; ids 1..6, none repeated.
ID_COLOURS = {
    ("hand", "right"): (1.0, 0.0, 0.0, 1.0),     # id 1
    ("hand", "left"): (0.0, 1.0, 0.0, 1.0),      # id 2
    ("forearm", "right"): (1.0, 1.0, 0.0, 1.0),  # id 3
    ("sleeve", "right"): (0.0, 0.0, 1.0, 1.0),   # id 4
    ("sleeve", "left"): (1.0, 0.0, 1.0, 1.0),    # id 5
    ("forearm", "left"): (0.0, 1.0, 1.0, 1.0),   # id 6
}

PROP_COLOUR = (1.0, 1.0, 1.0, 1.0)  # id 7: held objects (synth.props), no hand's


def object_id(part: str, side: str) -> int:
    """The id a part's pixels get in the mask pass."""
    r, g, b, _ = ID_COLOURS[(part, side)]
    return int(r) + 2 * int(g) + 4 * int(b)


def decode_ids(rgba: np.ndarray) -> np.ndarray:
    """(H, W) uint8 ids of a mask-pass render (0 where the alpha is below half)."""
    bits = rgba[..., :3] > 127
    ids = bits[..., 0] + 2 * bits[..., 1].astype(np.uint8) + 4 * bits[..., 2].astype(np.uint8)
    return np.where(rgba[..., 3] > 127, ids, 0).astype(np.uint8)


def instance_mask(ids: np.ndarray, side: str, extent: str) -> np.ndarray:
    """One hand's mask: its hand pixels, plus its bare forearm for ``hand+forearm``.

    Sleeves are never part of a mask.
    """
    mask = ids == object_id("hand", side)
    if extent == "hand+forearm":
        mask |= ids == object_id("forearm", side)
    return mask
