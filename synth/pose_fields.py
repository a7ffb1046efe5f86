"""The fields of the 28-DoF pose vector and their joint limits (numpy only, no bpy).

The layout is documented in ``synth.pose``. Both ``synth.pose`` (grids, finger schedule) and
``synth.plausibility`` (the rule) read it from here, so neither imports the other's module.
"""

from __future__ import annotations

import numpy as np

from synth.skeleton import FINGERS

FIELDS = ("tx", "ty", "tz", "rx", "ry", "rz", "wrist_flex", "wrist_dev")
for _f in FINGERS:
    FIELDS += (f"{_f}_mcp_flex", f"{_f}_mcp_abd", f"{_f}_pip", f"{_f}_dip")
FIELDS += ("thumb_cmc_flex", "thumb_cmc_abd", "thumb_mcp", "thumb_ip")
FIELD_INDEX = {name: i for i, name in enumerate(FIELDS)}

# Joint limits (degrees) that the finger schedule respects; checked by the plausibility rule.
JOINT_LIMITS = {"mcp_flex": (-10.0, 90.0), "mcp_abd": (-10.0, 20.0), "pip": (0.0, 110.0),
                "dip": (0.0, 80.0), "thumb_cmc_flex": (-10.0, 55.0),
                "thumb_cmc_abd": (-10.0, 50.0), "thumb_mcp": (0.0, 60.0),
                "thumb_ip": (-10.0, 80.0)}


def field_limits() -> np.ndarray:
    """Return a (28, 2) array of (low, high) limits per field; globals are unbounded."""
    lim = np.full((len(FIELDS), 2), [-np.inf, np.inf])
    for name, i in FIELD_INDEX.items():
        key = name if name.startswith("thumb") else name.split("_", 1)[-1]
        if key in JOINT_LIMITS:
            lim[i] = JOINT_LIMITS[key]
    lim[FIELD_INDEX["wrist_flex"]] = (-70.0, 80.0)
    lim[FIELD_INDEX["wrist_dev"]] = (-30.0, 20.0)
    return lim
