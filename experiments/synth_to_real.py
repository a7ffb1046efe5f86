"""Synthetic-to-real experiment of issue 7: every case as a CLI command, resumable.

Runs the toolkit's own commands (render, prepare_real, repetitive_train, evaluate) one after the
other, skipping each step whose output exists, and appends every command it runs to
``OUT/commands.sh`` so the table in ``docs/RESULTS.md`` can quote exactly what produced each row.

    python experiments/synth_to_real.py --output-dir runs/s2r [--iters 900] \
        [--cases 1c,1r,2c,2r,3,4]

Cases (``--cases``): ``1c``/``1r`` synthetic only, conventional/repetitive; ``2c``/``2r``
synthetic + 25 real photos x10; ``3`` = the repetitive chain of case 2 on domain-randomised renders;
``4`` = real photos only. Held-out sets: the 25 ``own_hands_50`` photos not trained on, and all of
``fist_100``. MediaPipe (case 5) lives in ``experiments/mediapipe_hands.py`` (its own venv).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
CONFIG = "configs/hands_mnv2_fpn_cpu.yaml"
PY = sys.executable
RENDER_COMMON = ["--preset", "paper", "--resolution", "384x288", "--workers", "2", "--quiet"]
DR_SWITCHES = ["--background", "procedural", "--skin-tone", "0,1", "--light-jitter", "45",
               "--scale-range", "1.0,1.2", "--left-hand-prob", "0.5"]
SCHEDULE = "all,all,3+,4+,heads"
HELD_OUT = ("own25", "fist100")


def run(command: list[str], log: Path) -> None:
    """Append ``command`` to the log, then run it from the repository root (fail loudly)."""
    line = " ".join(shlex.quote(str(part)) for part in command)
    with open(log, "a") as f:
        f.write(line + "\n")
    print(f"\n$ {line}", flush=True)
    result = subprocess.run([str(part) for part in command], cwd=ROOT)
    if result.returncode:
        sys.exit(f"error: step failed (exit {result.returncode}); fix it and re-run, finished "
                 f"steps are kept: {line}")


def prepare_data(out: Path, count: int, log: Path) -> None:
    """Renders (white and randomised), the 25/25 split of own_hands_50, and fist_100."""
    for name, extra in (("synth_white", []), ("synth_dr", DR_SWITCHES)):
        if not (out / name / "annotations.json").exists():
            run([PY, "synth/render_poses.py", "--output-dir", out / name, "--limit", count,
                 "--seed", 1, *RENDER_COMMON, *extra, "--contact-sheet",
                 out / f"{name}_sheet.png"], log)
    if not (out / "real" / "own50.json").exists():
        run([PY, "tools/prepare_real.py", "--images", REAL / "own_hands_50" / "images",
             "--masks", REAL / "own_hands_50" / "masks", "--output",
             out / "real" / "own50.json"], log)
    if not (out / "real" / "own25_test.json").exists():
        run([PY, "tools/split_dataset.py", out / "real" / "own50.json", "--parts",
             "own25_train=1", "own25_test=1", "--output-dir", out / "real", "--seed", 0], log)
    if not (out / "real" / "fist100.json").exists():
        run([PY, "tools/prepare_real.py", "--images", REAL / "fist_100" / "images",
             "--masks", REAL / "fist_100" / "masks", "--output",
             out / "real" / "fist100.json"], log)


def dataset_opts(out: Path, synth: str | None, real: bool) -> list[str]:
    """DATASETS.* opts for a case: the renders and/or the 25 real photos replicated x10."""
    register = [["real25", str(out / "real" / "own25_train.json"),
                 str(REAL / "own_hands_50" / "images")]]
    train = []
    if synth:
        register.append([synth, str(out / synth / "annotations.json"), str(out / synth)])
        train.append(synth)
    if real:
        train.append("real25")
    opts = ["DATASETS.REGISTER", json.dumps(register),
            "DATASETS.TRAIN", "(" + "".join(f'"{t}",' for t in train) + ")", "DATASETS.TEST", "()"]
    if synth and real:
        opts += ["DATASETS.REPLICATION", '[["real25", 10.0]]', "HANDS.SUBSET_DATASET", synth]
    return opts


def cases(out: Path, iters: int) -> dict[str, list[str]]:
    """Case name -> repetitive_train.py arguments (same total steps in every case)."""
    per_session = str(iters // len(SCHEDULE.split(",")))
    chain = ["--subsets", "5", "--schedule", SCHEDULE, "--iters", per_session]
    conventional = chain + ["--conventional"]
    return {
        "1c": conventional + dataset_opts(out, "synth_white", False),
        "1r": chain + dataset_opts(out, "synth_white", False),
        "2c": conventional + dataset_opts(out, "synth_white", True),
        "2r": chain + dataset_opts(out, "synth_white", True),
        "3": chain + dataset_opts(out, "synth_dr", True),
        "4": ["--subsets", "1", "--schedule", "all", "--iters", str(iters)]
        + dataset_opts(out, None, True),
    }


def held_out_args(out: Path, name: str) -> list[str]:
    """evaluate.py ground-truth arguments of a held-out set."""
    if name == "own25":
        return ["--coco", out / "real" / "own25_test.json",
                "--image-root", REAL / "own_hands_50" / "images"]
    return ["--coco", out / "real" / "fist100.json", "--image-root", REAL / "fist_100" / "images"]


def train_and_evaluate(out: Path, name: str, args: list[str], log: Path) -> None:
    """Train one case (resumes) and score its final weights on both held-out sets."""
    run_dir = out / "runs" / name
    manifest_path = run_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if not manifest.get("final_weights") or any(
            s.get("status") != "done" for s in manifest.get("sessions", [])):
        run([PY, "tools/repetitive_train.py", "--config-file", CONFIG, "--output-dir", run_dir,
             *args], log)
        manifest = json.loads(manifest_path.read_text())
    for held in HELD_OUT:
        folder = out / "eval" / name / held
        if (folder / "metrics.json").exists():
            continue
        run([PY, "tools/evaluate.py", "--config-file", CONFIG, "--weights",
             manifest["final_weights"], *held_out_args(out, held), "--output-dir", folder,
             "--save-vis", "12", "--quiet"], log)


def score_mediapipe(truths: dict[str, list], eval_dir: Path, results_dir: Path, log: Path,
                    extra: tuple = ()) -> None:
    """MediaPipe Hands hulls on each held-out set, scored by tools/evaluate.py (resumable).

    Args:
        truths: held-out name -> ``["--coco", JSON, "--image-root", DIR]``.
        eval_dir: gets ``<name>/metrics.json`` per set.
        results_dir: gets ``<name>_results.json``, MediaPipe's COCO results.
        log: the commands file.
        extra: more ``tools/evaluate.py`` arguments.

    """
    python = ROOT / ".cache" / "mediapipe-venv" / "bin" / "python"
    if not python.exists():
        sys.exit(f"error: MediaPipe must be in its own venv at {python}; see "
                 "experiments/mediapipe_hands.py for the two set-up commands")
    for held, truth in truths.items():
        folder = eval_dir / held
        if (folder / "metrics.json").exists():
            continue
        results = results_dir / f"{held}_results.json"
        run([python, "experiments/mediapipe_hands.py", "--coco", truth[1], "--image-root",
             truth[3], "--output", results], log)
        # MediaPipe applies its own detection threshold (0.5); every hand it returns counts.
        run([PY, "tools/evaluate.py", "--predictions", results, *truth, "--output-dir", folder,
             "--score-thresh", "0.5", *extra, "--quiet"], log)


def mediapipe_case(out: Path, log: Path) -> None:
    """Case 5: MediaPipe Hands hulls on the held-out sets."""
    score_mediapipe({held: held_out_args(out, held) for held in HELD_OUT}, out / "eval" / "5",
                    out / "mediapipe", log, extra=("--save-vis", "12"))


def main() -> None:
    """Parse arguments and run the requested cases in order."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", "--out", dest="out", default="runs/s2r")
    parser.add_argument("--iters", type=int, default=900, help="total steps of every case")
    parser.add_argument("--renders", type=int, default=1200, help="renders per synthetic set")
    parser.add_argument("--cases", default="1c,1r,2c,2r,3,4,5")
    args = parser.parse_args()
    out = (ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    log = out / "commands.sh"
    prepare_data(out, args.renders, log)
    table = cases(out, args.iters)
    for name in args.cases.split(","):
        if name == "5":
            mediapipe_case(out, log)
            continue
        if name not in table:
            sys.exit(f"error: unknown case {name!r}; choose from {', '.join(table)}")
        train_and_evaluate(out, name, table[name], log)


if __name__ == "__main__":
    main()
