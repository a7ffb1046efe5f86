"""Rows that train nothing: another row's trained run, scored with test-time options of its own.

A test-time option (``HANDS.SUPPRESS_CONTAINED``, ``HANDS.FLIP_TTA``) changes no weight, so
its row reuses the weights of the row it is measured on, at the same seed and photo count;
its own run folder holds a manifest whose opts add the option and whose session, threshold
and test size are chosen again (``tools/choose_session.py``) with it on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from protocol_rows import EVAL_ONLY, run_name

from d2hands.errors import UsageError
from d2hands.evaluation.report import write_atomic
from d2hands.repetitive.manifest import load_manifest

# What a session, and the run, were chosen with: chosen again with the row's options.
SESSION_CHOICE = ("val", "val_on", "val_thresholds", "val_history")
RUN_CHOICE = ("best_session", "final_weights", "score_thresh", "select", "select_metric",
              "validation", "test_size", "test_size_curves")


def _manifest(path: Path) -> dict:
    try:
        return load_manifest(path) or {}
    except UsageError as exc:
        sys.exit(f"error: {exc}")


def reused_manifest(source: dict, opts: list[str], source_dir: Path) -> dict:
    """The source run's manifest with ``opts`` added and every choice left to be made again."""
    manifest = json.loads(json.dumps(source))  # a deep copy: the source is never written
    for session in manifest["sessions"]:
        for key in SESSION_CHOICE:
            session.pop(key, None)
    for key in RUN_CHOICE:
        manifest.pop(key, None)
    manifest["opts"] = [*manifest.get("opts", []), *opts]
    manifest["reuses"] = str(source_dir)
    return manifest


def reuse_run(out: Path, row: str, seed: int, photos: int, target: Path | None = None) -> None:
    """Make ``target`` (default ``OUT/runs/<row>_s<seed>``) from its source row's finished run.

    A target made before is kept (its choices resume) where it still has the row's options
    and the source's weights; otherwise, and where the source run is not trained, the
    protocol exits with one error line.
    """
    source_row, opts = EVAL_ONLY[row]
    target = target or out / "runs" / run_name(row, seed, photos)
    source_dir = out / "runs" / run_name(source_row, seed, photos)
    source = _manifest(source_dir)
    sessions = source.get("sessions") or []
    if not sessions or any(s.get("status") != "done" for s in sessions):
        sys.exit(f"error: row {row} scores {source_row}'s trained run at seed {seed}, which "
                 f"{source_dir} does not hold finished: run the protocol with --rows "
                 f"{source_row} --seeds {seed} first (if that row-seed is recorded without "
                 "its weights, move its record aside so that it trains again)")
    expected = reused_manifest(source, opts, source_dir)
    made = _manifest(target)
    if made:
        weights = [s.get("final_weights") for s in made.get("sessions", [])]
        if made.get("opts") != expected["opts"] or weights != [
                s.get("final_weights") for s in expected["sessions"]]:
            sys.exit(f"error: {target} was made with other options or weights than row {row}'s "
                     f"now; move it and {out / 'eval' / target.name} aside to score it again")
        return
    target.mkdir(parents=True, exist_ok=True)
    write_atomic(target / "manifest.json", json.dumps(expected, indent=1) + "\n")
