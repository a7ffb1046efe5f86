"""Licence-clean background photos from the package registries (the scikit-image wheel)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np

from ...errors import UsageError
from ...io_utils import write_bytes_atomic

# file in skimage/data -> licence as scikit-image's data documentation states it
IMAGES = {
    "coffee.png": "CC0, photograph by Rachel Michetti",
    "chelsea.png": "CC0, photograph by Stefan van der Walt",
    "rocket.jpg": "public domain, released by SpaceX",
    "brick.png": "CC0, CC0Textures (Bricks25)",
    "grass.png": "CC0, CC0Textures",
    "gravel.png": "CC0, CC0Textures (Gravel04)",
}


def download_wheel(folder: Path) -> Path:
    """``pip download`` the scikit-image wheel into ``folder`` and return its path."""
    result = subprocess.run([sys.executable, "-m", "pip", "download", "scikit-image",
                             "--no-deps", "--only-binary", ":all:", "-q", "-d", str(folder)],
                            capture_output=True, text=True)
    wheels = sorted(folder.glob("scikit_image-*.whl"))
    if result.returncode or not wheels:
        raise OSError("pip could not download the scikit-image wheel: "
                      + (result.stderr.strip().splitlines() or ["no wheel"])[-1])
    return wheels[-1]


def _without_colour_profile(data: bytes, name: str) -> bytes:
    """Re-encode an image so that libpng does not warn about its colour profile on every read."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:  # not an image we can decode: keep the bytes as they are
        return data
    ok, encoded = cv2.imencode(Path(name).suffix, image)
    return encoded.tobytes() if ok else data


def extract(wheel: Path, out: Path) -> list[Path]:
    """Copy the listed images out of ``wheel`` into ``out``; write ``LICENSES.md``."""
    if not zipfile.is_zipfile(wheel):
        raise UsageError(f"{wheel} is not a wheel (zip) file")
    written = []
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        missing = [n for n in IMAGES if f"skimage/data/{n}" not in names]
        if missing:
            raise UsageError(f"{wheel.name} lacks skimage/data/{', '.join(missing)}")
        out.mkdir(parents=True, exist_ok=True)
        for name in IMAGES:
            path = out / name
            write_bytes_atomic(path, _without_colour_profile(archive.read(f"skimage/data/{name}"),
                                                             name))
            written.append(path)
    lines = ["# Background images", "", f"Copied from `{wheel.name}` (PyPI), `skimage/data/`.",
             "", "| file | licence |", "| --- | --- |"]
    lines += [f"| {name} | {licence} |" for name, licence in IMAGES.items()]
    write_bytes_atomic(out / "LICENSES.md", ("\n".join(lines) + "\n").encode())
    return written
