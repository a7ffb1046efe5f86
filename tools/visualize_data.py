"""Write what the model is fed (--source dataloader) or the stored labels (--source annotation).

    python tools/visualize_data.py --config-file CFG --source dataloader --output-dir DIR \
        [--num-images 16] [--sheet sheet.png] [KEY VALUE ...]

detectron2's tool of the same name and flags: each image is written with its ground-truth masks
and boxes drawn. ``dataloader`` shows the training loader's output after replication, subsets,
compositing (``HANDS.COMPOSITE``) and augmentation; ``annotation`` the records as stored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from d2hands.cli import ArgumentParser, run_cli
from d2hands.errors import UsageError
from d2hands.io_utils import write_bytes_atomic


def build_parser() -> argparse.ArgumentParser:
    """detectron2's flags (``--source``, ``--config-file``, ``--output-dir``) plus ours."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=["annotation", "dataloader"], required=True,
                        help="visualize the annotations or the data loader (with augmentation)")
    parser.add_argument("--config-file", default="", metavar="FILE", help="path to config file")
    parser.add_argument("--output-dir", required=True, type=Path, help="folder for the images")
    parser.add_argument("--num-images", type=int, default=16, help="how many images to write")
    parser.add_argument("--sheet", type=Path, help="also tile them into this PNG")
    parser.add_argument("--columns", type=int, default=4, help="columns of the sheet")
    parser.add_argument("--verbose", action="store_true", help="print detectron2's log too")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    return parser


def write_png(path: Path, rgb) -> None:
    """Write an RGB image as PNG, atomically."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"could not encode {path}")
    write_bytes_atomic(path, data.tobytes())


def main(argv=None) -> list[Path]:
    """Write the images; return their paths."""
    args = build_parser().parse_args(argv)
    if args.num_images < 1 or args.columns < 1:
        raise UsageError("--num-images and --columns must be at least 1")
    if args.output_dir.exists() and not args.output_dir.is_dir():
        raise UsageError(f"--output-dir {args.output_dir} is a file")

    from detectron2.utils.env import seed_all_rng

    from d2hands.data.preview import annotation_samples, contact_sheet, loader_samples
    from d2hands.engine import build_cfg
    from d2hands.engine.setup import route_logs

    cfg = build_cfg(args.config_file, args.opts)
    if not cfg.DATASETS.TRAIN:
        raise UsageError("DATASETS.TRAIN is empty: nothing to visualize")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    route_logs(str(args.output_dir), verbose=args.verbose)
    seed_all_rng(cfg.SEED if cfg.SEED >= 0 else None)
    samples = (loader_samples if args.source == "dataloader" else annotation_samples)(
        cfg, args.num_images)
    paths, images = [], []
    for k, (name, image) in enumerate(samples):
        path = args.output_dir / f"{k:04d}_{name}.png"
        write_png(path, image)
        paths.append(path)
        images.append(image)
    if args.sheet:
        args.sheet.parent.mkdir(parents=True, exist_ok=True)
        write_png(args.sheet, contact_sheet(images, args.columns))
    print(f"wrote {len(paths)} images to {args.output_dir}"
          + (f" and the sheet {args.sheet}" if args.sheet else ""))
    return paths


if __name__ == "__main__":
    run_cli(main)
