"""``tools/mine_negatives.py``: crops around a model's false detections, as a COCO set.

    python tools/mine_negatives.py --run runs/mine --coco real20.json --image-root photos/ \
        --output-dir runs/mined                     # training photos: beyond their hands
    python tools/mine_negatives.py --run runs/mine --images frames/ --output-dir runs/mined
                                                    # hand-free frames: every detection

Train on the result as on any set; keep its crops that hold no hand with
``DATALOADER.FILTER_EMPTY_ANNOTATIONS False`` (docs/COMPOSITING.md).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ..cli import ArgumentParser, cli_status
from ..errors import UsageError
from ..io_utils import check_outputs_spare_inputs
from .cli import add_model_arguments, predictor_from_args


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = ArgumentParser(description="Crop a model's false detections out of training "
                                        "photos or hand-free images, as a COCO set.")
    source = parser.add_argument_group("images to mine (one of)")
    source.add_argument("--coco", type=Path, help="a COCO set: detections beyond its hands")
    source.add_argument("--image-root", type=Path, help="with --coco: its image folder")
    source.add_argument("--images", help="hand-free images (a folder or a glob): every "
                                         "detection")
    parser.add_argument("--output-dir", required=True, type=Path,
                        help="gets images/ and annotations.json")
    parser.add_argument("--context", type=float, default=2.0,
                        help="a crop's side as a multiple of its detection's box (default 2)")
    parser.add_argument("--max-per-image", type=int, default=5,
                        help="highest-scoring false detections kept per image (default 5)")
    add_model_arguments(parser, default_model=True, exported=False,
                        score_help="score from which a prediction counts (default: the "
                                   "model's HANDS.SCORE_THRESH; lower mines more)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, metavar="KEY VALUE",
                        help="config overrides after the model's own")
    return parser


def run(args: argparse.Namespace) -> int:
    """Mine the images the arguments name and write the set."""
    if bool(args.coco) == bool(args.images):
        raise UsageError("give --coco FILE --image-root DIR, or --images DIR")
    if bool(args.coco) != bool(args.image_root):
        raise UsageError("--coco and --image-root go together")
    if not math.isfinite(args.context) or args.context < 1.0:
        raise UsageError(f"--context must be at least 1 (the box itself), got {args.context}")
    if args.max_per_image < 1:
        raise UsageError("--max-per-image must be at least 1")
    inputs = ([("--coco", args.coco), ("--image-root", args.image_root)] if args.coco
              else [("--images", Path(args.images))])
    check_outputs_spare_inputs([("--output-dir", args.output_dir)], inputs)
    if (args.output_dir / "annotations.json").exists():
        raise UsageError(f"{args.output_dir} already holds a mined set; give another "
                         "--output-dir")
    from .mining import MiningSource, check_minable, coco_sources, mine_negatives

    if args.coco:
        from ..data import load_hands_coco

        records = load_hands_coco(args.coco, args.image_root)
        check_minable(records)
        sources, total = coco_sources(records), len(records)
    else:
        from .inputs import open_input

        found = open_input(args.images)
        if found.video is not None:
            raise UsageError("--images takes image files (a folder or a glob), not a video")
        sources = (MiningSource(name, image, []) for name, image in found.frames())
        total = found.count
    predictor = predictor_from_args(args)
    path, crops, mined = mine_negatives(predictor, sources, args.output_dir, args.context,
                                        args.max_per_image, total)
    print(f"{crops} false detections in {mined} of {total} images; wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (bad input: one ``error:`` line, 2)."""
    return cli_status(lambda: run(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
