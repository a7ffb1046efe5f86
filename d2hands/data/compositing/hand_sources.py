"""Hands to paste: cut out of training images by their masks (or a render's RGBA alpha)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from ..errors import DatasetError
from ..image_io import ImageReadError, read_image
from ..rle import segmentation_to_rle

MARGIN = 2  # pixels kept around a cut-out so that feathering has room


@dataclass
class Cutout:
    """One hand, cropped: colour (BGR), opacity and the hand label, all of one size.

    Attributes:
        bgr: (h, w, 3) uint8 pixels.
        alpha: (h, w) float32 opacity in [0, 1]; a render's alpha also covers its forearm or
            sleeve, which is pasted but not labelled.
        label: (h, w) bool, the pixels labelled ``hand``.

    """

    bgr: np.ndarray
    alpha: np.ndarray
    label: np.ndarray


def annotation_mask(annotation: dict, height: int, width: int) -> np.ndarray:
    """Decode an annotation's ``segmentation`` (RLE or polygons) to a bool mask."""
    rle = segmentation_to_rle(annotation["segmentation"], height, width)
    return mask_utils.decode(rle).astype(bool)


def read_bgr(path: str | Path, what: str) -> np.ndarray:
    """Read an image as BGR uint8, or raise a ``DatasetError`` naming it."""
    try:
        return read_image(path, "BGR")
    except ImageReadError as exc:
        raise DatasetError(what, exc.problems) from None


def check_size(image: np.ndarray, record: dict, what: str) -> None:
    """Raise a ``DatasetError`` naming ``what`` if ``image`` is not the record's size."""
    if image.shape[:2] != (record["height"], record["width"]):
        raise DatasetError(what, [(f"image is {image.shape[1]}x{image.shape[0]}, the record "
                                   f"says {record['width']}x{record['height']}",
                                   record["file_name"])])


def rgba_of(file_name: str) -> Path | None:
    """The raw RGBA render kept by ``render_poses.py --keep-rgba`` for an image, if any.

    Renders live at ``OUT/images/<structure>/<id>.<ext>`` and their RGBA at
    ``OUT/rgba/<id>.png``.
    """
    path = Path(file_name)
    if len(path.parents) < 3 or path.parents[1].name != "images":
        return None
    candidate = path.parents[2] / "rgba" / f"{path.stem}.png"
    return candidate if candidate.exists() else None


def cut_out(record: dict, ann_index: int) -> Cutout:
    """Cut hand ``ann_index`` out of a dataset record.

    With a kept RGBA render, the colour and opacity are the render's own (hand plus forearm or
    sleeve, no background) and the label is the annotation's mask; otherwise the mask is both
    the opacity and the label, and other hands of the image are left behind.

    Raises:
        DatasetError: if the image (or its RGBA) cannot be read or does not match the record.

    """
    source = record.get("dataset_name", "training set")
    height, width = record["height"], record["width"]
    label = annotation_mask(record["annotations"][ann_index], height, width)
    rgba_path = rgba_of(record["file_name"])
    if rgba_path is not None:
        rgba = cv2.imread(str(rgba_path), cv2.IMREAD_UNCHANGED)
        if rgba is None or rgba.ndim != 3 or rgba.shape[2] != 4:
            raise DatasetError(source, [("unreadable RGBA render", str(rgba_path))])
        bgr, alpha = rgba[..., :3], rgba[..., 3].astype(np.float32) / 255.0
    else:
        bgr, alpha = read_bgr(record["file_name"], source), label.astype(np.float32)
    check_size(bgr, record, source)
    x, y, w, h = cv2.boundingRect((label | (alpha > 0.5)).astype(np.uint8))
    if w == 0:
        raise DatasetError(source, [("empty hand mask", record["file_name"])])
    y0, y1 = max(0, y - MARGIN), min(height, y + h + MARGIN)
    x0, x1 = max(0, x - MARGIN), min(width, x + w + MARGIN)
    return Cutout(bgr=np.ascontiguousarray(bgr[y0:y1, x0:x1]),
                  alpha=np.ascontiguousarray(alpha[y0:y1, x0:x1]),
                  label=np.ascontiguousarray(label[y0:y1, x0:x1]))


class HandBank:
    """Every hand of some training records, drawn with the records' replication weights."""

    def __init__(self, records: list[dict], weights: list[float]):
        self.records = records
        self.entries = [(r, a) for r, record in enumerate(records)
                        for a in range(len(record.get("annotations", [])))]
        if self.entries:
            w = np.array([weights[r] for r, _ in self.entries], np.float64)
            self.probs = w / w.sum()

    def __len__(self) -> int:
        return len(self.entries)

    def draw(self, rng: np.random.Generator) -> Cutout:
        """One random hand (weighted by its record's replication factor)."""
        record, ann = self.entries[int(rng.choice(len(self.entries), p=self.probs))]
        return cut_out(self.records[record], ann)
