"""Mined negatives: crops around a model's false detections, written as a COCO set.

A model's false detections on images it should find nothing in (hand-free frames) or nothing
more in (training photos, beyond their annotated hands) show what it takes for a hand. Each is
cropped with some context and written as a training image; hands that fall inside a crop keep
their labels (cropped), so a crop never teaches that a hand is background.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from ..data.annotations import hands_coco, mask_annotation
from ..errors import UsageError
from ..io_utils import write_bytes_atomic, write_json_atomic
from ..runtime.hands import Hands

MIN_LABEL_PIXELS = 16  # a hand cut to fewer pixels by a crop's edge is too little to label


@dataclass
class MiningSource:
    """One image to mine: its name, BGR pixels and its hands' masks (none: hand-free)."""

    name: str
    image: np.ndarray
    hands: list[np.ndarray]


def false_detections(found: Hands, hands: list[np.ndarray], max_on_hand: float = 0.1
                     ) -> list[int]:
    """Indices of detections that are not hands: at most ``max_on_hand`` of each lies on one.

    Args:
        found: the model's detections in an image.
        hands: the image's annotated hands (bool masks); empty for a hand-free image.
        max_on_hand: largest share of a detection's mask that may lie on annotated hands.

    """
    union = np.zeros(found.masks.shape[1:], bool)
    for mask in hands:
        union |= mask
    picked = []
    for index, mask in enumerate(found.masks):
        area = int(mask.sum())
        if area and (mask & union).sum() <= max_on_hand * area:
            picked.append(index)
    return picked


def context_window(box: np.ndarray, context: float, height: int, width: int,
                   min_side: int = 64) -> tuple[int, int, int, int]:
    """A square-ish window ``(x0, y0, x1, y1)`` centred on a box, ``context`` times its size.

    Never smaller than ``min_side`` (where the image allows) and shifted, not cut, to stay
    inside the image.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    side_w = min(width, max(min_side, int(round((x1 - x0) * context))))
    side_h = min(height, max(min_side, int(round((y1 - y0) * context))))
    left = int(round(min(max(cx - side_w / 2, 0), width - side_w)))
    top = int(round(min(max(cy - side_h / 2, 0), height - side_h)))
    return left, top, left + side_w, top + side_h


def mine_negatives(predictor, sources: Iterable[MiningSource], out_dir: Path,
                   context: float = 2.0, max_per_image: int = 5, total: int | None = None
                   ) -> tuple[Path, int, int]:
    """Run ``predictor`` on each source and write crops around its false detections.

    Args:
        predictor: a ``HandsPredictor`` (its score threshold decides what is a detection).
        sources: the images to mine.
        out_dir: gets ``images/NAME_K.png`` and ``annotations.json`` (hands inside a crop
            labelled; most crops have none).
        context: a crop's side as a multiple of its detection's box.
        max_per_image: the highest-scoring false detections kept per image.
        total: the number of sources, for the progress bar.

    Returns:
        The annotations file, the number of crops and of images mined.

    """
    images, annotations, mined = [], [], 0
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    for number, source in enumerate(tqdm(sources, total=total, desc="mine", unit="img",
                                         disable=None)):
        found = predictor(source.image)
        picked = false_detections(found, source.hands)
        picked = sorted(picked, key=lambda i: -float(found.scores[i]))[:max_per_image]
        mined += bool(picked)
        height, width = source.image.shape[:2]
        for rank, index in enumerate(picked):
            x0, y0, x1, y1 = context_window(found.boxes[index], context, height, width)
            file_name = f"images/{number:05d}_{source.name}_{rank}.png"
            ok, data = cv2.imencode(".png", source.image[y0:y1, x0:x1])
            if not ok:
                raise OSError(f"could not encode a crop of {source.name} as PNG")
            write_bytes_atomic(out_dir / file_name, data.tobytes())
            image_id = len(images) + 1
            images.append({"id": image_id, "file_name": file_name, "height": y1 - y0,
                           "width": x1 - x0})
            for hand in source.hands:
                cut = hand[y0:y1, x0:x1]
                if cut.sum() >= MIN_LABEL_PIXELS:
                    annotations.append(mask_annotation(cut, len(annotations) + 1, image_id))
    path = out_dir / "annotations.json"
    write_json_atomic(path, hands_coco(images, annotations))
    return path, len(images), mined


def coco_sources(records: list[dict]) -> Iterator[MiningSource]:
    """Mining sources of dataset records (``load_hands_coco``): photos with their hands.

    Raises:
        UsageError: for a hand without a mask (a crop could not label it).
    """
    from ..data.compositing.hand_sources import annotation_mask, read_bgr

    bare = sum(1 for r in records for a in r.get("annotations", []) if not a.get("segmentation"))
    if bare:
        raise UsageError(f"--coco has {bare} hands without a mask; mining labels the hands "
                         "inside its crops and needs their masks")
    for record in records:
        image = read_bgr(record["file_name"], "--coco")
        height, width = image.shape[:2]
        hands = [annotation_mask(ann, height, width) for ann in record.get("annotations", [])
                 if ann.get("segmentation")]
        yield MiningSource(Path(record["file_name"]).stem, image, hands)
