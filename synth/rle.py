"""COCO run-length encoding of binary masks in numpy (no pycocotools inside Blender).

COCO RLE runs over the mask in column-major order and starts with a run of zeros; the
compressed form packs the counts (each after the first two as a difference to the count two
places back) into 5-bit groups of printable characters, as pycocotools' ``rleToString`` does.
"""

from __future__ import annotations

import numpy as np


def rle_counts(mask: np.ndarray) -> list[int]:
    """Run lengths of a binary mask in COCO order.

    Args:
        mask: (H, W) array; nonzero means foreground.

    Returns:
        Alternating run lengths (background first; the first may be 0), summing to H * W.

    """
    flat = np.asarray(mask).astype(bool).ravel(order="F")
    if flat.size == 0:
        return []
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    edges = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(edges).tolist()
    if flat[0]:
        counts.insert(0, 0)
    return counts


def compress_counts(counts: list[int]) -> str:
    """Pack run lengths into COCO's compressed RLE string.

    Args:
        counts: Output of :func:`rle_counts`.

    Returns:
        The ASCII string pycocotools uses for ``counts``.

    """
    out = []
    for i, value in enumerate(counts):
        x = int(value) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def encode(mask: np.ndarray, compressed: bool = True) -> dict:
    """COCO RLE of a mask.

    Args:
        mask: (H, W) binary mask.
        compressed: Return string counts (pycocotools' format) instead of a list.

    Returns:
        ``{"size": [H, W], "counts": str | list[int]}``.

    """
    counts = rle_counts(mask)
    h, w = np.asarray(mask).shape
    return {"size": [int(h), int(w)], "counts": compress_counts(counts) if compressed else counts}


def mask_bbox(mask: np.ndarray) -> list[float]:
    """Tight box ``[x, y, w, h]`` (pixels, floats) of the foreground; zeros if empty."""
    mask = np.asarray(mask).astype(bool)
    cols = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    if cols.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(cols[0]), float(rows[0]), float(cols[-1] - cols[0] + 1),
            float(rows[-1] - rows[0] + 1)]


def mask_area(mask: np.ndarray) -> int:
    """Return the number of foreground pixels."""
    return int(np.count_nonzero(mask))


def decompress_counts(text: str) -> list[int]:
    """Inverse of :func:`compress_counts`."""
    counts, pos = [], 0
    while pos < len(text):
        x, k, more = 0, 0, True
        while more:
            c = ord(text[pos]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            pos += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def decode(rle: dict) -> np.ndarray:
    """Binary (H, W) mask of a COCO RLE with list or string counts."""
    h, w = rle["size"]
    counts = rle["counts"]
    if isinstance(counts, str):
        counts = decompress_counts(counts)
    values = np.zeros(len(counts), np.uint8)
    values[1::2] = 1
    flat = np.repeat(values, counts)
    return flat.reshape(w, h).T.astype(bool)
