"""``HANDS.SUPPRESS_CONTAINED`` applied to a results file, as the model applies it.

A model run with ``HANDS.SUPPRESS_CONTAINED F`` drops every hand whose mask lies at least ``F``
inside the masks of higher-scoring hands of the same image. Its results file holds every
detection above the model's test threshold, so the same filter on a results file written
without it keeps the same hands: the option can be measured from saved predictions, without
running the model again.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from pycocotools import mask as mask_utils

from ..runtime.hands import contained, is_contained_fraction
from .errors import EvaluationInputError
from .results_io import Prediction


def check_contained_fraction(fraction: float) -> None:
    """Raise ``EvaluationInputError`` unless ``fraction`` is a number in [0, 1] (0: off)."""
    if not is_contained_fraction(fraction):
        raise EvaluationInputError(f"the contained fraction must be a number in [0, 1] "
                                   f"(0: off), got {fraction!r}")


def without_contained(predictions: list[Prediction], fraction: float) -> list[Prediction]:
    """``predictions`` less those lying ``fraction`` inside higher-scoring ones of their image.

    Categories are ignored, as the model's filter ignores them (the evaluation is
    class-agnostic).

    Args:
        predictions: Validated predictions of any number of images.
        fraction: in [0, 1]; 0 keeps every prediction.

    Returns:
        The kept predictions, in their given order.

    Raises:
        EvaluationInputError: If ``fraction`` is not a number in [0, 1].

    """
    check_contained_fraction(fraction)
    if fraction == 0:
        return list(predictions)
    by_image = defaultdict(list)
    for k, p in enumerate(predictions):
        by_image[p.image_id].append(k)
    dropped = set()
    for indices in by_image.values():
        if len(indices) < 2:
            continue
        masks = np.stack([mask_utils.decode(predictions[k].rle).astype(bool) for k in indices])
        scores = np.array([predictions[k].score for k in indices], np.float64)
        inside = contained(masks, scores, fraction)
        dropped.update(k for k, out in zip(indices, inside, strict=True) if out)
    return [p for k, p in enumerate(predictions) if k not in dropped]
