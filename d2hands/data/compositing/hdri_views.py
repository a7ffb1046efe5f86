"""Real-world background photos from the CC0 HDRIs that ship inside Blender (the bpy wheel).

Blender bundles eight 360-degree photographs (Poly Haven, CC0) for its viewport lighting:
a city roof, a courtyard, a garden, a hotel room, a golf course at night, a small studio, a
sunrise and a sunset. Each is an equirectangular HDR image. Views of them, cut as a pinhole
camera would see them (random direction, field of view and exposure), are real scenes that the
project may ship a model trained on; scikit-image's photos are kept for the held-out ``multi``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import cv2
import numpy as np

from ...errors import UsageError
from ...io_utils import write_bytes_atomic

# file -> the Poly Haven original, as Blender's studiolights/world/license.txt names it
HDRIS = {
    "city.exr": "portland_landing_pad", "courtyard.exr": "courtyard",
    "forest.exr": "ninomaru_teien", "interior.exr": "hotel_room",
    "night.exr": "moonless_golf", "studio.exr": "studio_small_01",
    "sunrise.exr": "spruit_sunrise", "sunset.exr": "venice_sunset",
}
PITCH = (-60.0, 15.0)  # degrees: mostly level or looking down, as people photograph hands
FOV = (55.0, 95.0)  # horizontal field of view, degrees
KEY = (0.12, 0.3)  # Reinhard's key: the grey that the scene's log-average luminance maps to
VIEW_SIZE = (320, 240)  # width, height: about the HDRIs' own detail (1024 px for 360 degrees)


def blender_hdri_dir() -> Path:
    """The folder of Blender's bundled HDRIs in the installed ``bpy`` (not imported).

    Raises:
        UsageError: If ``bpy`` is not installed or holds no ``studiolights/world`` folder.

    """
    spec = importlib.util.find_spec("bpy")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        for folder in sorted(Path(root).glob("*/datafiles/studiolights/world")):
            if all((folder / name).is_file() for name in HDRIS):
                return folder
    raise UsageError("Blender's HDRIs were not found: install bpy (make setup) or pass "
                     "--hdri-dir with the studiolights/world folder of a Blender install")


def read_exr(path: Path) -> np.ndarray:
    """An OpenEXR file as a float32 BGR array.

    Raises:
        UsageError: If OpenCV cannot read it (not an EXR, or OpenEXR disabled in this process
            before the first read).

    """
    os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")  # read once, at the first EXR
    try:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        image = None
    if image is None or image.ndim != 3 or image.shape[2] < 3:
        raise UsageError(f"cannot read {path} as a colour OpenEXR image")
    return np.nan_to_num(image[..., :3].astype(np.float32), nan=0.0, posinf=0.0).clip(0, None)


def tone_map(hdr: np.ndarray, key: float) -> np.ndarray:
    """Reinhard et al. (2002)'s global operator, then sRGB-like gamma: uint8 BGR."""
    lum = hdr @ np.array([0.0722, 0.7152, 0.2126], np.float32)  # BGR weights
    log_average = float(np.exp(np.mean(np.log(lum + 1e-4))))
    scaled = lum * (key / log_average)
    white = max(float(np.percentile(scaled, 99.5)), 1e-3)
    mapped = scaled * (1 + scaled / white ** 2) / (1 + scaled)
    ratio = np.where(lum > 1e-6, mapped / np.maximum(lum, 1e-6), 0.0)[..., None]
    return (np.clip(hdr * ratio, 0, 1) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)


def perspective_view(panorama: np.ndarray, yaw: float, pitch: float, fov: float,
                     width: int, height: int) -> np.ndarray:
    """What a pinhole camera sees of an equirectangular panorama.

    Args:
        panorama: H x 2H image, longitude along x (0-360 degrees), latitude along y.
        yaw: Camera heading, degrees.
        pitch: Camera tilt, degrees (positive: up).
        fov: Horizontal field of view, degrees.
        width: Output width, pixels.
        height: Output height, pixels.

    """
    focal = 0.5 * width / np.tan(np.radians(fov) / 2)
    xs, ys = np.meshgrid(np.arange(width) - (width - 1) / 2,
                         (height - 1) / 2 - np.arange(height))
    rays = np.stack([xs, ys, np.full_like(xs, focal)], -1)  # x right, y up, z forward
    p, t = np.radians(pitch), np.radians(yaw)
    tilt = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    turn = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])
    rays = rays @ (turn @ tilt).T
    lon = np.arctan2(rays[..., 0], rays[..., 2])
    lat = np.arctan2(rays[..., 1], np.hypot(rays[..., 0], rays[..., 2]))
    h, w = panorama.shape[:2]
    map_x = ((lon / (2 * np.pi) + 0.5) * w - 0.5).astype(np.float32)
    map_y = ((0.5 - lat / np.pi) * h - 0.5).astype(np.float32)
    return cv2.remap(panorama, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)


def write_views(source: Path, out: Path, views: int, seed: int = 0) -> list[Path]:
    """Write ``views`` random views of each bundled HDRI as PNGs, and ``LICENSES.md``.

    Args:
        source: The folder holding the HDRIs (:func:`blender_hdri_dir`).
        out: The folder to write (created; files there of the same names are replaced).
        views: Views per HDRI.
        seed: Seed of the directions, fields of view and exposures.

    Returns:
        The PNG files written.

    """
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in HDRIS:
        hdr = read_exr(source / name)
        for i in range(views):
            yaw, pitch = rng.uniform(0, 360), rng.uniform(*PITCH)
            fov, key = rng.uniform(*FOV), rng.uniform(*KEY)
            view = tone_map(perspective_view(hdr, yaw, pitch, fov, *VIEW_SIZE), key)
            ok, encoded = cv2.imencode(".png", view)
            if not ok:
                raise OSError(f"could not encode a view of {name}")
            path = out / f"{Path(name).stem}_{i:03d}.png"
            write_bytes_atomic(path, encoded.tobytes())
            written.append(path)
    lines = ["# Background images", "",
             f"Views of the HDRIs bundled with Blender (`{source}`), cut by d2hands "
             f"(`tools/fetch_backgrounds.py --source blender-hdri`, {views} per HDRI, seed "
             f"{seed}). All are CC0, by Greg Zaal (Poly Haven).", "",
             "| files | Poly Haven original | licence |", "| --- | --- | --- |"]
    lines += [f"| {Path(name).stem}_*.png | https://polyhaven.com/a/{original} | CC0 |"
              for name, original in HDRIS.items()]
    write_bytes_atomic(out / "LICENSES.md", ("\n".join(lines) + "\n").encode())
    return written
