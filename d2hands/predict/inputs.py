"""What ``tools/predict.py`` reads: an image, a folder, a glob, a video file or a webcam.

Images are read one at a time as they are predicted (any mix of sizes), so a folder of
thousands of photos or a long video keeps memory flat.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..data.image_io import read_image
from ..data.mask_folders import IMAGE_SUFFIXES
from ..errors import UsageError


@dataclass
class PredictInput:
    """A source of named BGR images.

    Attributes:
        description: What it is, for messages.
        images: Image files (folders, globs, one image).
        video: A video file or a webcam index.
        fps: The video's frame rate (images: 30).
        count: Number of images or frames, where known.

    """

    description: str
    images: list[Path] = field(default_factory=list)
    video: str | int | None = None
    fps: float = 30.0
    count: int | None = None

    def frames(self, max_frames: int | None = None) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(name, BGR image)``; names are unique and safe as file names."""
        if self.video is None:
            for name, path in zip(_unique_names(self.images), self.images[:max_frames],
                                  strict=False):
                yield name, read_image(path, "BGR")
            return
        capture = cv2.VideoCapture(self.video)
        try:
            index = 0
            while max_frames is None or index < max_frames:
                ok, frame = capture.read()
                if not ok:
                    break
                yield f"frame_{index:06d}", frame
                index += 1
        finally:
            capture.release()


def _unique_names(paths: list[Path]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for path in paths:
        stem = path.stem
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if seen[stem] == 1 else f"{stem}_{seen[stem]}")
    return names


def _video(spec: str | int, description: str) -> PredictInput:
    previous = cv2.getLogLevel()
    cv2.setLogLevel(0)  # a missing camera is our one error line, not OpenCV's warnings
    try:
        capture = cv2.VideoCapture(spec)
    finally:
        cv2.setLogLevel(previous)
    try:
        if not capture.isOpened():
            raise UsageError(f"cannot open {description}")
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    finally:
        capture.release()
    return PredictInput(description, video=spec, fps=float(fps) if fps > 0 else 30.0,
                        count=count if isinstance(spec, str) else None)


def open_input(spec: str) -> PredictInput:
    """An image, a folder of images, a glob pattern, a video file or a webcam index (``0``).

    Raises:
        UsageError: If nothing is there, a folder or pattern holds no image, or a video or
            camera cannot be opened.

    """
    path = Path(spec)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise UsageError(f"folder {path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return PredictInput(f"folder {path}", images, count=len(images))
    if path.is_file():
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return PredictInput(f"image {path}", [path], count=1)
        return _video(str(path), f"video {path}")
    if spec.isdigit():
        return _video(int(spec), f"webcam {spec}")
    if any(ch in spec for ch in "*?["):
        images = sorted(Path(p) for p in glob.glob(spec, recursive=True)
                        if Path(p).suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise UsageError(f"pattern {spec!r} matches no images")
        return PredictInput(f"pattern {spec!r}", images, count=len(images))
    raise UsageError(f"--input {spec} does not exist (an image, folder, glob, video or webcam "
                     "index)")
