"""Mined negatives: crops around a model's false detections, written as a COCO set.

A model's false detections on images it should find nothing in (hand-free frames) or nothing
more in (training photos, beyond their annotated hands) show what it takes for a hand. Each is
cropped with some context and written as a training image; hands that fall inside a crop keep
their labels (cropped; slivers and crowd regions as ``iscrowd``, ignored in training), so a
crop never teaches that a hand is background. A crop is at least ``MIN_SIDE`` of the photo's
shorter side: augmentation resizes each image by its size, so a small crop would be seen much
enlarged, at another scale than where the model was fooled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from ..data.annotations import hands_coco, mask_annotation
from ..errors import UsageError
from ..io_utils import write_bytes_atomic, write_json_atomic
from ..runtime.hands import Hands

MIN_LABEL_PIXELS = 16  # a hand cut to fewer pixels by a crop's edge is ignored, not labelled
MIN_SIDE = 0.5  # a crop's smallest side, as a fraction of its photo's shorter side


@dataclass
class MiningSource:
    """One image to mine: its name, pixels, hands and crowd regions.

    Attributes:
        name: names its crops' files.
        image: BGR pixels.
        hands: the hands' bool masks (none: a hand-free image).
        crowd: crowd regions' bool masks (ignored: neither hands nor background).

    """

    name: str
    image: np.ndarray
    hands: list[np.ndarray]
    crowd: list[np.ndarray] = field(default_factory=list)


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
    """A window ``(x0, y0, x1, y1)`` centred on a box, ``context`` times its width and height.

    Each side at least ``min_side`` (where the image allows); shifted, not cut, to stay inside
    the image.
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
        picked = false_detections(found, source.hands + source.crowd)
        picked = sorted(picked, key=lambda i: -float(found.scores[i]))[:max_per_image]
        mined += bool(picked)
        height, width = source.image.shape[:2]
        min_side = int(round(MIN_SIDE * min(height, width)))
        for rank, index in enumerate(picked):
            x0, y0, x1, y1 = context_window(found.boxes[index], context, height, width,
                                            min_side)
            file_name = f"images/{number:05d}_{source.name}_{rank}.png"
            ok, data = cv2.imencode(".png", source.image[y0:y1, x0:x1])
            if not ok:
                raise OSError(f"could not encode a crop of {source.name} as PNG")
            write_bytes_atomic(out_dir / file_name, data.tobytes())
            image_id = len(images) + 1
            images.append({"id": image_id, "file_name": file_name, "height": y1 - y0,
                           "width": x1 - x0})
            for region, crowd in [(h, False) for h in source.hands] + [
                    (c, True) for c in source.crowd]:
                cut = region[y0:y1, x0:x1]
                if cut.any():
                    annotation = mask_annotation(cut, len(annotations) + 1, image_id)
                    if crowd or cut.sum() < MIN_LABEL_PIXELS:
                        annotation["iscrowd"] = 1
                    annotations.append(annotation)
    path = out_dir / "annotations.json"
    write_json_atomic(path, hands_coco(images, annotations))
    return path, len(images), mined


def check_minable(records: list[dict]) -> None:
    """Refuse a set whose hands lack masks: a crop could not label them.

    Raises:
        UsageError: naming how many hands have no mask.
    """
    bare = sum(1 for r in records for a in r.get("annotations", [])
               if not a.get("segmentation") and not a.get("iscrowd", 0))
    if bare:
        raise UsageError(f"--coco has {bare} hands without a mask; mining labels the hands "
                         "inside its crops and needs their masks")


def coco_sources(records: list[dict]) -> Iterator[MiningSource]:
    """Mining sources of dataset records (``load_hands_coco``; ``check_minable`` first)."""
    from ..data.compositing.hand_sources import annotation_mask, read_bgr

    for record in records:
        image = read_bgr(record["file_name"], "--coco")
        height, width = image.shape[:2]
        masks = [(annotation_mask(a, height, width), bool(a.get("iscrowd", 0)))
                 for a in record.get("annotations", []) if a.get("segmentation")]
        yield MiningSource(Path(record["file_name"]).stem, image,
                           [m for m, crowd in masks if not crowd],
                           [m for m, crowd in masks if crowd])
