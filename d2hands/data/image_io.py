"""One image reader for training, evaluation, video and validation: files as people make them.

8- and 16-bit, gray, RGB(A), palette and CMYK files give the pixels an image viewer shows (a
16-bit file keeps its top 8 bits, as OpenCV's ``imread`` does); the EXIF orientation is applied,
as OpenCV and phones' viewers apply it; the whole file is decoded, so corrupted data is an error
naming the file, never a half-black image.

detectron2's ``read_image`` (used by its mappers, test loaders and tools) would read a 16-bit
PNG as an all-white frame; :func:`use_in_detectron2` points it at :func:`read_image`, once, when
``d2hands.data`` is imported (also in data loader workers, which import it to unpickle the
mapper).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageOps

from .errors import DatasetError

_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
# EXIF orientations 5-8 rotate by 90 degrees: width and height swap.
_TRANSPOSED = (5, 6, 7, 8)
EXIF_ORIENTATION = 0x0112


class ImageReadError(DatasetError):
    """An image file cannot be decoded (missing, not an image, or corrupted data)."""

    def __init__(self, path, reason: str):
        super().__init__(str(path), [(reason, str(path))])


def _to_8bit(image: Image.Image) -> Image.Image:
    """An ``L``, ``RGB`` or ``RGBA``-free 8-bit version of ``image``."""
    if image.mode in _SIXTEEN_BIT:
        values = np.asarray(image).astype(np.int64)
        if image.mode == "I" and values.max(initial=0) <= 255:
            return Image.fromarray(values.clip(0, 255).astype(np.uint8), "L")
        return Image.fromarray((values.clip(0, 65535) >> 8).astype(np.uint8), "L")
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
        return Image.fromarray(np.nan_to_num(values * scale).clip(0, 255).astype(np.uint8), "L")
    if image.mode in ("1", "L"):
        return image.convert("L")
    # RGBA, LA, PA and palettes with transparency: the colours, alpha dropped (as OpenCV does).
    return image.convert("RGBA").convert("RGB") if "A" in image.mode or (
        image.mode == "P" and "transparency" in image.info) else image.convert("RGB")


@contextlib.contextmanager
def _decoded(path: str | os.PathLike) -> Iterator[Image.Image]:
    """The image of ``path``, decoded whole; any failure is an ``ImageReadError``."""
    try:
        with Image.open(path) as raw:
            raw.load()  # decode everything now: truncated or corrupted data raises here
            yield raw
    except FileNotFoundError:
        raise ImageReadError(path, "missing image file") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise ImageReadError(path, f"unreadable image ({reason})") from None


def open_image(path: str | os.PathLike) -> Image.Image:
    """Open, fully decode and orient an image; 8-bit ``L`` (gray files) or ``RGB``.

    Raises:
        ImageReadError: If the file is missing, not an image, or its data is corrupted.

    """
    with _decoded(path) as raw:
        return _to_8bit(ImageOps.exif_transpose(raw))


def read_image(file_name: str | os.PathLike, format: str | None = None) -> np.ndarray:
    """Read an image as detectron2's ``read_image`` does, the way :func:`open_image` decodes it.

    Args:
        file_name: The image file.
        format: ``BGR`` (OpenCV's order), ``RGB``, ``L`` or any format detectron2 takes; None
            keeps RGB.

    Returns:
        An ``HxWx3`` (``HxWx1`` for ``L``) uint8 array.

    Raises:
        ImageReadError: If the file cannot be decoded.

    """
    from detectron2.data.detection_utils import convert_PIL_to_numpy

    image = open_image(file_name)
    if format != "L" and image.mode == "L":
        image = image.convert("RGB")
    return convert_PIL_to_numpy(image, format)


def oriented_size(path: str | os.PathLike) -> tuple[int, int]:
    """``(width, height)`` of an image as :func:`read_image` returns it (EXIF applied).

    Decodes the whole file, so a corrupted one is refused here, not in training.

    Raises:
        ImageReadError: If the file cannot be decoded.

    """
    with _decoded(path) as raw:
        width, height = raw.size
        orientation = raw.getexif().get(EXIF_ORIENTATION, 1)
    return (height, width) if orientation in _TRANSPOSED else (width, height)


def use_in_detectron2() -> None:
    """Make detectron2's ``read_image`` (mappers, test loaders, tools) this module's."""
    from detectron2.data import detection_utils

    detection_utils.read_image = read_image
