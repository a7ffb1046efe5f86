"""Choose a finished repetitive run's score threshold on its validation sets, after the fact.

Runs made before thresholds were chosen (or validated on other sets) get their chosen
session's F1 curve and ``score_thresh`` written into ``manifest.json``; from then on every
tool that reads the run (``--run``) uses that threshold.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.setup import build_cfg
from ..errors import UsageError
from .chain import evaluate_weights
from .manifest import load_manifest, save_manifest, session_threshold
from .trained_run import read_trained_run


def choose_run_threshold(run_dir: str | Path, datasets: list[str] | None = None,
                         opts: list[str] | None = None) -> dict:
    """Evaluate the run's chosen session on ``datasets`` (default ``DATASETS.TEST``), record it.

    Returns:
        ``{"score_thresh": ..., "curve": {threshold: F1}, "datasets": [...]}``.

    Raises:
        UsageError: If the run is not a finished repetitive run or has no validation set.

    """
    folder = Path(run_dir)
    manifest = load_manifest(folder)
    if not manifest or manifest.get("best_session") is None:
        raise UsageError(f"--run {folder}: not a finished repetitive_train.py run")
    run = read_trained_run(folder)  # checks the config and weights exist
    # The run's own config and size (not a test size chosen since by choose_session.py).
    cfg = build_cfg(run.config_file, [*map(str, manifest.get("opts") or []), *(opts or [])])
    names = list(datasets or cfg.DATASETS.TEST)
    if not names:
        raise UsageError("no validation set: give --datasets or set DATASETS.TEST in the run")
    index = [s.get("index") for s in manifest["sessions"]].index(manifest["best_session"])
    _, curve = evaluate_weights(cfg, run.weights, names)
    session = manifest["sessions"][index]
    session["val_thresholds"] = curve
    session["val_thresholds_on"] = names
    session.pop("val_on", None)  # its val is not on these sets: choose_session scores it again
    manifest.pop("test_size", None)  # the threshold is now the config's size's
    manifest["score_thresh"] = session_threshold(session)
    save_manifest(folder, manifest)
    return {"score_thresh": manifest["score_thresh"], "curve": curve, "datasets": names}
