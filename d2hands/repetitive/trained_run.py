"""Use a trained run by naming its folder: the config, opts and final weights it recorded.

A repetitive or conventional run (``tools/repetitive_train.py``) records them in
``manifest.json``; a ``tools/train_net.py`` run leaves ``config.yaml`` (the full config, as
detectron2's ``default_setup`` writes it) and ``model_final.pth``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from .manifest import MANIFEST


@dataclass(frozen=True)
class TrainedRun:
    """What a tool needs to run a trained model."""

    config_file: str
    opts: list[str]
    weights: str


def _from_manifest(path: Path) -> TrainedRun:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"--run: cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or "config_file" not in manifest:
        raise UsageError(f"--run: {path} is not the manifest of a d2hands run")
    sessions = manifest.get("sessions") or []
    pending = [s.get("index") for s in sessions if s.get("status") != "done"]
    weights = manifest.get("final_weights")
    if pending or not weights:
        raise UsageError(
            f"--run: the run in {path.parent} is not finished (sessions {pending} not done, no "
            "final weights); resume it by running the same repetitive_train.py command again")
    if not os.path.isfile(weights):
        raise UsageError(f"--run: the run's final weights {weights} do not exist")
    config_file = manifest["config_file"]
    if not os.path.isfile(config_file):
        raise UsageError(f"--run: the run's config {config_file} does not exist (paths in the "
                         "manifest are relative to where the run was started)")
    return TrainedRun(config_file, [str(o) for o in manifest.get("opts") or []], weights)


def read_trained_run(run_dir: str | os.PathLike) -> TrainedRun:
    """Read the config, opts and final weights of a finished run.

    Args:
        run_dir: The run's output folder.

    Returns:
        The run.

    Raises:
        UsageError: If the folder holds no run, or an unfinished one, or its files are gone.

    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise UsageError(f"--run {folder}: no such folder")
    if (folder / MANIFEST).is_file():
        return _from_manifest(folder / MANIFEST)
    config, weights = folder / "config.yaml", folder / "model_final.pth"
    if config.is_file() and weights.is_file():
        return TrainedRun(str(config), [], str(weights))
    if config.is_file():
        raise UsageError(f"--run: the run in {folder} is not finished (no model_final.pth); "
                         "resume it with train_net.py --resume")
    raise UsageError(f"--run {folder}: no manifest.json (repetitive_train.py) or config.yaml + "
                     "model_final.pth (train_net.py) there")
