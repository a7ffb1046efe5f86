r"""Evaluate hand instance segmentation: COCO AP, the paper's hand metrics and pixel metrics.

Model mode (runs a trained checkpoint), on one of three data sources::

    python tools/evaluate.py --config-file CFG --weights W --output-dir OUT --dataset NAME
    python tools/evaluate.py --config-file CFG --weights W --output-dir OUT \
        --coco JSON --image-root DIR
    python tools/evaluate.py --config-file CFG --weights W --output-dir OUT \
        --images DIR --masks DIR [--boxes DIR] [--skip-missing] [--min-area N]

each optionally followed by config overrides ``KEY VALUE ...`` (e.g. ``MODEL.DEVICE cpu``).
``--run DIR [--session K]`` stands for ``--config-file``/``--weights`` and the run's opts.

NAME is registered by the config's DATASETS.REGISTER (or a trailing ``DATASETS.REGISTER ...``
opt); mask folders are converted as tools/prepare_real.py does. Writes OUT/predictions.json
(COCO results) and, for mask folders, OUT/ground_truth.json.

Model-free mode (scores any model's output)::

    python tools/evaluate.py --predictions RESULTS.json --coco GT.json --output-dir OUT \
        [--image-root DIR] [--suppress-contained F]

``--suppress-contained F`` first drops the predictions lying at least F inside higher-scoring
ones, as a model run with ``HANDS.SUPPRESS_CONTAINED F`` does.

Both write OUT/metrics.json, OUT/per_image.csv and, with --save-vis K, OUT/vis/*.png, and print
a table. Invalid input: one ``error: ...`` line on stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from d2hands.cli import ArgumentParser, cli_status
from d2hands.predict.cli import add_model_arguments

DEFAULT_IOU_THRESH = 0.5


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = ArgumentParser(
        description="Score hand instance segmentation: COCO AP, hand metrics (IoU, Acc, F1, "
        "TPH) and pixel metrics (F1, IoU, mIoU). See docs/METRICS.md.",
    )
    source = parser.add_argument_group("predictions to score (model-free mode)")
    source.add_argument("--predictions", metavar="RESULTS.json",
                        help="COCO results list (image_id, category_id, segmentation, score)")
    source.add_argument("--suppress-contained", type=float, default=0.0, metavar="F",
                        help="first drop every prediction whose mask lies at least F (0-1) "
                        "inside higher-scoring ones of its image, as a model run with "
                        "HANDS.SUPPRESS_CONTAINED F does (default: 0, off)")
    add_model_arguments(parser, default_model=False, exported=False)  # model-free: 0.7
    data = parser.add_argument_group("ground truth")
    data.add_argument("--coco", metavar="JSON", help="COCO ground-truth JSON")
    data.add_argument("--image-root", metavar="DIR",
                      help="folder of the --coco file's images (model mode: required; "
                      "model-free: needed by --save-vis)")
    data.add_argument("--dataset", metavar="NAME",
                      help="model mode: a dataset registered by the config (DATASETS.REGISTER)")
    data.add_argument("--images", metavar="DIR", type=Path,
                      help="model mode: folder of photos, with --masks")
    data.add_argument("--masks", metavar="DIR", type=Path,
                      help="folder of <image base name>.png hand masks (any mode)")
    data.add_argument("--boxes", metavar="DIR", type=Path,
                      help="optional folder of <image base name>.txt 'x y w h' lines, one per "
                      "hand, to split touching hands")
    data.add_argument("--min-area", type=int, default=64, metavar="N",
                      help="smallest mask component (pixels) that counts as a hand (default 64)")
    data.add_argument("--skip-missing", action="store_true",
                      help="leave out photos without a mask instead of failing")
    parser.add_argument("--output-dir", dest="output", required=True, metavar="OUT",
                        help="output folder")
    parser.add_argument("--iou-thresh", type=float, default=None, metavar="T",
                        help="minimum mask IoU to match a prediction to a hand (default: the "
                        "config's HANDS.EVAL_IOU_THRESH in model mode, else 0.5)")
    parser.add_argument("--save-vis", type=int, default=0, metavar="K",
                        help="draw the K worst images by pixel F1 into OUT/vis (default: 0)")
    parser.add_argument("--errors", action="store_true",
                        help="classify every false detection (duplicate, part of a hand, "
                        "mislocalised, background) and miss (size, truncated, touching, below "
                        "the threshold), with the F1 gained if each were fixed: "
                        "metrics.json's 'errors', OUT/errors/ (a CSV and contact sheets)")
    parser.add_argument("--quiet", action="store_true", help="do not print the metrics table")
    parser.add_argument("--verbose", action="store_true",
                        help="model mode: show detectron2's log (model loading, inference)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, metavar="KEY VALUE",
                        help="model mode: config overrides, e.g. MODEL.DEVICE cpu")
    return parser


def _use_run(args: argparse.Namespace) -> None:
    from d2hands.repetitive.trained_run import model_from_options

    run = model_from_options(args.run, args.session, args.config_file, args.weights, args.opts)
    if run is not None:
        args.config_file, args.weights, args.opts = run.config_file, run.weights, run.opts


def _check_model_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.predictions is not None:
        parser.error("--predictions scores a results file; it does not go with "
                     "--run or --config-file/--weights")
    if args.suppress_contained:
        parser.error("--suppress-contained filters a results file (--predictions); a model "
                     f"takes the config option instead: HANDS.SUPPRESS_CONTAINED "
                     f"{args.suppress_contained}")
    _use_run(args)
    if not args.config_file or not args.weights:
        parser.error("model mode needs --run DIR, or both --config-file CFG and --weights W")
    if not os.path.isfile(args.config_file):
        parser.error(f"--config-file {args.config_file}: no such file")
    if "://" not in args.weights and not os.path.isfile(args.weights):
        parser.error(f"--weights {args.weights}: no such file")
    chosen = [o for o, v in (("--dataset", args.dataset), ("--coco", args.coco),
                             ("--images", args.images)) if v is not None]
    if len(chosen) != 1:
        parser.error("model mode evaluates one of --dataset NAME, --coco JSON --image-root DIR "
                     "or --images DIR --masks DIR" + (f"; got {' and '.join(chosen)}"
                                                      if chosen else ""))
    if args.coco is not None and not args.image_root:
        parser.error("--coco needs --image-root DIR (the folder of its images)")
    if args.image_root and args.coco is None:
        parser.error("--image-root goes with --coco")
    if args.images is not None and args.masks is None:
        parser.error("--images needs --masks DIR")
    if len(args.opts) % 2:
        parser.error(f"config overrides come in KEY VALUE pairs, got {args.opts}")


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """Reject inconsistent options through ``parser.error`` (exit status 2).

    Returns:
        ``"model"`` or ``"predictions"``: the mode to run.

    """
    model_mode = bool(args.config_file or args.weights or args.run or args.session is not None)
    if model_mode:
        _check_model_args(parser, args)
    else:
        if args.predictions is None:
            parser.error("give --predictions RESULTS.json, or --config-file CFG --weights W "
                         "to run a model")
        if args.coco is None:
            parser.error("--predictions needs the ground truth: --coco JSON")
        extra = [o for o, v in (("--dataset", args.dataset), ("--images", args.images))
                 if v is not None]
        if extra or args.opts:
            parser.error(f"{(extra or args.opts)[0]} needs a model: --config-file/--weights")
        if args.save_vis and not args.image_root:
            parser.error("--save-vis needs --image-root DIR (the images to draw on)")
        from d2hands.runtime.hands import is_contained_fraction

        if not is_contained_fraction(args.suppress_contained):
            parser.error(f"--suppress-contained must be in [0, 1] (0: off), "
                         f"got {args.suppress_contained}")
    if args.masks is not None and args.images is None:
        parser.error("--masks goes with --images DIR")
    if args.boxes is not None and args.images is None:
        parser.error("--boxes goes with --images DIR and --masks DIR")
    if args.save_vis < 0:
        parser.error("--save-vis must be >= 0")
    for option, folder in (("--image-root", args.image_root), ("--images", args.images),
                           ("--masks", args.masks), ("--boxes", args.boxes)):
        if folder and not os.path.isdir(folder):
            parser.error(f"{option} {folder} is not a folder")
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        parser.error(f"--output-dir {args.output} exists and is not a folder")
    _check_spared_inputs(args)
    return "model" if model_mode else "predictions"


def _check_spared_inputs(args: argparse.Namespace) -> None:
    from d2hands.io_utils import check_outputs_spare_inputs

    written = ("metrics.json", "per_image.csv", "predictions.json", "ground_truth.json")
    outputs = {f"--output-dir's {name}": os.path.join(args.output, name) for name in written}
    outputs["--output-dir's vis/"] = os.path.join(args.output, "vis")
    outputs["--output-dir's errors/"] = os.path.join(args.output, "errors")
    check_outputs_spare_inputs(outputs, {
        "--predictions": args.predictions, "--coco": args.coco, "--weights": args.weights,
        "--config-file": args.config_file, "--image-root": args.image_root,
        "--images": args.images, "--masks": args.masks, "--boxes": args.boxes})


def run_model_mode(args: argparse.Namespace) -> int:
    """Run a checkpoint on the chosen data, then write and print the results."""
    from d2hands.engine.evaluate_checkpoint import (
        CocoSource,
        DatasetSource,
        ImagesSource,
        evaluate_checkpoint,
        write_run,
    )
    from d2hands.engine.setup import route_logs
    from d2hands.evaluation.report import format_table

    route_logs(None, verbose=args.verbose)  # no file: bad input must leave OUT unwritten

    if args.dataset is not None:
        source = DatasetSource(args.dataset)
    elif args.coco is not None:
        source = CocoSource(Path(args.coco), Path(args.image_root))
    else:
        source = ImagesSource(args.images, args.masks, args.boxes, args.min_area,
                              args.skip_missing)
    run = evaluate_checkpoint(args.config_file, args.weights, source, args.opts,
                              args.score_thresh, args.iou_thresh)
    written = write_run(run, args.output, args.save_vis, args.errors)
    if not args.quiet:
        print(format_table(run.evaluation.metrics))
        if args.errors:
            from d2hands.evaluation.error_report import format_errors

            print(format_errors(run.evaluation.metrics["errors"]))
        print(f"\nwrote {', '.join(written)} to {args.output}")
    return 0


def run_predictions_mode(args: argparse.Namespace) -> int:
    """Score a COCO results file, then write and print the results."""
    from d2hands.defaults import DEFAULT_SCORE_THRESH
    from d2hands.evaluation import evaluate_results

    evaluate_results(
        args.coco,
        args.predictions,
        args.output,
        score_thresh=DEFAULT_SCORE_THRESH if args.score_thresh is None else args.score_thresh,
        iou_thresh=DEFAULT_IOU_THRESH if args.iou_thresh is None else args.iou_thresh,
        save_vis=args.save_vis,
        image_root=args.image_root,
        stream=None if args.quiet else sys.stdout,
        errors=args.errors,
        suppress_contained=args.suppress_contained,
    )
    if not args.quiet:
        print(f"\nwrote {os.path.join(args.output, 'metrics.json')} and per_image.csv")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (bad input: one ``error:`` line, 2)."""

    def run() -> int:
        parser = build_parser()
        args = parser.parse_args(argv)
        if check_args(parser, args) == "model":
            return run_model_mode(args)
        return run_predictions_mode(args)

    return cli_status(run)


if __name__ == "__main__":
    sys.exit(main())
