"""Building COCO hand annotations from binary masks (one place for the record layout)."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

HAND_CATEGORIES = [{"id": 1, "name": "hand"}]


def mask_annotation(mask: np.ndarray, ann_id: int, image_id: int) -> dict:
    """A COCO instance annotation (compressed RLE, bbox, area) of one binary mask."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {
        "id": ann_id, "image_id": image_id, "category_id": HAND_CATEGORIES[0]["id"],
        "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
        "bbox": mask_utils.toBbox(rle).tolist(), "area": float(mask_utils.area(rle)),
        "iscrowd": 0,
    }


def hands_coco(images: list[dict], annotations: list[dict]) -> dict:
    """A COCO instances dict with the single ``hand`` category."""
    return {"images": images, "annotations": annotations,
            "categories": [dict(c) for c in HAND_CATEGORIES]}
