"""An MP4 writer that never leaves a half-written file under the final name.

Videos are H.264 (what browsers and chat apps play) through PyAV's FFmpeg, whose wheels bundle
libx264; where PyAV or the encoder is missing, or a side is odd (4:2:0 needs even sides), the
writer falls back to OpenCV's encoders (H.264 where its build has one, else MPEG-4 Part 2).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..errors import HandsError, UsageError

# OpenCV's fallback: H.264 where the build has an encoder for it, else MPEG-4 Part 2.
FOURCCS = ("avc1", "mp4v")


class _PyAVH264:
    """libx264 through PyAV, with OpenCV's ``VideoWriter`` interface (write, release)."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]):
        import av

        self.container = av.open(str(path), "w")
        try:
            self.stream = self.container.add_stream(
                "libx264", rate=Fraction(fps).limit_denominator(1001),
                options={"crf": "23", "preset": "veryfast"})
            self.stream.width, self.stream.height = size
            self.stream.pix_fmt = "yuv420p"
        except Exception:
            self.container.close()
            raise
        self._frame = av.VideoFrame

    def write(self, frame: np.ndarray) -> None:
        for packet in self.stream.encode(self._frame.from_ndarray(frame, format="bgr24")):
            self.container.mux(packet)

    def release(self) -> None:
        if self.container is None:
            return
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
        finally:
            self.container.close()
            self.container = None


def _h264_writer(path: Path, fps: float, size: tuple[int, int]):
    """A PyAV H.264 writer, or None where PyAV, libx264 or even sides are missing."""
    if size[0] % 2 or size[1] % 2:
        return None
    try:
        return _PyAVH264(path, fps, size)
    except Exception:  # noqa: BLE001 - no PyAV, no libx264: OpenCV's encoders take over
        path.unlink(missing_ok=True)
        return None


class SafeVideoWriter:
    """Writes frames to ``.NAME.partial.mp4`` and renames it to ``NAME`` once checked.

    Use as a context manager; on an exception the partial file is removed.
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]):
        self.path = Path(path)
        if not self.path.parent.exists():
            raise UsageError(f"cannot write {self.path}: folder {self.path.parent} does not exist")
        if not os.access(self.path.parent, os.W_OK):
            raise UsageError(f"cannot write {self.path}: folder is not writable")
        self.partial = self.path.with_name(f".{self.path.stem}.partial{self.path.suffix or '.mp4'}")
        self.fps, self.size, self.frames = fps, size, 0
        self.writer, self.fourcc = _h264_writer(self.partial, fps, size), "h264"
        if self.writer is None:
            self._open_opencv(fps, size)

    def _open_opencv(self, fps: float, size: tuple[int, int]) -> None:
        self.fourcc = None
        previous = cv2.getLogLevel()
        cv2.setLogLevel(0)  # silent: a missing H.264 encoder is expected, not an error
        try:
            for fourcc in FOURCCS:
                writer = cv2.VideoWriter(str(self.partial), cv2.VideoWriter_fourcc(*fourcc), fps,
                                         size)
                if writer.isOpened():
                    self.writer, self.fourcc = writer, fourcc
                    break
                writer.release()
        finally:
            cv2.setLogLevel(previous)
        if self.writer is None:
            self.partial.unlink(missing_ok=True)
            raise UsageError(f"this OpenCV build has no MP4 encoder (tried {', '.join(FOURCCS)})")

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR frame of the writer's size."""
        if (frame.shape[1], frame.shape[0]) != self.size:
            raise HandsError(f"frame is {frame.shape[1]}x{frame.shape[0]}, video is "
                             f"{self.size[0]}x{self.size[1]}")
        self.writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        """Finish the file, check it reads back with every frame, then move it into place."""
        self.writer.release()
        capture = cv2.VideoCapture(str(self.partial))
        readable = 0
        while capture.grab():  # decodes without converting to BGR
            readable += 1
        capture.release()
        if readable != self.frames:
            self.partial.unlink(missing_ok=True)
            raise UsageError(f"the encoded video reads back {readable} of {self.frames} frames; "
                             "nothing was written")
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        """Drop the partial file."""
        self.writer.release()
        self.partial.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False
