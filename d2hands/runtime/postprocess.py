"""Network outputs to hands at the image's size: detectron2's post-processing, in numpy.

``instance_hands`` does what ``detector_postprocess`` and ``paste_masks_in_image`` do to a Mask
R-CNN's raw output; ``component_hands`` what d2hands' semantic models do to a hand-probability
map (its 8-connected components). Both return :class:`~d2hands.runtime.hands.Hands`.
"""

from __future__ import annotations

import cv2
import numpy as np

from .hands import Hands


def _interpolation_matrix(start: int, stop: int, low: float, high: float,
                          cells: int) -> np.ndarray:
    """Bilinear weights of pixels ``start..stop-1`` over ``cells`` samples spanning [low, high].

    The sample grid of ``grid_sample(..., align_corners=False)`` with zero padding, as
    detectron2's ``_do_paste_mask`` uses: pixel centre ``p + 0.5`` maps to cell coordinate
    ``(p + 0.5 - low) / (high - low) * cells - 0.5``.
    """
    centres = np.arange(start, stop, dtype=np.float64) + 0.5
    coord = (centres - low) / max(high - low, 1e-12) * cells - 0.5
    left = np.floor(coord).astype(np.int64)
    frac = coord - left
    weights = np.zeros((len(centres), cells), np.float64)
    for index, weight in ((left, 1.0 - frac), (left + 1, frac)):
        inside = (index >= 0) & (index < cells)
        weights[np.nonzero(inside)[0], index[inside]] += weight[inside]
    return weights


def paste_mask(mask: np.ndarray, box: np.ndarray, height: int, width: int,
               threshold: float = 0.5) -> np.ndarray:
    """Paste one ``M x M`` mask probability map into its box on an ``height x width`` image.

    Args:
        mask: the network's mask probabilities for the box.
        box: ``[x0, y0, x1, y1]`` in image pixels.
        height: the image's height.
        width: the image's width.
        threshold: probabilities at or above it are hand.

    Returns:
        ``height x width`` bool.

    """
    x0, y0, x1, y1 = (float(v) for v in box)
    out = np.zeros((height, width), bool)
    # detectron2 pastes into the box's pixels plus one on each side, within the image.
    left, top = max(int(np.floor(x0)) - 1, 0), max(int(np.floor(y0)) - 1, 0)
    right, bottom = min(int(np.ceil(x1)) + 1, width), min(int(np.ceil(y1)) + 1, height)
    if right <= left or bottom <= top:
        return out
    rows = _interpolation_matrix(top, bottom, y0, y1, mask.shape[0])
    cols = _interpolation_matrix(left, right, x0, x1, mask.shape[1])
    out[top:bottom, left:right] = rows @ mask.astype(np.float64) @ cols.T >= threshold
    return out


def instance_hands(boxes: np.ndarray, scores: np.ndarray, masks: np.ndarray,
                   input_size: tuple[int, int], image_size: tuple[int, int],
                   mask_threshold: float = 0.5) -> Hands:
    """Hands from Mask R-CNN's raw output on a resized input.

    Args:
        boxes: ``N x 4`` XYXY boxes in the network input's pixels.
        scores: ``N`` scores.
        masks: ``N x 1 x M x M`` (or ``N x M x M``) mask probabilities.
        input_size: ``(height, width)`` of the network input.
        image_size: ``(height, width)`` of the original image.
        mask_threshold: mask probability from which a pixel is hand.

    """
    height, width = image_size
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4).copy()
    boxes[:, 0::2] *= width / input_size[1]
    boxes[:, 1::2] *= height / input_size[0]
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    masks = np.asarray(masks, np.float32).reshape(len(keep), *np.shape(masks)[-2:])[keep]
    boxes, scores = boxes[keep], np.asarray(scores, np.float32).reshape(-1)[keep]
    order = np.argsort(-scores, kind="stable")
    pasted = np.zeros((len(order), height, width), bool)
    for row, k in enumerate(order):
        pasted[row] = paste_mask(masks[k], boxes[k], height, width, mask_threshold)
    return Hands(pasted, boxes[order], scores[order])


def upsample_bilinear(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """``F.interpolate(..., mode="bilinear", align_corners=False)`` of a 2-D float map."""
    if values.shape == (height, width):
        return values.astype(np.float32)
    rows = _interpolation_matrix(0, height, 0, height, values.shape[0])
    cols = _interpolation_matrix(0, width, 0, width, values.shape[1])
    # Border pixels clamp to the edge sample (interpolate's border rule, not zero padding).
    rows /= rows.sum(axis=1, keepdims=True)
    cols /= cols.sum(axis=1, keepdims=True)
    return (rows @ values.astype(np.float64) @ cols.T).astype(np.float32)


def component_hands(probability: np.ndarray, threshold: float = 0.5, min_area: int = 0,
                    max_instances: int = 100) -> Hands:
    """Hands as the 8-connected components of ``probability > threshold``.

    Each component's score is its mean probability, its box the component's bounding box
    (exclusive right and bottom edges); components under ``min_area`` pixels are dropped and at
    most ``max_instances`` kept, highest score first.
    """
    prob = np.asarray(probability, np.float32)
    height, width = prob.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (prob > threshold).astype(np.uint8), connectivity=8)
    found = []
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] < max(min_area, 1):
            continue
        mask = labels == label
        found.append((float(prob[mask].mean()), label, mask))
    found.sort(key=lambda item: (-item[0], item[1]))
    found = found[:max_instances]
    masks = (np.stack([m for *_, m in found]) if found else np.zeros((0, height, width), bool))
    boxes = np.array([[stats[k, cv2.CC_STAT_LEFT], stats[k, cv2.CC_STAT_TOP],
                       stats[k, cv2.CC_STAT_LEFT] + stats[k, cv2.CC_STAT_WIDTH],
                       stats[k, cv2.CC_STAT_TOP] + stats[k, cv2.CC_STAT_HEIGHT]]
                      for _, k, _ in found], np.float32).reshape(-1, 4)
    return Hands(masks, boxes, np.array([s for s, *_ in found], np.float32))
