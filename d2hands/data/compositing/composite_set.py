"""Write composites to disk as a COCO set (e.g. a multi-hand test set from single-hand photos)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from ...io_utils import write_bytes_atomic, write_json_atomic
from ..annotations import hands_coco, mask_annotation
from .backgrounds import BackgroundPool
from .compositor import Compositor
from .hand_sources import HandBank
from .settings import CompositeConfigError, CompositeSettings


def write_composite_set(records: list[dict], backgrounds: list[str], out_dir: Path,
                        num_images: int, settings: CompositeSettings, seed: int = 0) -> Path:
    """Compose ``num_images`` images from the hands of ``records`` and write a COCO set.

    Every image gets the hands of one random record first, then hands of others, up to its
    count (``settings.hands_per_image``); ``settings.negative_prob`` applies as in training.

    Args:
        records: detectron2 dataset dicts (``load_hands_coco``) that hold the hands.
        backgrounds: background sources, as in ``HANDS.COMPOSITE.BACKGROUNDS``.
        out_dir: gets ``images/NNNNNN.jpg`` and ``annotations.json``.
        num_images: how many images.
        settings: compositing settings (size, hands per image, jitter).
        seed: the same seed writes the same set.

    Returns:
        The annotations file.

    """
    bank = HandBank(records, [1.0] * len(records))
    if not len(bank):
        raise CompositeConfigError("the source set holds no annotated hand")
    compositor = Compositor(settings.replace(prob=1.0, datasets=()), bank,
                            BackgroundPool(backgrounds))
    rng = np.random.default_rng(seed)
    images, annotations = [], []
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    for index in tqdm(range(num_images), desc="composites", leave=False, disable=None):
        record = records[int(rng.integers(0, len(records)))]
        image, masks = compositor.make_masks(record, rng)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
        if not ok:
            raise OSError("could not encode a composite as JPEG")
        file_name = f"images/{index:06d}.jpg"
        write_bytes_atomic(out_dir / file_name, data.tobytes())
        height, width = image.shape[:2]
        images.append({"id": index + 1, "file_name": file_name, "height": height,
                       "width": width})
        for mask in masks:
            annotations.append(mask_annotation(mask, len(annotations) + 1, index + 1))
    path = out_dir / "annotations.json"
    write_json_atomic(path, hands_coco(images, annotations))
    return path
