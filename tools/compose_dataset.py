"""Write a COCO set of composites: the hands of a set pasted 1-4 per image onto backgrounds.

    python tools/compose_dataset.py --coco own25_test.json --image-root photos/ \
        --backgrounds .cache/backgrounds/skimage --num-images 100 --hands 1,4 \
        --output-dir runs/multi_hand_test [--seed 0] [KEY VALUE ...]

The same compositing as training (``HANDS.COMPOSITE``); trailing ``HANDS.COMPOSITE.*`` opts
change its jitter and ``SIZE``. Made for a semi-synthetic multi-hand test set: use backgrounds
and hands that no training run uses, and say that it is semi-synthetic wherever it is scored.
"""

from __future__ import annotations

from pathlib import Path

from d2hands.cli import ArgumentParser, run_cli
from d2hands.errors import UsageError


def main(argv=None) -> Path:
    """Command-line entry point."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coco", required=True, type=Path, help="COCO file holding the hands")
    parser.add_argument("--image-root", required=True, type=Path, help="its image folder")
    parser.add_argument("--backgrounds", required=True, nargs="+",
                        help="folders, 'procedural' or both")
    parser.add_argument("--num-images", type=int, default=100)
    parser.add_argument("--hands", default="1,4", help="MIN,MAX hands per image")
    parser.add_argument("--negatives", type=float, default=0.0,
                        help="share of images with no hand")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", required=True, type=Path)
    parser.add_argument("opts", nargs="*", help="HANDS.COMPOSITE.* KEY VALUE overrides")
    args = parser.parse_intermixed_args(argv)
    try:
        low, high = (int(v) for v in args.hands.split(","))
    except ValueError:
        raise UsageError(f"--hands is MIN,MAX, got {args.hands!r}") from None
    if args.num_images < 1:
        raise UsageError("--num-images must be at least 1")
    if any(not key.startswith("HANDS.COMPOSITE.") for key in args.opts[::2]):
        raise UsageError("only HANDS.COMPOSITE.* keys apply here")
    if any(b.startswith("inpainted:") for b in args.backgrounds):
        raise UsageError("inpainted:<dataset> needs a registered dataset; give folders or "
                         "'procedural'")

    from d2hands.io_utils import check_outputs_spare_inputs

    outputs = [("--output-dir", args.output_dir),
               ("--output-dir's annotations.json", args.output_dir / "annotations.json"),
               ("--output-dir's images/", args.output_dir / "images")]
    inputs = [("--coco", args.coco), ("--image-root", args.image_root)]
    inputs += [("--backgrounds", b) for b in args.backgrounds if b != "procedural"]
    check_outputs_spare_inputs(outputs, inputs)

    from d2hands.data import load_hands_coco
    from d2hands.data.compositing import settings_from_cfg
    from d2hands.data.compositing.composite_set import write_composite_set
    from d2hands.engine import build_cfg

    cfg = build_cfg("", args.opts)
    settings = settings_from_cfg(cfg).replace(hands_per_image=(low, high),
                                              negative_prob=args.negatives)
    records = load_hands_coco(args.coco, args.image_root)
    path = write_composite_set(records, args.backgrounds, args.output_dir, args.num_images,
                               settings, args.seed)
    print(f"wrote {args.num_images} composites to {path}")
    return path


if __name__ == "__main__":
    run_cli(main)
