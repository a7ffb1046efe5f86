"""The hands found in one image: masks, boxes and scores as numpy arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pycocotools import mask as mask_utils


@dataclass
class Hands:
    """The hands a model found in one image, highest score first.

    Attributes:
        masks: ``N x H x W`` bool, one mask per hand, at the image's size.
        boxes: ``N x 4`` float32 ``[x0, y0, x1, y1]`` in pixels.
        scores: ``N`` float32 in [0, 1].
        instances: The same hands as a detectron2 ``Instances`` (CPU), for its tools.

    """

    masks: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    instances: object = None

    def __len__(self) -> int:
        return len(self.scores)

    @classmethod
    def from_instances(cls, instances) -> Hands:
        """Hands from a detectron2 ``Instances`` (sorted by score, highest first)."""
        order = np.argsort(-instances.scores.numpy(), kind="stable")
        instances = instances[order.tolist()] if len(order) else instances
        height, width = instances.image_size
        masks = (instances.pred_masks.numpy().astype(bool) if instances.has("pred_masks")
                 else np.zeros((len(instances), height, width), bool))
        return cls(masks, instances.pred_boxes.tensor.numpy().astype(np.float32),
                   instances.scores.numpy().astype(np.float32), instances)

    def above(self, score_thresh: float) -> Hands:
        """The hands scoring at least ``score_thresh`` (order kept)."""
        return self._kept(self.scores >= score_thresh)

    def _kept(self, keep: np.ndarray) -> Hands:
        """The hands where ``keep`` (bool, one per hand) is true, order kept."""
        if keep.all():
            return self
        instances = None if self.instances is None else self.instances[keep.tolist()]
        return Hands(self.masks[keep], self.boxes[keep], self.scores[keep], instances)

    def without_contained(self, fraction: float) -> Hands:
        """These hands less those that lie mostly inside higher-scoring ones.

        A hand whose mask has at least ``fraction`` of its pixels inside the union of the
        higher-scoring hands kept before it is dropped: a second detection of a hand already
        found, or a fragment of it (a finger, the palm), which box NMS lets through because
        the boxes differ. Hands are taken highest score first, so a score threshold applied
        before or after gives the same hands.

        Args:
            fraction: in (0, 1]; 0 keeps every hand.

        Returns:
            The kept hands (order kept).

        """
        if fraction <= 0 or len(self) < 2:
            return self
        return self._kept(~contained(self.masks, self.scores, fraction))

    def to_instances(self):
        """The hands as a detectron2 ``Instances`` (made from the arrays when not kept)."""
        if self.instances is not None:
            return self.instances
        import torch
        from detectron2.structures import Boxes, Instances

        instances = Instances(self.image_size)
        instances.pred_masks = torch.from_numpy(self.masks)
        instances.pred_boxes = Boxes(torch.from_numpy(self.boxes))
        instances.scores = torch.from_numpy(self.scores)
        instances.pred_classes = torch.zeros(len(self), dtype=torch.int64)
        return instances

    def union(self) -> np.ndarray:
        """``H x W`` bool: where any hand is."""
        return self.masks.any(axis=0) if len(self) else np.zeros(self.image_size, bool)

    @property
    def image_size(self) -> tuple[int, int]:
        """``(height, width)`` of the image."""
        if self.instances is not None:
            return tuple(self.instances.image_size)
        return tuple(self.masks.shape[1:])

    def instance_map(self) -> np.ndarray:
        """``H x W`` uint16: 0 for background, ``k`` for the ``k``-th hand (by score).

        Where masks overlap, the higher-scoring hand keeps the pixel.
        """
        out = np.zeros(self.image_size, np.uint16)
        for k in range(len(self) - 1, -1, -1):  # lowest score first: higher ones overwrite
            out[self.masks[k]] = k + 1
        return out

    def to_coco(self, image_id, category_id: int = 1) -> list[dict]:
        """COCO results entries (RLE masks, XYWH boxes) for ``image_id``."""
        results = []
        for mask, box, score in zip(self.masks, self.boxes, self.scores, strict=True):
            rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
            x0, y0, x1, y1 = (float(v) for v in box)
            results.append({"image_id": image_id, "category_id": category_id,
                            "score": round(float(score), 5), "bbox": [x0, y0, x1 - x0, y1 - y0],
                            "segmentation": {"size": rle["size"],
                                             "counts": rle["counts"].decode("ascii")}})
        return results


def is_contained_fraction(value) -> bool:
    """Whether ``value`` is a valid ``HANDS.SUPPRESS_CONTAINED``: a number in [0, 1] (0: off).

    The one check behind the config's and the evaluation's errors, kept here so that the
    evaluation can make it without importing torch.
    """
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value) and 0.0 <= value <= 1.0)


def contained(masks: np.ndarray, scores: np.ndarray, fraction: float) -> np.ndarray:
    """Which masks lie at least ``fraction`` inside the union of higher-scoring kept ones.

    Masks are taken highest score first (ties in the given order); one that is not contained
    joins the union, one that is does not. An empty mask is never contained.

    Args:
        masks: ``N x H x W`` bool.
        scores: ``N`` scores.
        fraction: in (0, 1]; 0 marks none.

    Returns:
        ``N`` bool, true for the contained masks (those :meth:`Hands.without_contained` drops).

    """
    dropped = np.zeros(len(scores), bool)
    if fraction <= 0 or len(scores) < 2:
        return dropped
    union = np.zeros(masks.shape[1:], bool)
    for k in np.argsort(-np.asarray(scores), kind="stable"):
        rows = np.flatnonzero(masks[k].any(axis=1))
        if not len(rows):
            continue  # an empty mask covers nothing and is kept
        cols = np.flatnonzero(masks[k][rows[0]:rows[-1] + 1].any(axis=0))
        window = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]  # the mask's extent
        mask, covered = masks[k][window], union[window]
        if np.count_nonzero(mask & covered) >= fraction * np.count_nonzero(mask):
            dropped[k] = True
        else:
            covered |= mask
    return dropped
