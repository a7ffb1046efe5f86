"""Parsers and checks of single ``render_poses.py`` values: numbers, ranges, folders.

No bpy here; every failure is an ``OptionError`` whose message the command line shows as
``error: <message>``.
"""

from __future__ import annotations

import math
import os

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tga", ".tif", ".tiff")


class OptionError(ValueError):
    """A bad command-line value; the message is shown as ``error: <message>``."""


def number(text: str, name: str, kind=float, low=None, high=None):
    """``text`` as a finite ``kind`` (int or float) within [low, high] (None: unbounded)."""
    try:
        value = kind(text)
    except ValueError:
        raise OptionError(f"{name} must be a {kind.__name__}, got {text!r}") from None
    if not math.isfinite(value):
        raise OptionError(f"{name} must be a finite number, got {text}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise OptionError(f"{name} must be in [{low}, {high}], got {text}")
    return value


def value_range(text: str, name: str, low: float, high: float) -> tuple:
    """``V`` or ``LO,HI`` as the pair (LO, HI) within [low, high]; ``V`` gives (V, V)."""
    parts = text.split(",")
    if len(parts) not in (1, 2):
        raise OptionError(f"{name} takes V or LO,HI, got {text!r}")
    values = [number(p, name, float, low, high) for p in parts]
    if len(values) == 1:
        values *= 2
    if values[0] > values[1]:
        raise OptionError(f"{name}: LO must not exceed HI, got {text!r}")
    return tuple(values)


def hand_size(text: str | None) -> tuple:
    """``--hand-size`` as (LO, HI) within (0, 1], or () where it was not given."""
    if text is None:
        return ()
    low, high = value_range(text, "--hand-size", -float("inf"), float("inf"))
    if not 0 < low <= high <= 1:
        raise OptionError(f"--hand-size must lie in (0, 1], got {text!r}")
    return low, high


def fraction(text: str, name: str) -> tuple:
    """``K/N`` (this shard or worker of N) as (K, N), 0 <= K < N."""
    try:
        k, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise OptionError(f"{name} must look like K/N, got {text!r}") from None
    if n < 1 or not 0 <= k < n:
        raise OptionError(f"{name} needs N >= 1 and 0 <= K < N, got {text!r}")
    return k, n


def resolution(text: str) -> tuple:
    """``WxH`` as (W, H), each side 16-8192 pixels."""
    try:
        w, h = (int(p) for p in text.lower().split("x"))
    except ValueError:
        raise OptionError(f"--resolution must look like 1280x720, got {text!r}") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise OptionError(f"--resolution sides must be in [16, 8192], got {text!r}")
    return w, h


def check_background(value: str) -> str:
    """``white``, ``procedural``, or a folder holding readable images (made absolute)."""
    if value in ("white", "procedural"):
        return value
    if not os.path.isdir(value):
        raise OptionError(f"--background must be white, procedural or a folder, got {value!r}")
    if not background_files(value):
        raise OptionError(f"--background folder {value!r} holds no images "
                          f"({', '.join(IMAGE_EXTENSIONS)}) that can be read")
    return os.path.abspath(value)


# First bytes of each format (TGA has no signature: any non-empty file passes).
_SIGNATURES = {".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",),
               ".jpeg": (b"\xff\xd8\xff",), ".bmp": (b"BM",),
               ".tif": (b"II*\x00", b"MM\x00*"), ".tiff": (b"II*\x00", b"MM\x00*"),
               ".tga": (b"",)}


def _looks_like_image(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    signatures = _SIGNATURES[os.path.splitext(path)[1].lower()]
    return len(head) > 0 and any(head.startswith(sig) for sig in signatures)


def background_files(folder: str) -> list[str]:
    """Sorted image files directly inside ``folder`` whose first bytes are those of an image."""
    return sorted(p for p in (os.path.join(folder, f) for f in os.listdir(folder)
                              if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith("."))
                  if _looks_like_image(p))


def check_writable(out: str) -> None:
    """Create ``out`` if needed and prove it is writable; raise OptionError otherwise."""
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, f".write-test-{os.getpid()}")
        with open(probe, "wb") as f:
            f.write(b"ok")
        os.remove(probe)
    except OSError as exc:
        raise OptionError(f"cannot write to --output-dir {out!r}: {exc.strerror or exc}") from None
