"""The demo behind ``make demo``: render, train repetitive + conventional, evaluate, visualize.

    python tools/demo.py [--output demo_output] [--real DIR]   # DIR holds images/ and masks/

Every step keeps its output under ``--output`` and is skipped (or resumed) on a re-run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from d2hands.cli import UsageError, run_cli


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
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
    args = parser.parse_args(argv)
    if args.real is not None and not ((args.real / "images").is_dir()
                                      and (args.real / "masks").is_dir()):
        raise UsageError(f"REAL={args.real} must hold images/ and masks/ folders")
    return args


def main(argv=None) -> None:
    """Run every step, then write REPORT.md."""
    args = parse_args(argv)
    from detectron2.utils.logger import setup_logger

    from d2hands.demo import steps
    from d2hands.demo.report import write_report
    from d2hands.repetitive.plots import write_training_plots

    setup_logger(name="d2hands")
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    schedule = args.schedule.split(",")
    short, long = (int(v) for v in args.input_size.split("x"))
    annotations = steps.render_synthetic(out, args.images, args.resolution)
    splits = steps.split_train_val(annotations, out)
    opts = steps.dataset_opts(splits, annotations.parent, (short, long))
    manifests = steps.train_runs(out, opts, args.subsets, schedule, args.iters)
    metrics = steps.evaluate_runs(out, manifests, opts, args.real, args.score_thresh)
    write_training_plots([out / "runs" / "repetitive", out / "runs" / "conventional"],
                         out / "plots")
    clip = steps.annotate_clip(out, manifests["repetitive"]["final_weights"], opts,
                               args.score_thresh)
    import json

    val_images = len(json.loads(splits["val"].read_text())["images"])
    settings = {"images": args.images, "resolution": args.resolution, "val_images": val_images,
                "subsets": args.subsets, "schedule": schedule, "iters": args.iters,
                "score_thresh": args.score_thresh}
    report = write_report(out, settings, manifests, metrics, clip)
    print(f"wrote {report} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    run_cli(main)
