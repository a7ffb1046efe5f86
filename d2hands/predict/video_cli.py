"""Draw a model's hand masks on a video, a folder of images or a glob.

    python tools/visualize_video.py (--run DIR [--session K] | --config-file CFG --weights W) \
        --input IN --output OUT.mp4 \
        [--score-thresh S] [--top-1] [--max-frames N] [--every K] [--batch B] \
        [--save-predictions FILE.json] [--contact-sheet PNG] [KEY VALUE ...]
"""

from __future__ import annotations

import argparse
import glob
import json
import math
from pathlib import Path

from ..cli import ArgumentParser, run_cli
from ..errors import UsageError
from ..io_utils import check_outputs_spare_inputs, probe_writable
from .cli import add_model_arguments


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = ArgumentParser(prog="visualize_video.py", description=__doc__.splitlines()[0])
    add_model_arguments(parser, default_model=False, exported=False)
    parser.add_argument("--input", required=True,
                        help="video file OpenCV can read, folder of images, or glob pattern")
    parser.add_argument("--output", required=True, type=Path, help="annotated .mp4 to write")
    parser.add_argument("--top-1", action="store_true",
                        help="keep only the highest-scoring hand per frame")
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--every", type=int, default=1, help="process every K-th frame")
    parser.add_argument("--batch", type=int, default=1, help="frames per model call")
    parser.add_argument("--draw-thread", choices=("auto", "on", "off"), default="auto",
                        help="draw in a second thread while the model runs (auto: on a GPU or "
                             "with 4+ CPU cores, where it pays)")
    parser.add_argument("--fps", type=float, default=30.0,
                        help="frame rate of image sequences (videos keep their own)")
    parser.add_argument("--save-predictions", type=Path,
                        help="COCO results JSON, image_id = frame index")
    parser.add_argument("--contact-sheet", type=Path, help="PNG grid of sampled annotated frames")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    args = parser.parse_args(argv)
    from ..repetitive.trained_run import model_from_options

    run = model_from_options(args.run, args.session, args.config_file, args.weights, args.opts)
    if run is not None:
        args.config_file, args.weights, args.opts = run.config_file, run.weights, run.opts
    elif not (args.config_file and args.weights):
        raise UsageError("give --run DIR, or both --config-file CFG and --weights W")
    if args.every < 1 or args.batch < 1 or (args.max_frames is not None and args.max_frames < 1):
        raise UsageError("--every, --batch and --max-frames must be at least 1")
    if args.output.suffix.lower() != ".mp4":
        raise UsageError(f"--output must end in .mp4, got {args.output}")
    if not (args.fps > 0 and math.isfinite(args.fps)):
        raise UsageError(f"--fps must be a number > 0, got {args.fps}")
    for path in (args.output, args.save_predictions, args.contact_sheet):
        if path is not None and not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: folder {path.parent} does not exist")
        if path is not None:
            probe_writable(path.parent)
    inputs = [("--weights", args.weights), ("--config-file", args.config_file)]
    inputs += [("--input", p) for p in glob.glob(args.input) or [args.input]]
    check_outputs_spare_inputs({"--output": args.output, "--save-predictions":
                                args.save_predictions, "--contact-sheet": args.contact_sheet},
                               inputs)
    return args


def main(argv=None) -> dict:
    """Annotate the input and print a summary."""
    args = parse_args(argv)
    from detectron2.data import MetadataCatalog

    from ..config import score_threshold
    from ..engine import build_cfg
    from ..video.annotate import AnnotateOptions, annotate_video
    from ..video.predictor import BatchPredictor
    from ..video.sources import open_source

    source = open_source(args.input, args.fps)
    cfg = build_cfg(args.config_file, args.opts + ["MODEL.WEIGHTS", ""])
    predictor = BatchPredictor(cfg, args.weights)
    metadata = MetadataCatalog.get("d2hands_video").set(thing_classes=["hand"])
    threshold = score_threshold(cfg) if args.score_thresh is None else args.score_thresh
    options = AnnotateOptions(score_thresh=threshold, top1=args.top_1, every=args.every,
                              max_frames=args.max_frames, batch=args.batch,
                              draw_in_thread={"auto": None, "on": True, "off": False}[
                                  args.draw_thread],
                              save_predictions=args.save_predictions,
                              contact_sheet=args.contact_sheet)
    summary = annotate_video(source, predictor, metadata, args.output, options)
    print(f"wrote {args.output}: {summary['frames']} frames at {summary['fps']:g} fps, "
          f"{summary['size'][0]}x{summary['size'][1]}, codec {summary['codec']}; per frame: "
          f"model {summary['model_ms']} ms, drawing {summary['draw_ms']} ms, "
          f"encoding {summary['encode_ms']} ms")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    run_cli(main)
