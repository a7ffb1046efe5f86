"""Turn real photos with hand-mask PNGs into a COCO instances file.

    python tools/prepare_real.py --images DIR --masks DIR --output FILE.json [--boxes DIR]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from d2hands.cli import ArgumentParser, run_cli
from d2hands.data.mask_folders import masks_to_coco
from d2hands.io_utils import check_outputs_spare_inputs, write_json_atomic


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="folder of photos")
    parser.add_argument("--masks", type=Path, required=True,
                        help="folder of <image base name>.png masks: 0/N (any N, any bit depth), "
                             "label indices 1..64 (one hand each), anti-aliased (hand from half "
                             "of the bit depth's full scale) or alpha-only")
    parser.add_argument("--output", dest="out", type=Path, required=True,
                        help="COCO JSON to write")
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
    check_outputs_spare_inputs({"--output": args.out}, {"--images": args.images,
                                                        "--masks": args.masks,
                                                        "--boxes": args.boxes})
    coco = masks_to_coco(args.images, args.masks, args.boxes, args.min_area, args.skip_missing)
    write_json_atomic(args.out, coco)
    print(f"wrote {args.out}: {len(coco['images'])} images, {len(coco['annotations'])} hands "
          f"(file names relative to {args.images})")
    print(hands_per_image_note(coco))


def hands_per_image_note(coco: dict) -> str:
    """How many images have 0, 1, 2, ... hands, naming the masks that hold none."""
    counts = Counter(a["image_id"] for a in coco["annotations"])
    per_image = Counter(counts[img["id"]] for img in coco["images"])
    line = "hands per image: " + ", ".join(f"{k} in {n}" for k, n in sorted(per_image.items()))
    empty = [Path(img["file_name"]).stem + ".png" for img in coco["images"]
             if not counts[img["id"]]]
    if empty:
        shown = ", ".join(empty[:5]) + (f", ... ({len(empty) - 5} more)" if len(empty) > 5
                                        else "")
        line += (f"\nnote: {len(empty)} of {len(coco['images'])} masks hold no hand ({shown}); "
                 "a mask is read as one value per hand, label indices 1..64, or pixels at "
                 "least half of its bit depth's full scale (see --help)")
    return line


if __name__ == "__main__":
    run_cli(main)
