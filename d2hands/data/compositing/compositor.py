"""One composite from one training record: a background plus 0..K hands, with its annotations."""

from __future__ import annotations

import cv2
import numpy as np
from detectron2.structures import BoxMode
from pycocotools import mask as mask_utils

from .backgrounds import BackgroundPool
from .distractors import make_distractor
from .hand_sources import HandBank, cut_out
from .paste import compose, degrade
from .settings import CompositeSettings


def mask_annotation(mask: np.ndarray) -> dict:
    """A detectron2 instance annotation (RLE segmentation, XYWH box) of one bool mask."""
    box = [float(v) for v in cv2.boundingRect(mask.astype(np.uint8))]
    return {"bbox": box, "bbox_mode": BoxMode.XYWH_ABS, "category_id": 0, "iscrowd": 0,
            "segmentation": mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))}


class Compositor:
    """Turns training records into composites (``HANDS.COMPOSITE``).

    The record's own hands are pasted first, then hands drawn from the bank until the image has
    its number of hands, ``HANDS_PER_IMAGE`` (or none, with ``NEGATIVE_PROB``), with
    ``DISTRACTORS`` unlabelled cut-outs among them. The record's own background is not used:
    the composite's comes from the pool.

    Args:
        settings: the checked ``HANDS.COMPOSITE`` settings.
        bank: the hands that may be added to any composite.
        backgrounds: the background pool.

    """

    def __init__(self, settings: CompositeSettings, bank: HandBank, backgrounds: BackgroundPool):
        self.settings, self.bank, self.backgrounds = settings, bank, backgrounds

    def applies(self, record: dict, rng: np.random.Generator) -> bool:
        """Whether this draw of ``record`` becomes a composite (its set, then ``PROB``)."""
        datasets = self.settings.datasets
        if datasets and record.get("dataset_name") not in datasets:
            return False
        return rng.random() < self.settings.prob

    def hand_count(self, rng: np.random.Generator) -> int:
        """How many hands this composite gets."""
        if rng.random() < self.settings.negative_prob:
            return 0
        low, high = self.settings.hands_per_image
        return int(rng.integers(low, high + 1))

    def make(self, record: dict, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
        """Compose one image for ``record``.

        Returns:
            A BGR uint8 image of ``SIZE`` and its detectron2 annotations (RLE segmentations), in
            paste order; an empty list for a negative.

        """
        image, masks = self.make_masks(record, rng)
        return image, [mask_annotation(m) for m in masks]

    def make_masks(self, record: dict, rng: np.random.Generator
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Like :meth:`make`, with the visible hands as bool masks instead of annotations."""
        s = self.settings
        height, width = s.size
        count = self.hand_count(rng)
        own = list(range(len(record.get("annotations", []))))
        rng.shuffle(own)
        cuts = [cut_out(record, a) for a in own[:count]]
        while len(cuts) < count and len(self.bank):
            cuts.append(self.bank.draw(rng))
        low, high = s.distractors
        extra = int(rng.integers(low, high + 1)) if high else 0
        for _ in range(extra):  # anywhere in the paste order: they may cover hands
            cuts.insert(int(rng.integers(0, len(cuts) + 1)),
                        make_distractor(rng, self.backgrounds, self.bank,
                                        s.distractor_kinds))
        background = self.backgrounds.draw(rng, height, width)
        image, masks = compose(background, cuts, rng, s)
        return degrade(image, rng, s), masks
