"""Split a COCO file into seeded random parts (e.g. train / held-out); images stay in place.

    python tools/split_dataset.py all.json --parts own25_train=1 own25_test=1 \
        --output-dir splits/ [--seed 0]

Writes ``OUTPUT_DIR/<part>.json`` per part; images are shared out in proportion to the weights.
"""

from __future__ import annotations

from d2hands.cli import ArgumentParser, run_cli
from d2hands.errors import UsageError


def parse_parts(specs: list[str]) -> dict[str, float]:
    """``["train=3", "val=1"]`` -> ``{"train": 3.0, "val": 1.0}``."""
    parts: dict[str, float] = {}
    for spec in specs:
        name, _, weight = spec.partition("=")
        try:
            value = float(weight)
        except ValueError:
            raise UsageError(f"--parts takes NAME=WEIGHT entries, got {spec!r}") from None
        if name in parts:
            raise UsageError(f"--parts names {name!r} twice")
        parts[name] = value
    from d2hands.data.coco_split import check_parts

    check_parts(parts)
    return parts


def main(argv=None) -> None:
    """Command-line entry point."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="the COCO file to split")
    parser.add_argument("--parts", nargs="+", required=True, metavar="NAME=WEIGHT")
    parser.add_argument("--output-dir", required=True, help="folder for <part>.json files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    parts = parse_parts(args.parts)

    from d2hands.data.coco_split import split_coco_file

    written = split_coco_file(args.json, parts, args.output_dir, seed=args.seed)
    for name, path in written.items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    run_cli(main)
