"""The demo behind ``make demo``: render, train repetitive + conventional, evaluate, visualize.

    python tools/demo.py [--output-dir demo_output] [--real DIR]   # DIR holds images/ and masks/

Every step keeps its output under ``--output-dir`` and is skipped (or resumed) on a re-run.
The console gets one line per step and the headline table; the full log is in
``OUTPUT_DIR/log.txt`` (``--verbose`` prints it too).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from d2hands.cli import ArgumentParser, run_cli
from d2hands.errors import UsageError


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", dest="output", type=Path,
                        default=Path("demo_output"),
                        help="folder for everything the demo writes")
    parser.add_argument("--real", type=Path, default=None,
                        help="real photos to evaluate on: a folder with images/ and masks/")
    parser.add_argument("--images", type=int, default=300, help="poses to render")
    parser.add_argument("--resolution", default="320x180", help="render size")
    parser.add_argument("--input-size", default="112x200",
                        help="SHORTxLONG side the tiny model sees (train and test)")
    parser.add_argument("--subsets", type=int, default=4)
    parser.add_argument("--schedule", default="all,all,3+,heads")
    parser.add_argument("--iters", type=int, default=200, help="iterations per session")
    parser.add_argument("--score-thresh", type=float, default=0.5)
    parser.add_argument("--verbose", action="store_true",
                        help="print the full log too (it always goes to OUTPUT_DIR/log.txt)")
    args = parser.parse_args(argv)
    if args.real is not None and not ((args.real / "images").is_dir()
                                      and (args.real / "masks").is_dir()):
        raise UsageError(f"REAL={args.real} must hold images/ and masks/ folders")
    return args


class Steps:
    """Prints one line per step (its number, what it does, how long it took)."""

    def __init__(self, total: int):
        self.total, self.done = total, 0

    def run(self, what: str, action):
        """Run ``action()`` under a numbered line; return its result."""
        self.done += 1
        print(f"[{self.done}/{self.total}] {what} ...", end="", flush=True)
        started = time.perf_counter()
        result = action()
        print(f" {time.perf_counter() - started:.0f} s", flush=True)
        return result


def main(argv=None) -> None:
    """Run every step, then write REPORT.md and print its headline table."""
    args = parse_args(argv)
    from d2hands.demo import steps
    from d2hands.demo.report import headline_table, write_report
    from d2hands.engine.setup import route_logs
    from d2hands.repetitive.plots import write_training_plots

    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    log = Path(route_logs(str(out), verbose=args.verbose))
    print(f"d2hands demo: everything goes to {out}/, the full log to {log}")
    started = time.perf_counter()
    schedule = args.schedule.split(",")
    short, long = (int(v) for v in args.input_size.split("x"))
    step = Steps(6)
    annotations = step.run(f"render {args.images} hands with Blender", lambda: (
        steps.render_synthetic(out, args.images, args.resolution, log=log)))
    splits = steps.split_train_val(annotations, out)
    opts = steps.dataset_opts(splits, annotations.parent, (short, long))
    manifests = step.run(
        f"train a repetitive chain ({len(schedule)} sessions) and the conventional baseline",
        lambda: steps.train_runs(out, opts, args.subsets, schedule, args.iters))
    metrics = step.run("evaluate both on the held-out renders" + (
        " and the real photos" if args.real else ""), lambda: steps.evaluate_runs(
            out, manifests, opts, args.real, args.score_thresh))
    step.run("plot the training curves", lambda: write_training_plots(
        [out / "runs" / "repetitive", out / "runs" / "conventional"], out / "plots"))
    clip = step.run("render a clip and draw the predicted hands on it", lambda: (
        steps.annotate_clip(out, manifests["repetitive"]["final_weights"], opts,
                            args.score_thresh, log=log)))
    val_images = len(json.loads(splits["val"].read_text())["images"])
    settings = {"images": args.images, "resolution": args.resolution, "val_images": val_images,
                "subsets": args.subsets, "schedule": schedule, "iters": args.iters,
                "score_thresh": args.score_thresh}
    report = step.run("write the report", lambda: write_report(out, settings, manifests,
                                                                metrics, clip))
    print(f"\nwrote {report} ({time.perf_counter() - started:.0f} s in all)\n")
    print("\n".join(headline_table(metrics)))


if __name__ == "__main__":
    run_cli(main)
