"""Checks that an image file exists, decodes fully and is not truncated; its oriented size."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from .image_io import ImageReadError, oriented_size

# A complete JPEG ends with the EOI marker, a complete PNG with the IEND chunk (+ its CRC).
_JPEG_END = b"\xff\xd9"
_PNG_END = b"IEND\xaeB`\x82"


def resolve_inside(root: Path, file_name: str) -> Path | None:
    """Return ``root / file_name`` resolved, or None if it escapes ``root``.

    Absolute names and ``..`` components that lead outside the root both count as escaping.
    """
    if os.path.isabs(file_name):
        return None
    root = root.resolve()
    path = (root / file_name).resolve()
    try:
        path.relative_to(root)
    except ValueError:
        return None
    return path


def _is_truncated(path: Path, fmt: str | None) -> bool:
    """Tell whether a JPEG/PNG file lacks its end marker (other formats are not checked)."""
    if fmt not in ("JPEG", "PNG"):
        return False
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 64))
        tail = handle.read()
    if fmt == "PNG":
        return not tail.endswith(_PNG_END)
    # Some writers pad JPEGs after EOI; look for the marker near the end rather than at it.
    return _JPEG_END not in tail


def probe_image(path: Path) -> tuple[tuple[int, int] | None, str | None]:
    """Decode an image fully and return its size as the loaders see it (EXIF applied).

    Returns:
        ``((width, height), None)`` on success, or ``(None, problem)`` where problem is
        "missing image file", "unreadable image (...)" or "truncated image".

    """
    if not path.is_file():
        return None, "missing image file"
    try:
        with Image.open(path) as img:
            fmt = img.format
    except Exception:  # noqa: BLE001 - PIL raises many types for undecodable files
        return None, "unreadable image"
    if _is_truncated(path, fmt):
        return None, "truncated image"
    try:
        size = oriented_size(path)
    except ImageReadError as exc:
        return None, exc.problems[0][0]
    return size, None


def probe_images(paths: list[Path],
                 workers: int = 8) -> list[tuple[tuple[int, int] | None, str | None]]:
    """Run :func:`probe_image` over many files with a thread pool (I/O bound)."""
    if len(paths) < 64:
        return [probe_image(p) for p in paths]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(probe_image, paths, chunksize=64))
