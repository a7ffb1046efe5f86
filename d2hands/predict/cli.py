"""``d2hands-predict`` / ``tools/predict.py``: segment the hands in photos, videos or a webcam.

    d2hands-predict --input photo.jpg --output-dir out/          # the default model
    d2hands-predict --input photos/ --output-dir out/ --run runs/mine
    d2hands-predict --input clip.mp4 --video-output clip_hands.mp4 [--output-dir frames/]
    d2hands-predict --input 0 --video-output webcam.mp4 --max-frames 300

Per image (or frame) ``--output-dir`` gets ``NAME_overlay.jpg``, ``NAME_instances.png`` (0
background, k the k-th hand by score) and ``NAME_mask.png`` (255 = hand), and at the end one
COCO results file, ``predictions.json``. ``--video-output`` writes an annotated H.264 video.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from ..cli import ArgumentParser, cli_status
from ..errors import UsageError
from ..io_utils import check_outputs_spare_inputs, probe_writable


def add_model_arguments(parser: argparse.ArgumentParser, default_model: bool = True,
                        exported: bool = True, score_help: str | None = None) -> None:
    """``--run [--session]`` or ``--config-file --weights``, and ``--score-thresh``.

    Args:
        parser: the tool's parser.
        default_model: whether the tool takes none of them to mean the default model, as
            ``d2hands-predict`` does; the help says so.
        exported: whether ``--weights`` alone may name an exported .onnx/.ts model.
        score_help: the tool's own help for ``--score-thresh``.
    """
    title = "model (default: the model that ships with d2hands)" if default_model else "model"
    weights_help = "its checkpoint (.pth)"
    if exported:
        weights_help += "; or alone, an exported .onnx/.ts model (tools/export_model.py)"
    model = parser.add_argument_group(title)
    model.add_argument("--run", metavar="DIR",
                       help="a finished training run (repetitive_train.py or train_net.py)")
    model.add_argument("--session", metavar="K", type=int,
                       help="with --run: a repetitive run's session K instead of the chosen one")
    model.add_argument("--config-file", metavar="CFG", help="the model's config (with --weights)")
    model.add_argument("--weights", metavar="W", help=weights_help)
    model.add_argument("--score-thresh", metavar="S", type=float, default=None,
                       help=score_help or "score from which a prediction is a hand (default: "
                                          "the model's HANDS.SCORE_THRESH)")


def predictor_from_args(args: argparse.Namespace):
    """The ``HandsPredictor`` that the model arguments name."""
    from .predictor import HandsPredictor

    if args.session is not None and not args.run:
        raise UsageError("--session K names a session of --run DIR")
    if args.run and (args.config_file or args.weights):
        raise UsageError("--run DIR names the config and weights; it does not go with "
                         "--config-file/--weights")
    from ..runtime.exported import exported_format

    if args.weights and exported_format(args.weights) and not args.config_file:
        if args.opts:
            raise UsageError("an exported model carries its config: KEY VALUE opts do not "
                             "apply to it")
        return HandsPredictor.from_exported(args.weights, args.score_thresh)
    if bool(args.config_file) != bool(args.weights):
        raise UsageError("give both --config-file CFG and --weights W (or --run DIR)")
    if args.run:
        return HandsPredictor.from_run(args.run, args.session, args.opts, args.score_thresh)
    if args.config_file:
        return HandsPredictor.from_config(args.config_file, args.weights, args.opts,
                                          args.score_thresh)
    return HandsPredictor.default(args.opts, args.score_thresh)


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = ArgumentParser(prog="d2hands-predict", description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True,
                        help="an image, a folder of images, a glob ('photos/*.jpg'), a video "
                             "file or a webcam index (0)")
    parser.add_argument("--output-dir", type=Path,
                        help="per image: NAME_overlay.jpg, NAME_instances.png, NAME_mask.png; "
                             "and predictions.json")
    parser.add_argument("--video-output", type=Path, help="annotated video (.mp4, H.264)")
    parser.add_argument("--max-frames", type=int, default=None,
                        help="stop after N images or frames (a webcam runs until Ctrl-C)")
    parser.add_argument("--batch", type=int, default=1, help="images per model call")
    add_model_arguments(parser)
    parser.add_argument("opts", nargs=argparse.REMAINDER, metavar="KEY VALUE",
                        help="config overrides, e.g. MODEL.DEVICE cuda")
    return parser


def check_args(args: argparse.Namespace) -> None:
    """Refuse unusable options before any model is loaded."""
    if args.output_dir is None and args.video_output is None:
        raise UsageError("give --output-dir DIR and/or --video-output FILE.mp4")
    if args.batch < 1 or (args.max_frames is not None and args.max_frames < 1):
        raise UsageError("--batch and --max-frames must be at least 1")
    if args.score_thresh is not None and not (math.isfinite(args.score_thresh)
                                              and 0 <= args.score_thresh <= 1):
        raise UsageError(f"--score-thresh must be in [0, 1], got {args.score_thresh}")
    if args.video_output is not None and args.video_output.suffix.lower() != ".mp4":
        raise UsageError(f"--video-output must end in .mp4, got {args.video_output}")
    if args.output_dir is not None and args.output_dir.exists() and not args.output_dir.is_dir():
        raise UsageError(f"--output-dir {args.output_dir} is a file")
    if len(args.opts) % 2:
        raise UsageError(f"config overrides come in KEY VALUE pairs, got {args.opts}")
    inputs = [("--input", args.input), ("--weights", args.weights),
              ("--config-file", args.config_file)]
    check_outputs_spare_inputs([("--output-dir", args.output_dir),
                                ("--video-output", args.video_output)], inputs)
    for folder in (args.output_dir, args.video_output and args.video_output.parent):
        if folder is None:
            continue
        existing = next((p for p in [folder, *folder.parents] if p.exists()), Path("."))
        probe_writable(existing)


def run(args: argparse.Namespace) -> int:
    """Predict every image or frame of the input and write the outputs."""
    from tqdm import tqdm

    from ..engine.setup import route_logs
    from .inputs import open_input
    from .outputs import PredictionWriter

    check_args(args)
    source = open_input(args.input)
    predictor = predictor_from_args(args)  # a bad model is refused before anything is written
    log_dir = args.output_dir or args.video_output.parent
    log_dir.mkdir(parents=True, exist_ok=True)
    route_logs(str(log_dir))
    writer = PredictionWriter(args.output_dir, args.video_output, source.fps)
    total = source.count if args.max_frames is None else min(source.count or args.max_frames,
                                                             args.max_frames)
    hands = 0
    started = time.perf_counter()
    try:
        with tqdm(total=total, unit="img", desc="predict", disable=None) as progress:
            batch = []
            for item in source.frames(args.max_frames):
                batch.append(item)
                if len(batch) == args.batch:
                    hands += _predict(predictor, writer, batch)
                    progress.update(len(batch))
                    batch = []
            if batch:
                hands += _predict(predictor, writer, batch)
                progress.update(len(batch))
    except KeyboardInterrupt:  # a webcam runs until Ctrl-C: keep what was predicted
        print("interrupted: writing what was predicted", file=sys.stderr)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    seconds = time.perf_counter() - started
    per = 1000 * seconds / max(writer.count, 1)
    where = ", ".join(str(p) for p in (args.output_dir, args.video_output) if p is not None)
    print(f"{writer.count} images, {hands} hands, {per:.0f} ms per image; wrote {where}")
    return 0


def _predict(predictor, writer, batch) -> int:
    found = predictor.predict_batch([image for _, image in batch])
    for (name, image), hands in zip(batch, found, strict=True):
        writer.write(name, image, hands)
    return sum(len(h) for h in found)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (bad input: one ``error:`` line, 2)."""
    return cli_status(lambda: run(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
