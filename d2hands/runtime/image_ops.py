"""Input resizing as detectron2's ``ResizeShortestEdge`` does it (PIL bilinear on uint8)."""

from __future__ import annotations

import numpy as np
from PIL import Image


def shortest_edge_size(height: int, width: int, short: int, max_size: int) -> tuple[int, int]:
    """``(new_h, new_w)``: the short side scaled to ``short``, the long side at most ``max_size``.

    The same rounding as detectron2's ``ResizeShortestEdge.get_output_shape``.
    """
    scale = short / min(height, width)
    new_h, new_w = (short, scale * width) if height < width else (scale * height, short)
    if max(new_h, new_w) > max_size:
        factor = max_size / max(new_h, new_w)
        new_h, new_w = new_h * factor, new_w * factor
    return int(new_h + 0.5), int(new_w + 0.5)


def resize_shortest_edge(image: np.ndarray, short: int, max_size: int) -> np.ndarray:
    """Resize an ``H x W x 3`` uint8 image (PIL bilinear, as detectron2's test transform)."""
    new_h, new_w = shortest_edge_size(image.shape[0], image.shape[1], short, max_size)
    if (new_h, new_w) == image.shape[:2]:
        return image
    return np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))


def chw_float(image: np.ndarray) -> np.ndarray:
    """``H x W x 3`` uint8 to the ``3 x H x W`` float32 (0-255) a detectron2 model reads."""
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32)
