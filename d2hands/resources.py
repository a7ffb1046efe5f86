"""Files d2hands ships, found the same way in a checkout and in an installed wheel."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def config_path(name: str) -> Path:
    """A config that ships with d2hands (``configs/NAME``; in a checkout, the same files)."""
    return PACKAGE / "configs" / name


def render_script() -> Path:
    """``synth/render_poses.py`` of the installed ``synth`` package."""
    spec = importlib.util.find_spec("synth")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the synth package (renders) is not installed")
    return Path(spec.origin).parent / "render_poses.py"
