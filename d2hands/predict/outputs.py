"""What ``tools/predict.py`` writes per image, and the COCO results of all of them."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from detectron2.data import MetadataCatalog

from ..io_utils import write_bytes_atomic
from ..runtime.hands import Hands
from ..video.drawing import HandsVideoVisualizer
from ..video.writer import SafeVideoWriter

RESULTS_FILE = "predictions.json"
KINDS = ("overlay", "instances", "mask")


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise OSError("OpenCV could not encode a PNG")
    return data.tobytes()


class PredictionWriter:
    """Writes each image's overlay, instance-id PNG and mask PNG, a video, and the results.

    Per image: ``NAME_overlay.jpg``, ``NAME_instances.png``, ``NAME_mask.png``; an annotated
    video (optional); on :meth:`close`, ``predictions.json``.
    ``NAME_instances.png`` holds 0 for background and ``k`` for the ``k``-th hand by score
    (8-bit up to 255 hands, 16-bit beyond); ``NAME_mask.png`` is 255 where any hand is.
    ``predictions.json`` is a COCO results list (``image_id`` counts images from 1; each entry
    also names its ``file_name``).
    """

    def __init__(self, out_dir: Path | None, video_output: Path | None = None,
                 fps: float = 30.0, kinds: tuple[str, ...] = KINDS):
        self.out_dir, self.kinds = out_dir, kinds
        self.video_output, self.fps = video_output, fps
        self.video: SafeVideoWriter | None = None
        self.results: list[dict] = []
        self.count = 0
        metadata = MetadataCatalog.get("d2hands_predict").set(thing_classes=["hand"])
        self.visualizer = HandsVideoVisualizer(metadata)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, image: np.ndarray, hands: Hands) -> None:
        """Write one image's outputs (and its video frame)."""
        self.count += 1
        overlay = self.visualizer.draw(image, hands.to_instances(), bgr=True)
        if self.out_dir is not None:
            if "overlay" in self.kinds:
                ok, jpg = cv2.imencode(".jpg", overlay, [cv2.IMWRITE_JPEG_QUALITY, 92])
                write_bytes_atomic(self.out_dir / f"{name}_overlay.jpg", jpg.tobytes())
            if "instances" in self.kinds:
                ids = hands.instance_map()
                ids = ids.astype(np.uint8) if len(hands) <= 255 else ids
                write_bytes_atomic(self.out_dir / f"{name}_instances.png", _png(ids))
            if "mask" in self.kinds:
                mask = hands.union().astype(np.uint8) * 255
                write_bytes_atomic(self.out_dir / f"{name}_mask.png", _png(mask))
            for result in hands.to_coco(self.count):
                result["file_name"] = name
                self.results.append(result)
        if self.video_output is not None:
            if self.video is None:
                height, width = image.shape[:2]
                self.video = SafeVideoWriter(self.video_output, self.fps, (width, height))
            if overlay.shape[:2] != (self.video.size[1], self.video.size[0]):
                overlay = cv2.resize(overlay, self.video.size, interpolation=cv2.INTER_AREA)
            self.video.write(overlay)

    def close(self) -> None:
        """Write ``predictions.json`` and finish the video (checked, then moved into place)."""
        if self.out_dir is not None:
            write_bytes_atomic(self.out_dir / RESULTS_FILE,
                               json.dumps(self.results).encode("utf-8"))
        if self.video is not None:
            self.video.close()

    def abort(self) -> None:
        """Drop a half-written video (the per-image files already written stay)."""
        if self.video is not None:
            self.video.abort()
