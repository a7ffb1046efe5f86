"""The measurement protocol of issue 14: every recipe x 3 seeds, scored on three held-out sets.

    python experiments/protocol.py --output-dir OUT [--steps 3000] [--seeds 0,1,2] [--rows A,B]

Each row adds one thing to the row before it (``ROWS``). Training uses renders and at most the
25 ``own25_train`` photos: 20 to train on (``real20``) and 5 to validate on (``val5``). Once a
run is trained, ``tools/choose_session.py`` scores every session on ``val5`` and ``valcomp``
(``val5``'s hands composited onto procedural backgrounds) and chooses the session with the best
hands F1 at its own best threshold, and its test size (issue 36; records without a
``validation`` field had their session chosen on ``val5`` alone). Held out, never used to
choose anything: ``own25_test``, ``fist_100``, and ``multi`` (``experiments/protocol_data.py``).
Every step is a toolkit command appended to ``OUT/commands.sh``; finished steps are skipped, so
re-running the same command continues.

Every finished row-seed is also recorded, small and committed, in
``docs/results/protocol/<steps>steps/<row>_s<seed>.json`` (its held-out metrics, the session
chosen, the commit and the time it took). A recorded row-seed is not run again, so the protocol
accumulates across machines and clean checkouts; ``experiments/protocol_report.py`` writes the
mean +- std tables from the records.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from protocol_data import (  # noqa: E402  (shared steps)
    REAL_PHOTOS,
    REAL_SUBSETS,
    TEST_SIZES,
    VALIDATION,
    held_out,
    prepare,
    validation_register,
)
from protocol_rows import (  # noqa: E402
    CONFIG,
    EVAL_ONLY,
    MINE_SCORE,
    NO_REAL_ROWS,
    ROWS,
    TEACHERS,
    mined_dir,
    row_args,
    run_name,
)
from synth_to_real import PY, REAL, ROOT, run, score_mediapipe  # noqa: E402

sys.path.insert(0, str(ROOT))
from protocol_reuse import reuse_run  # noqa: E402  (needs d2hands on the path)

from d2hands.evaluation.report import write_atomic  # noqa: E402

HELD_OUT = ("own25", "fist100", "multi")
RECORDS = ROOT / "docs" / "results" / "protocol"


def shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def records_dir(steps: int, root: Path = RECORDS) -> Path:
    """The committed records of every row-seed trained for ``steps`` steps."""
    return root / f"{steps}steps"


def train_and_score(out: Path, row: str, seed: int, steps: int, log: Path,
                    name: str = "", records: Path | None = None,
                    photos: int = REAL_PHOTOS) -> None:
    """Train one row at one seed (resumable), score it on every held-out set, record it.

    ``name`` (default ``<row>_s<seed>``) names the run and eval folders; runs of another
    length must have their own, or a finished run would be taken for this one. With
    ``records`` (a ``records_dir``), a row-seed recorded there is skipped, and a new one is
    recorded when it is scored.
    """
    name = name or run_name(row, seed, photos)
    record = records / f"{name}.json" if records else None
    if record is not None and record.exists():
        print(f"{name}: recorded in {shown(record)}, skipped", flush=True)
        return
    run_dir = out / "runs" / name
    if row in EVAL_ONLY:
        reuse_run(out, row, seed, photos, run_dir)
    manifest = run_dir / "manifest.json"
    state = json.loads(manifest.read_text()) if manifest.exists() else {}
    started = time.time()
    if row == "mined":
        mine(out, seed, log)
    if not state.get("sessions") or any(s.get("status") != "done" for s in state["sessions"]):
        run([PY, "tools/repetitive_train.py", "--config-file", CONFIG, "--output-dir", run_dir,
             *row_args(row, out, steps, seed, photos)], log)
        state = json.loads(manifest.read_text())
    size = state.get("test_size") or {}
    if state.get("validation") != list(VALIDATION) or size.get("session") != state["best_session"]:
        # the session, threshold and test size, chosen on more than val5
        run([PY, "tools/choose_session.py", "--run", run_dir, "--datasets", ",".join(VALIDATION),
             "--test-sizes", ",".join(map(str, TEST_SIZES)), "DATASETS.REGISTER",
             validation_register(out)], log)
        state = json.loads(manifest.read_text())
    evals = score_held_out(out, run_dir, name, log, session=state["best_session"])
    if record is not None:
        write_record(record, out, name, row, seed, steps, time.time() - started, evals, photos)


def mine(out: Path, seed: int, log: Path) -> None:
    """The ``mined`` row's negatives: its teacher's false detections on ``real20`` (once)."""
    target = mined_dir(out, seed)
    if (target / "annotations.json").exists():
        return
    teacher = out / "runs" / run_name(TEACHERS["mined"], seed)
    manifest = teacher / "manifest.json"
    if not manifest.exists() or json.loads(manifest.read_text()).get("best_session") is None:
        sys.exit(f"error: row mined at seed {seed} mines with {TEACHERS['mined']} seed {seed}'s "
                 f"model, which {shown(teacher)} does not hold: run the protocol with --rows "
                 f"{TEACHERS['mined']} --seeds {seed} first (if that row-seed is recorded without "
                 "its weights, move its record aside so that it trains again)")
    run([PY, "tools/mine_negatives.py", "--run", teacher, "--coco", out / "real" / "real20.json",
         "--image-root", REAL / "own_hands_50" / "images", "--output-dir", target,
         "--score-thresh", MINE_SCORE], log)


def write_record(path: Path, out: Path, name: str, row: str, seed: int, steps: int | None,
                 seconds: float, evals: Path | None = None, photos: int = REAL_PHOTOS) -> None:
    """Write the committed record of a scored row-seed (atomically; ``steps`` None: untrained).

    ``evals`` holds its held-out metrics (default ``OUT/eval/<name>``).
    """
    manifest_path = out / "runs" / name / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    record = {
        "row": row, "seed": seed, "steps": steps, "label": ROWS[row], "commit": commit,
        "command": ("python experiments/protocol.py --rows mediapipe" if row == "mediapipe" else
                    f"python experiments/protocol.py --steps {steps} --rows {row} --seeds {seed}"
                    + ("" if photos == REAL_PHOTOS else f" --real-photos {photos}")),
        "real_photos": 0 if row in NO_REAL_ROWS else photos,
        "best_session": manifest.get("best_session"), "score_thresh": manifest.get("score_thresh"),
        "select_metric": manifest.get("select_metric"), "validation": manifest.get("validation"),
        "test_size": manifest.get("test_size"),
        "sessions_validation": sessions_validation(manifest),
        "wall_seconds": round(seconds),
        # wall_seconds counts only this invocation; a resumed run's training cost is the sum of
        # its finished sessions (a session killed mid-way restarts and counts its last try).
        "train_seconds": 0 if "reuses" in manifest else round(
            sum(s.get("wall_time_s", 0) for s in manifest.get("sessions", []))),
        "reuses": manifest.get("reuses"),  # an eval-only row: whose weights it scored
        "held_out": {held: json.loads(((evals or out / "eval" / name) / held / "metrics.json")
                                      .read_text()) for held in HELD_OUT},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"{name}: recorded in {shown(path)}", flush=True)


def sessions_validation(manifest: dict) -> dict:
    """Every finished session's validation: best-threshold F1, its threshold, mask AP."""
    from d2hands.repetitive.manifest import session_threshold

    return {str(s["index"]): {"hands_f1_best": s["val"].get("hands/F1_best"),
                              "score_thresh": session_threshold(s),
                              "segm_ap": s["val"].get("segm/AP")}
            for s in manifest.get("sessions", []) if s.get("status") == "done" and s.get("val")}


def score_held_out(out: Path, run_dir: Path, name: str, log: Path,
                   session: int | None = None) -> Path:
    """Score a run's chosen session (or ``session``) on every held-out set (resumable).

    Into ``OUT/eval/<name>[/sessions/<session>]/<set>``; returns the folder holding the sets.
    """
    base = out / "eval" / name / ("" if session is None else f"sessions/{session}")
    chosen = [] if session is None else ["--session", session]
    thresh, size = expected_settings(run_dir, session)
    for held in HELD_OUT:
        folder = base / held
        if not scored_at(folder / "metrics.json", thresh, size):
            run([PY, "tools/evaluate.py", "--run", run_dir, *chosen, *held_out(out, held),
                 "--output-dir", folder, "--quiet"], log)
    return base


@functools.lru_cache(maxsize=1)
def config_test_size() -> int:
    """The protocol config's own test input size (``INPUT.MIN_SIZE_TEST``)."""
    from d2hands.engine import build_cfg

    return int(build_cfg(str(ROOT / CONFIG)).INPUT.MIN_SIZE_TEST)


def expected_settings(run_dir: Path, session: int | None) -> tuple[float, int]:
    """The score threshold and test size ``evaluate.py --run [--session]`` uses for a session."""
    from d2hands.defaults import DEFAULT_SCORE_THRESH
    from d2hands.repetitive.trained_run import chosen_opts

    path = run_dir / "manifest.json"
    opts = chosen_opts(json.loads(path.read_text()) if path.exists() else {}, session)
    values = dict(zip(opts[::2], opts[1::2], strict=True))
    return (float(values.get("HANDS.SCORE_THRESH", DEFAULT_SCORE_THRESH)),
            int(values.get("INPUT.MIN_SIZE_TEST", config_test_size())))


def scored_at(metrics: Path, thresh: float, size: int) -> bool:
    """Whether ``metrics`` exists and was scored at ``thresh`` and test size ``size``.

    A session chosen again on other validation sets may have another threshold or size:
    scores made at its old ones are stale. Scores that name no size were made at the
    config's own.
    """
    if not metrics.exists():
        return False
    settings = json.loads(metrics.read_text()).get("settings", {})
    used = settings.get("score_thresh")
    return (settings.get("min_size_test", config_test_size()) == size and used is not None
            and abs(float(used) - float(thresh)) < 1e-9)


def checked_rows(text: str, known) -> list[str]:
    """The comma-separated ``--rows``, or exit with one error line naming unknown ones."""
    rows = text.split(",")
    unknown = [r for r in rows if r not in known]
    if unknown:
        sys.exit(f"error: unknown rows {unknown}; choose from {', '.join(known)}")
    return rows


def output_folder(path: str) -> tuple[Path, Path]:
    """The run folder (made if needed) and its ``commands.sh`` log."""
    out = (ROOT / path).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return out, out / "commands.sh"


def mediapipe(out: Path, log: Path, records: Path) -> None:
    """MediaPipe Hands on the held-out sets (deterministic: ``mediapipe_s0`` is every seed's)."""
    started = time.time()
    score_mediapipe({name: held_out(out, name) for name in HELD_OUT},
                    out / "eval" / "mediapipe_s0", out / "mediapipe", log)
    write_record(records / "mediapipe_s0.json", out, "mediapipe_s0", "mediapipe", 0, None,
                 time.time() - started)


def main() -> None:
    """Run the requested rows for every seed, in order."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="runs/protocol")
    parser.add_argument("--steps", type=int, default=3000, help="total steps of every row")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--renders", type=int, default=1200, help="renders per look")
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--real-photos", type=int, default=REAL_PHOTOS, choices=REAL_SUBSETS,
                        help="real training photos: 20, or the nested subsets 5 and 10 (the "
                             "real-photo curve; 0 is the synthetic row)")
    parser.add_argument("--records", default=str(RECORDS.relative_to(ROOT)),
                        help="where finished row-seeds are recorded (per step count) and "
                             "skipped from; commit them")
    args = parser.parse_args()
    rows = checked_rows(args.rows, ROWS)
    seeds = [int(s) for s in args.seeds.split(",")]
    out, log = output_folder(args.output_dir)
    records = records_dir(args.steps, (ROOT / args.records).resolve())
    if args.real_photos != REAL_PHOTOS and set(rows) & set(NO_REAL_ROWS):
        sys.exit(f"error: --real-photos does not apply to {sorted(set(rows) & set(NO_REAL_ROWS))}"
                 ", which train on no real photo")
    if args.real_photos != REAL_PHOTOS and set(rows) & set(TEACHERS):
        sys.exit(f"error: {sorted(set(rows) & set(TEACHERS))} are measured with "
                 f"{REAL_PHOTOS} real photos only; leave out --real-photos")
    todo = [(row, seed) for row in rows for seed in ([0] if row == "mediapipe" else seeds)
            if not (records / f"{run_name(row, seed, args.real_photos)}.json").exists()]
    if not todo:
        print(f"every requested row-seed is recorded in {records}")
        return
    prepare(out, args.renders, log, sorted({row for row, _ in todo}))
    for row, seed in todo:
        if row == "mediapipe":
            mediapipe(out, log, records)
        else:
            train_and_score(out, row, seed, args.steps, log, records=records,
                            photos=args.real_photos)


if __name__ == "__main__":
    main()
