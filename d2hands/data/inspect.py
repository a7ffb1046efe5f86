"""Validate a COCO hand dataset the way training does and print its statistics.

    python -m d2hands.data.inspect annotations.json --image-root images/
    python -m d2hands.data.inspect NAME --config-file CFG [KEY VALUE ...]   # a registered name
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
from pycocotools import mask as mask_utils

from ..cli import UsageError, run_cli


def dataset_stats(records: list[dict]) -> dict:
    """Summarise detectron2 dataset dicts: counts, hands per image, mask areas, image sizes."""
    areas = []
    for record in records:
        for ann in record["annotations"]:
            segm = ann["segmentation"]
            h, w = record["height"], record["width"]
            rle = segm if isinstance(segm, dict) else mask_utils.merge(
                mask_utils.frPyObjects(segm, h, w))
            areas.append(float(mask_utils.area(rle)) / (h * w))
    return {
        "images": len(records),
        "instances": sum(len(r["annotations"]) for r in records),
        "hands_per_image": dict(sorted(Counter(len(r["annotations"]) for r in records).items())),
        "image_sizes": dict(Counter(f"{r['width']}x{r['height']}" for r in records).most_common()),
        "mask_area_fraction": np.asarray(areas),
    }


def format_stats(name: str, stats: dict) -> str:
    """Render :func:`dataset_stats` as a readable block of text."""
    lines = [f"dataset {name}: OK",
             f"  images     {stats['images']}",
             f"  instances  {stats['instances']}",
             "  hands per image  " + ", ".join(f"{k}: {v}" for k, v in
                                               stats["hands_per_image"].items())]
    sizes = list(stats["image_sizes"].items())
    shown = ", ".join(f"{k}: {v}" for k, v in sizes[:8])
    lines.append(f"  image sizes      {shown}" + (f" (+{len(sizes) - 8} more)" if len(sizes) > 8
                                                 else ""))
    areas = stats["mask_area_fraction"]
    if areas.size:
        q = np.percentile(areas * 100, [0, 5, 25, 50, 75, 95, 100])
        lines.append("  mask area, % of image  min {:.2f}  p5 {:.2f}  p25 {:.2f}  median {:.2f}"
                     "  p75 {:.2f}  p95 {:.2f}  max {:.2f}".format(*q))
    return "\n".join(lines)


def main(argv=None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="a COCO JSON file, or a name registered by --config-file")
    parser.add_argument("--image-root", help="folder the JSON's file names are relative to")
    parser.add_argument("--config-file", default="", help="config whose DATASETS.REGISTER "
                                                          "declares the name")
    parser.add_argument("opts", nargs="*", help="KEY VALUE config overrides")
    args = parser.parse_intermixed_args(argv)

    from detectron2.data import DatasetCatalog

    from .coco_hands import load_hands_coco

    if args.dataset.endswith(".json"):
        if not args.image_root:
            raise UsageError("--image-root is required with a JSON file")
        records = load_hands_coco(args.dataset, args.image_root)
    else:
        from ..engine.setup import build_cfg

        build_cfg(args.config_file, args.opts)
        if args.dataset not in DatasetCatalog.list():
            raise UsageError(f"{args.dataset!r} is not registered; declare it in "
                             "DATASETS.REGISTER or pass a JSON file with --image-root")
        records = DatasetCatalog.get(args.dataset)
    print(format_stats(args.dataset, dataset_stats(records)))


if __name__ == "__main__":
    run_cli(main)
