r"""Evaluate hand instance segmentation: COCO AP, the paper's hand metrics and pixel metrics.

Model-free mode (scores any model's output)::

    python tools/evaluate.py --predictions RESULTS.json --coco GT.json --output OUT \
        [--score-thresh 0.7] [--iou-thresh 0.5] [--save-vis K --image-root DIR]

RESULTS.json is a standard COCO results list (image_id, category_id, segmentation RLE, score).
Writes OUT/metrics.json, OUT/per_image.csv and, with --save-vis, OUT/vis/*.png; prints a table.
Invalid input: one ``error: ...`` line on stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from d2hands.evaluation import EvaluationInputError, evaluate_results  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one "error: ..." line instead of usage + prog: error
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = _Parser(
        description="Score hand instance segmentation: COCO AP, hand metrics (IoU, Acc, F1, "
        "TPH) and pixel metrics (F1, IoU, mIoU). See docs/METRICS.md.",
    )
    source = parser.add_argument_group("predictions to score")
    source.add_argument("--predictions", metavar="RESULTS.json",
                        help="COCO results list (image_id, category_id, segmentation, score)")
    add_model_arguments(parser)
    data = parser.add_argument_group("ground truth")
    data.add_argument("--coco", metavar="JSON", help="COCO ground-truth JSON")
    data.add_argument("--image-root", metavar="DIR",
                      help="folder of the ground truth's images (needed by --save-vis)")
    parser.add_argument("--output", required=True, metavar="OUT", help="output folder")
    parser.add_argument("--score-thresh", type=float, default=0.7,
                        help="minimum score of a prediction for the hand and pixel metrics "
                        "(default: 0.7; COCO AP uses all predictions)")
    parser.add_argument("--iou-thresh", type=float, default=0.5,
                        help="minimum mask IoU to match a prediction to a hand (default: 0.5)")
    parser.add_argument("--save-vis", type=int, default=0, metavar="K",
                        help="draw the K worst images by pixel F1 into OUT/vis (default: 0)")
    parser.add_argument("--quiet", action="store_true", help="do not print the metrics table")
    return parser


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the model-based modes (--config-file, --weights, --dataset, ...).

    Not available yet: the model-based modes will run inference and then call
    ``predictions_from_model`` to get the COCO results list scored below.
    """


def predictions_from_model(args: argparse.Namespace) -> tuple[object, list]:
    """Run a model on the chosen images; return ``(ground_truth, coco_results)``.

    Placeholder for the model-based modes (``--config-file/--weights`` with ``--dataset``,
    ``--coco/--image-root`` or ``--images/--masks``).
    """
    raise EvaluationInputError("model-based evaluation is not available yet; use --predictions")


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject inconsistent options through ``parser.error`` (exit status 2)."""
    if args.predictions is None:
        parser.error("--predictions RESULTS.json is required")
    if args.coco is None:
        parser.error("--predictions needs the ground truth: --coco JSON")
    if args.save_vis < 0:
        parser.error("--save-vis must be >= 0")
    if args.save_vis and not args.image_root:
        parser.error("--save-vis needs --image-root DIR (the images to draw on)")
    if args.image_root and not os.path.isdir(args.image_root):
        parser.error(f"--image-root {args.image_root} is not a folder")
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        parser.error(f"--output {args.output} exists and is not a folder")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    try:
        evaluate_results(
            args.coco,
            args.predictions,
            args.output,
            score_thresh=args.score_thresh,
            iou_thresh=args.iou_thresh,
            save_vis=args.save_vis,
            image_root=args.image_root,
            stream=None if args.quiet else sys.stdout,
        )
    except EvaluationInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write to {args.output}: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"\nwrote {os.path.join(args.output, 'metrics.json')} and per_image.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
