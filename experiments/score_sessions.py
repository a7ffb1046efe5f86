"""Score every session of a protocol run on the held-out sets: the side table of issue 36.

The protocol chooses one session per run on its validation sets (``val5`` and ``valcomp``;
``val5`` alone before issue 36). To see whether that rule chooses well, this scores *every*
session once on the held-out sets (never an input to any choice) and records it beside the
row-seed's record:

    python experiments/score_sessions.py --name whole_real_s0 [--output-dir runs/protocol]

writes ``OUT/eval/<name>/sessions/<k>/<set>/metrics.json`` (resumable) and
``docs/results/protocol/<steps>steps/sessions/<name>.json``, and prints the table: per session,
its ``val5`` hands F1 and its held-out hands F1 (pixel F1), the chosen one marked.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from protocol import HELD_OUT, RECORDS, ROOT, records_dir, score_held_out  # noqa: E402

sys.path.insert(0, str(ROOT))
from d2hands.evaluation.report import write_atomic  # noqa: E402


def score(out: Path, name: str, log: Path) -> dict:
    """Every finished session of run ``name`` on every held-out set: hands and pixel F1."""
    run_dir = out / "runs" / name
    manifest = json.loads((run_dir / "manifest.json").read_text())
    sessions = {}
    for session in manifest["sessions"]:
        if session.get("status") != "done":
            continue
        index = session["index"]
        scores = {"val5": (session.get("val") or {}).get("hands/F1")}
        base = score_held_out(out, run_dir, name, log, session=index)
        for held in HELD_OUT:
            metrics = json.loads((base / held / "metrics.json").read_text())
            scores[held] = {"hands_f1": metrics["hands"]["F1"], "pixel_f1": metrics["pixel"]["F1"]}
        sessions[str(index)] = scores
    return {"run": name, "best_session": manifest.get("best_session"), "sessions": sessions}


def table(record: dict) -> str:
    """The side table as markdown: one line per session."""
    lines = ["| session | val5 F1 | " + " | ".join(HELD_OUT) + " |", "|" + " --- |" * 5]
    for index, scores in record["sessions"].items():
        mark = " (chosen)" if str(record["best_session"]) == index else ""
        val = scores["val5"]
        cells = [f"{scores[h]['hands_f1']:.2f} ({scores[h]['pixel_f1']:.2f})" for h in HELD_OUT]
        lines.append(f"| {index}{mark} | {'-' if val is None else f'{val:.2f}'} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Score, record and print one run's sessions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="the run, e.g. whole_real_s0")
    parser.add_argument("--output-dir", default="runs/protocol")
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    out = (ROOT / args.output_dir).resolve()
    if not (out / "runs" / args.name / "manifest.json").exists():
        sys.exit(f"error: no run {args.name} in {out / 'runs'}")
    record = score(out, args.name, out / "commands.sh")
    path = records_dir(args.steps, RECORDS) / "sessions" / f"{args.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(table(record), end="")


if __name__ == "__main__":
    main()
