"""The ground truth of an evaluation: a hands COCO dataset read by ``d2hands.data``."""

from __future__ import annotations

import os

from pycocotools.coco import COCO

from ..data.coco_format import HandsCoco, ImageInfo, load_coco
from ..data.errors import DatasetError

GroundTruth = HandsCoco

__all__ = ["GroundTruth", "ImageInfo", "load_ground_truth"]


def load_ground_truth(gt: str | os.PathLike | dict | COCO | HandsCoco) -> HandsCoco:
    """Load and validate a COCO ground truth for hand evaluation.

    The dataset is read and checked by :func:`d2hands.data.coco_format.load_coco` (the reader
    training uses), without opening images. Annotations with ``iscrowd`` 1 take part in COCO
    AP (as pycocotools treats them) but are not hands for the hand and pixel metrics. The input
    dict is not modified.

    Args:
        gt: Path to a COCO JSON, the parsed dict, a pycocotools ``COCO`` or a ``GroundTruth``
            (returned as is).

    Returns:
        The validated ground truth.

    Raises:
        DatasetError: If the file cannot be read, an entry is invalid (the message names the
            entry) or there is no image to evaluate.

    """
    if isinstance(gt, HandsCoco):
        return gt
    data = gt.dataset if isinstance(gt, COCO) else gt
    source = os.fspath(gt) if isinstance(gt, (str, os.PathLike)) else "ground truth"
    loaded = load_coco(data, source=source)
    if not loaded.images:
        raise DatasetError(source, [("no images", "nothing to evaluate")])
    return loaded
