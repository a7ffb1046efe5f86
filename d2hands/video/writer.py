"""An MP4 writer that never leaves a half-written file under the final name."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import HandsError, UsageError

# H.264 where the OpenCV build has an encoder for it, else MPEG-4 Part 2.
FOURCCS = ("avc1", "mp4v")


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
        self.writer, self.fourcc = None, None
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
