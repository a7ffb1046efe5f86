"""Validation of COCO segmentations and their conversion to compressed RLE.

pycocotools' C code trusts its input: a compressed RLE whose counts do not add up to
height * width makes ``decode`` write past its buffer. Everything that enters the metrics is
therefore checked here first, with numpy on the encoded counts (no dense masks).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from pycocotools import mask as mask_utils

# A compressed count is a run of 5-bit chunks (chars '0'..'o'); 7 chunks already hold 2**35.
_MAX_CHUNKS = 7


def decode_compressed_counts(counts: bytes | str) -> np.ndarray:
    """Decode a compressed COCO RLE string into its run lengths (as pycocotools reads it).

    Args:
        counts: The ``counts`` string of a compressed RLE.

    Returns:
        The run lengths as int64 (negative values mean the string is corrupt).

    Raises:
        ValueError: If the string has characters outside the encoding or ends mid-number.

    """
    raw = counts.encode("ascii", "replace") if isinstance(counts, str) else bytes(counts)
    v = np.frombuffer(raw, dtype=np.uint8).astype(np.int64) - 48
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    if v.min() < 0 or v.max() > 63:
        raise ValueError("'counts' has characters outside the compressed RLE alphabet ('0'..'o')")
    more = (v & 0x20) != 0
    if more[-1]:
        raise ValueError("'counts' ends in the middle of a number (truncated string)")
    ends = np.flatnonzero(~more)
    starts = np.concatenate(([0], ends[:-1] + 1))
    nchunks = ends - starts + 1
    if nchunks.max() > _MAX_CHUNKS:
        raise ValueError("'counts' holds a number too large for any image")
    chunk_pos = np.arange(v.size) - np.repeat(starts, nchunks)
    x = np.add.reduceat((v & 0x1F) << (5 * chunk_pos), starts)
    negative = (v[ends] & 0x10) != 0
    x[negative] -= np.left_shift(1, 5 * nchunks[negative])
    # From the fourth count on, each value is stored as a difference to the count two before.
    cnts = x.copy()
    cnts[1::2] = np.cumsum(x[1::2])
    if x.size > 2:
        cnts[2::2] = np.cumsum(x[2::2])
    return cnts


def _check_counts(cnts: np.ndarray, height: int, width: int) -> None:
    if cnts.size and cnts.min() < 0:
        raise ValueError("'counts' has a negative run length")
    total = int(cnts.sum())
    if total != height * width:
        raise ValueError(
            f"the run lengths in 'counts' add up to {total} pixels, not height * width = "
            f"{height} * {width} = {height * width}"
        )


def _check_size(size: object, height: int, width: int) -> None:
    if (
        not isinstance(size, (list, tuple))
        or len(size) != 2
        or not all(isinstance(s, Integral) and not isinstance(s, bool) for s in size)
    ):
        raise ValueError(f"'size' must be [height, width] (two integers), got {size!r}")
    if [int(size[0]), int(size[1])] != [height, width]:
        raise ValueError(
            f"mask size [{size[0]}, {size[1]}] (height, width) differs from the image size "
            f"[{height}, {width}]; masks must be encoded at full image resolution"
        )


def rle_from_dict(segm: dict, height: int, width: int) -> dict:
    """Validate an RLE dict (compressed or uncompressed) and return it compressed.

    Args:
        segm: ``{"size": [h, w], "counts": str | bytes | list[int]}``.
        height: Image height the mask must have.
        width: Image width the mask must have.

    Returns:
        ``{"size": [h, w], "counts": bytes}`` (compressed RLE).

    Raises:
        ValueError: Describing what is wrong.

    """
    missing = [k for k in ("size", "counts") if k not in segm]
    if missing:
        raise ValueError(f"RLE segmentation lacks {' and '.join(repr(k) for k in missing)}")
    _check_size(segm["size"], height, width)
    counts = segm["counts"]
    if isinstance(counts, (str, bytes)):
        _check_counts(decode_compressed_counts(counts), height, width)
        raw = counts.encode("ascii") if isinstance(counts, str) else counts
        return {"size": [height, width], "counts": raw}
    if isinstance(counts, list):
        try:
            runs = np.asarray(counts)
        except (TypeError, ValueError, OverflowError):
            runs = None
        if runs is None or runs.ndim != 1 or (runs.size and runs.dtype.kind not in "iu"):
            raise ValueError("uncompressed RLE 'counts' must be a list of integers")
        _check_counts(runs.astype(np.int64), height, width)
        return mask_utils.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    raise ValueError(
        f"RLE 'counts' must be a compressed string or a list of integers, got "
        f"{type(counts).__name__}"
    )


MAX_COORDINATE = 1e6


def rle_from_polygons(polygons: list, height: int, width: int) -> dict:
    """Validate COCO polygons and rasterize them into one compressed RLE.

    Args:
        polygons: ``[[x1, y1, x2, y2, ...], ...]``, each with at least 3 points.
        height: Image height.
        width: Image width.

    Returns:
        ``{"size": [h, w], "counts": bytes}``.

    Raises:
        ValueError: Describing what is wrong.

    """
    if not polygons:
        raise ValueError("segmentation is an empty list (no polygon)")
    for k, poly in enumerate(polygons):
        if not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2:
            raise ValueError(
                f"polygon {k} must be a flat list [x1, y1, x2, y2, ...] of at least 3 points"
            )
        try:
            coords = np.array(poly, dtype=np.float64)
        except (TypeError, ValueError):
            coords = None
        if coords is None or coords.ndim != 1 or not np.isfinite(coords).all():
            raise ValueError(f"polygon {k} has a coordinate that is not a finite number")
        # pycocotools rasterises 5x upsampled in C ints: far-off points overflow it (a crash).
        if np.abs(coords).max() > MAX_COORDINATE:
            raise ValueError(f"polygon {k} has a point far outside the {width}x{height} image")
    rles = mask_utils.frPyObjects(polygons, height, width)
    return mask_utils.merge(rles) if len(rles) > 1 else rles[0]


def segmentation_to_rle(segm: object, height: int, width: int) -> dict:
    """Validate a COCO segmentation (RLE dict or polygon list) and return compressed RLE.

    Args:
        segm: The ``segmentation`` field of an annotation or a result.
        height: Image height.
        width: Image width.

    Returns:
        ``{"size": [h, w], "counts": bytes}``.

    Raises:
        ValueError: Describing what is wrong.

    """
    if isinstance(segm, dict):
        return rle_from_dict(segm, height, width)
    if isinstance(segm, list):
        return rle_from_polygons(segm, height, width)
    raise ValueError(
        "segmentation must be an RLE {'size': [h, w], 'counts': ...} or a list of polygons, got "
        f"{type(segm).__name__}"
    )


def union_area(rles: list[dict]) -> tuple[dict | None, int]:
    """Union of masks of one image and its area in pixels.

    Args:
        rles: Compressed RLEs of the same size (possibly empty).

    Returns:
        ``(union_rle, area)``; ``union_rle`` is None when ``rles`` is empty.

    """
    if not rles:
        return None, 0
    union = rles[0] if len(rles) == 1 else mask_utils.merge(rles, intersect=False)
    return union, int(mask_utils.area(union))
