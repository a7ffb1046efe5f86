"""Minimal image I/O in numpy + zlib (Blender's Python has no PIL or OpenCV).

Blender writes each render as an uncompressed RGBA TGA (fast to write and to parse); from it
we take the alpha for the mask and composite the colour over the background, then write the
final PNG here (zlib, no row filters, level chosen for speed). JPEGs go through Blender.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np

from synth.fsutil import atomic_write_bytes


def read_tga(path: str) -> np.ndarray:
    """Read an uncompressed 24/32-bit TGA (as Blender's TARGA_RAW writes it).

    Args:
        path: File path.

    Returns:
        (H, W, 4) uint8 RGBA, row 0 at the top (alpha 255 for 24-bit files).

    """
    data = np.fromfile(path, np.uint8)
    if data.size < 18 or data[2] != 2:
        raise ValueError(f"{path}: not an uncompressed true-colour TGA")
    id_len = int(data[0])
    w = int(data[12]) | int(data[13]) << 8
    h = int(data[14]) | int(data[15]) << 8
    bpp = int(data[16]) // 8
    start = 18 + id_len
    px = data[start:start + w * h * bpp].reshape(h, w, bpp)
    if not data[17] & 0x20:  # origin at the bottom
        px = px[::-1]
    out = np.empty((h, w, 4), np.uint8)
    out[..., :3] = px[..., 2::-1]
    out[..., 3] = px[..., 3] if bpp == 4 else 255
    return out


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def encode_png(rgb: np.ndarray, level: int = 1) -> bytes:
    """Encode an (H, W, 3) or (H, W) uint8 array as PNG bytes.

    Args:
        rgb: Image, row 0 at the top.
        level: zlib level 0-9 (1 is fast and still small on white backgrounds).

    Returns:
        PNG file contents.

    """
    img = np.ascontiguousarray(rgb, np.uint8)
    h, w = img.shape[:2]
    channels = 1 if img.ndim == 2 else img.shape[2]
    colour_type = {1: 0, 3: 2, 4: 6}[channels]
    raw = np.zeros((h, w * channels + 1), np.uint8)  # filter byte 0 (none) per row
    raw[:, 1:] = img.reshape(h, -1)
    header = struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + _chunk(b"IEND", b""))


def write_png(path: str, rgb: np.ndarray, level: int = 1) -> None:
    """Atomically write an image as PNG (see :func:`encode_png`)."""
    atomic_write_bytes(path, encode_png(rgb, level))


def read_png(path: str) -> np.ndarray:
    """Read an 8-bit PNG written by :func:`write_png` (no row filters, no interlace)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, idat, w, h, channels = 8, [], 0, 0, 3
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, _depth, colour_type = struct.unpack(">IIBB", payload[:10])
            channels = {0: 1, 2: 3, 6: 4}[colour_type]
        elif kind == b"IDAT":
            idat.append(payload)
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, -1)
    if raw[:, 0].any():
        raise ValueError(f"{path}: filtered PNG rows are not supported here")
    return raw[:, 1:].reshape(h, w, channels) if channels > 1 else raw[:, 1:]


def composite(rgba: np.ndarray, background: np.ndarray | None) -> np.ndarray:
    """Put a straight-alpha RGBA render over a background.

    Args:
        rgba: (H, W, 4) uint8 render.
        background: (H, W, 3) uint8 image, or None for white.

    Returns:
        (H, W, 3) uint8 image.

    """
    alpha = rgba[..., 3]
    if background is None:
        out = np.full(rgba.shape[:2] + (3,), 255, np.uint8)
    else:
        out = background.copy()
    rows = np.flatnonzero(alpha.any(axis=1))
    if rows.size == 0:
        return out
    cols = np.flatnonzero(alpha.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    a = alpha[box].astype(np.uint16)[..., None]  # 255 * 255 + 127 still fits in 16 bits
    fg = rgba[box][..., :3].astype(np.uint16)
    out[box] = ((fg * a + out[box].astype(np.uint16) * (255 - a) + 127) // 255).astype(np.uint8)
    return out


def remove_quietly(path: str) -> None:
    """Delete a file if it exists."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
