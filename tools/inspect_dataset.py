"""Validate a hands dataset the way training reads it and print its statistics.

    python tools/inspect_dataset.py annotations.json --image-root images/
    python tools/inspect_dataset.py NAME --config-file CFG [KEY VALUE ...]   # a registered name
"""

from __future__ import annotations

from d2hands.cli import ArgumentParser, run_cli
from d2hands.errors import UsageError


def main(argv=None) -> None:
    """Command-line entry point."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="a COCO JSON file, or a name registered by --config-file")
    parser.add_argument("--image-root", help="folder the JSON's file names are relative to")
    parser.add_argument("--config-file", default="", help="config whose DATASETS.REGISTER "
                                                          "declares the name")
    parser.add_argument("opts", nargs="*", help="KEY VALUE config overrides")
    args = parser.parse_intermixed_args(argv)

    from d2hands.data.stats import dataset_stats, format_stats

    if args.dataset.endswith(".json"):
        if not args.image_root:
            raise UsageError("--image-root is required with a JSON file")
        from d2hands.data import load_hands_coco

        records = load_hands_coco(args.dataset, args.image_root)
    else:
        from detectron2.data import DatasetCatalog

        from d2hands.engine import build_cfg

        build_cfg(args.config_file, args.opts)
        if args.dataset not in DatasetCatalog.list():
            raise UsageError(f"{args.dataset!r} is not registered; declare it in "
                             "DATASETS.REGISTER or pass a JSON file with --image-root")
        records = DatasetCatalog.get(args.dataset)
    print(format_stats(args.dataset, dataset_stats(records)))


if __name__ == "__main__":
    run_cli(main)
