"""Turn real photos with hand-mask PNGs into a COCO instances file.

    python tools/prepare_real.py --images DIR --masks DIR --output FILE.json [--boxes DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from d2hands.cli import run_cli
from d2hands.data.mask_folders import masks_to_coco
from d2hands.io_utils import write_json_atomic


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="folder of photos")
    parser.add_argument("--masks", type=Path, required=True,
                        help="folder of <image base name>.png masks (any mode; threshold at half)")
    parser.add_argument("--output", "--out", dest="out", type=Path, required=True,
                        help="COCO JSON to write (--out: old spelling)")
    parser.add_argument("--boxes", type=Path, default=None,
                        help="optional folder of <image base name>.txt files, 'x y w h' per hand, "
                             "to split touching hands")
    parser.add_argument("--min-area", type=int, default=64,
                        help="smallest connected component (pixels) that counts as a hand")
    parser.add_argument("--skip-missing", action="store_true",
                        help="leave out photos without a mask instead of failing")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Convert and write atomically; print a one-line summary."""
    args = parse_args(argv)
    coco = masks_to_coco(args.images, args.masks, args.boxes, args.min_area, args.skip_missing)
    write_json_atomic(args.out, coco)
    print(f"wrote {args.out}: {len(coco['images'])} images, {len(coco['annotations'])} hands "
          f"(file names relative to {args.images})")


if __name__ == "__main__":
    run_cli(main)
