"""Frame sources: a video file OpenCV can read, a folder of images, or a glob pattern."""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..data.image_checks import probe_image
from ..data.image_io import ImageReadError, read_image
from ..data.mask_folders import IMAGE_SUFFIXES
from ..errors import UsageError


@dataclass
class FrameSource:
    """Where frames come from, with their rate, size and count (known before reading)."""

    name: str
    fps: float
    width: int
    height: int
    count: int
    video: str | None = None
    images: list[Path] = field(default_factory=list)

    def frames(self, every: int = 1,
               max_frames: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(index, BGR image)`` for every ``every``-th frame, at most ``max_frames``."""
        produced = 0
        if self.video is not None:
            capture = cv2.VideoCapture(self.video)
            index = 0
            try:
                while max_frames is None or produced < max_frames:
                    ok, frame = capture.read()
                    if not ok:
                        break
                    if index % every == 0:
                        produced += 1
                        yield index, frame
                    index += 1
            finally:
                capture.release()
            return
        for index, path in enumerate(self.images):
            if max_frames is not None and produced >= max_frames:
                break
            if index % every:
                continue
            try:
                frame = read_image(path, "BGR")
            except ImageReadError as exc:
                raise UsageError(f"cannot read image {path}: {exc}") from None
            produced += 1
            yield index, frame


def _open_video(path: Path) -> FrameSource:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise UsageError(f"cannot read video {path}: OpenCV cannot open it")
        ok, frame = capture.read()
        if not ok or frame is None:
            raise UsageError(f"video {path} has no readable frames")
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    height, width = frame.shape[:2]
    return FrameSource(str(path), float(fps), width, height, max(count, 1), video=str(path))


def _image_list(paths: list[Path], name: str, fps: float) -> FrameSource:
    if not paths:
        raise UsageError(f"{name} contains no images ({', '.join(IMAGE_SUFFIXES)})")
    sizes = {}
    for path in paths:
        size, problem = probe_image(path)
        if problem:
            raise UsageError(f"{problem}: {path}")
        sizes.setdefault(size, path)
    if len(sizes) > 1:
        (a, pa), (b, pb) = list(sizes.items())[:2]
        raise UsageError(f"images of different sizes in {name}: {pa.name} is {a[0]}x{a[1]}, "
                         f"{pb.name} is {b[0]}x{b[1]}; a video needs one frame size")
    width, height = next(iter(sizes))
    return FrameSource(name, fps, width, height, len(paths), images=paths)


def open_source(spec: str, fps: float = 30.0) -> FrameSource:
    """Open a video file, a folder of images (sorted by name) or a glob pattern.

    Args:
        spec: the input path or pattern.
        fps: frame rate given to image sequences (videos keep their own).

    Raises:
        UsageError: unreadable or empty video, a folder without images, images of different
            sizes, or nothing matching.
    """
    path = Path(spec)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        return _image_list(images, f"folder {path}", fps)
    if path.is_file():
        return _open_video(path)
    if any(ch in spec for ch in "*?["):
        images = sorted(Path(p) for p in glob.glob(spec) if Path(p).suffix.lower()
                        in IMAGE_SUFFIXES)
        return _image_list(images, f"pattern {spec!r}", fps)
    raise UsageError(f"input {spec} does not exist")
