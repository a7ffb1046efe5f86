"""Statistics of a hands dataset: counts, hands per image, image sizes, mask areas (torch-free).

``tools/inspect_dataset.py`` prints them for a COCO file or a registered dataset.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from pycocotools import mask as mask_utils


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
