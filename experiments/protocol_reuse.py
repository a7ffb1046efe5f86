"""Rows that train nothing: another row's trained run, scored with test-time options of its own.

A test-time option (``HANDS.SUPPRESS_CONTAINED``) changes no weight, so its row reuses the
weights of the row it is measured on, at the same seed and photo count; its own run folder
holds a manifest whose opts add the option and whose session, threshold and test size are
chosen again (``tools/choose_session.py``) with it on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from protocol_rows import run_name

from d2hands.evaluation.report import write_atomic

# row -> (the row whose trained run it scores, the KEY VALUE opts it adds at test time)
EVAL_ONLY = {
    # 0.6: the best mean of val5 + valcomp's best-threshold F1 over 0.5-0.9, distractor_shapes
    # seeds 0-2 (docs/RESULTS.md, levers)
    "contained": ("distractor_shapes", ["HANDS.SUPPRESS_CONTAINED", "0.6"]),
    # flip test-time augmentation, its threshold chosen with it on (measured before at the
    # distractors row's threshold only)
    "flip": ("distractor_shapes", ["HANDS.FLIP_TTA", "True"]),
}
# What a session, and the run, were chosen with: chosen again with the row's options.
SESSION_CHOICE = ("val", "val_on", "val_thresholds", "val_history")
RUN_CHOICE = ("best_session", "final_weights", "score_thresh", "select", "select_metric",
              "validation", "test_size", "test_size_curves")


def reuse_run(out: Path, row: str, seed: int, photos: int) -> None:
    """Make ``OUT/runs/<row>_s<seed>`` from its source row's finished run (once).

    Exits with one error line where the source run is not trained.
    """
    source_row, opts = EVAL_ONLY[row]
    target = out / "runs" / run_name(row, seed, photos)
    if (target / "manifest.json").exists():
        return
    source = out / "runs" / run_name(source_row, seed, photos)
    path = source / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    sessions = manifest.get("sessions") or []
    if not sessions or any(s.get("status") != "done" for s in sessions):
        sys.exit(f"error: row {row} scores {source_row}'s trained run at seed {seed}, which "
                 f"{source} does not hold finished: run the protocol with --rows {source_row} "
                 f"--seeds {seed} first")
    for session in sessions:
        for key in SESSION_CHOICE:
            session.pop(key, None)
    for key in RUN_CHOICE:
        manifest.pop(key, None)
    manifest["opts"] = [*manifest.get("opts", []), *opts]
    manifest["reuses"] = str(source)
    target.mkdir(parents=True, exist_ok=True)
    write_atomic(target / "manifest.json", json.dumps(manifest, indent=1) + "\n")
