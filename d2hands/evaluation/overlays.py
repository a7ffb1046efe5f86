"""Overlay images of the worst-scored images: ground-truth and predicted outlines."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from ..data.image_io import ImageReadError, read_image
from .errors import EvaluationInputError

GT_COLOR = (0, 220, 0)  # BGR green
PRED_COLOR = (255, 0, 255)  # BGR magenta


def worst_images(images: Sequence, k: int) -> list:
    """Return the ``k`` images with the lowest pixel F1 (ties: more wrong pixels, then order).

    Args:
        images: ``ImageResult`` list.
        k: How many to return.

    Returns:
        Up to ``k`` ``ImageResult``, worst first.

    """
    order = sorted(
        range(len(images)),
        key=lambda i: (images[i].pixels.f1, -(images[i].pixels.fp + images[i].pixels.fn), i),
    )
    return [images[i] for i in order[: max(k, 0)]]


def _outline(canvas: np.ndarray, rle: dict, color: tuple[int, int, int], thickness: int) -> None:
    mask = mask_utils.decode(rle)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(canvas, contours, -1, color, thickness, cv2.LINE_AA)


def draw_overlay(image: np.ndarray, result) -> np.ndarray:
    """Draw one image's ground-truth (green) and kept-prediction (magenta) outlines.

    Args:
        image: BGR uint8 image of the ground truth's size.
        result: Its ``ImageResult``.

    Returns:
        A new BGR image with outlines and a caption.

    """
    canvas = image.copy()
    thickness = max(1, round(max(canvas.shape[:2]) / 500))
    for hand in result.hands:
        _outline(canvas, hand, GT_COLOR, thickness)
    for i in result.match.kept:
        _outline(canvas, result.predictions[i].rle, PRED_COLOR, thickness)
    m, px = result.match, result.pixels
    caption = (
        f"{result.image.file_name} | GT green, prediction magenta | pixel F1 {px.f1:.3f} | "
        f"TP {m.tp} FP {m.fp} FN {m.fn}"
    )
    scale = max(0.4, canvas.shape[1] / 1600)
    org = (8, int(24 * scale) + 4)
    cv2.putText(canvas, caption, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(canvas, caption, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                cv2.LINE_AA)
    return canvas


def render_worst_overlays(
    images: Sequence, image_root: str | os.PathLike, k: int
) -> list[tuple[str, bytes]]:
    """Render overlays of the ``k`` worst images by pixel F1 into PNG bytes (nothing written).

    Args:
        images: ``ImageResult`` list; from ``score_images``.
        image_root: Folder the images' ``file_name`` paths are relative to.
        k: Number of images.

    Returns:
        ``(png_name, png_bytes)`` pairs, worst first (names start with the rank).

    Raises:
        EvaluationInputError: If an image cannot be read or its size differs from the ground
            truth.

    """
    out = []
    for rank, r in enumerate(worst_images(images, k), start=1):
        path = os.path.join(os.fspath(image_root), r.image.file_name)
        try:
            image = read_image(path, "BGR")
        except ImageReadError:
            raise EvaluationInputError(
                f"cannot read image {path} (image_id {r.image.id!r}) to draw its overlay"
            ) from None
        if image.shape[:2] != (r.image.height, r.image.width):
            raise EvaluationInputError(
                f"image {path} is {image.shape[1]}x{image.shape[0]} but the ground truth says "
                f"{r.image.width}x{r.image.height} (image_id {r.image.id!r})"
            )
        ok, png = cv2.imencode(".png", draw_overlay(image, r))
        if not ok:
            raise EvaluationInputError(f"cannot encode the overlay of {path} as PNG")
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.splitext(r.image.file_name)[0])
        out.append((f"{rank:03d}_{stem[-80:]}.png", png.tobytes()))
    return out


def save_worst_overlays(
    images: Sequence, image_root: str | os.PathLike, out_dir: str | os.PathLike, k: int
) -> list[str]:
    """Write overlay PNGs of the ``k`` worst images by pixel F1 into ``out_dir`` atomically.

    Args:
        images: ``ImageResult`` list (``Evaluation.images``).
        image_root: Folder the images' ``file_name`` paths are relative to.
        out_dir: Destination folder (created if needed).
        k: Number of images.

    Returns:
        The written paths, worst first.

    Raises:
        EvaluationInputError: If an image cannot be read (before anything is written).

    """
    from .report import write_atomic

    rendered = render_worst_overlays(images, image_root, k)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name, png in rendered:
        path = os.path.join(os.fspath(out_dir), name)
        write_atomic(path, png)
        paths.append(path)
    return paths
