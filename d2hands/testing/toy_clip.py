"""A short generated clip with known masks: toy hands moving smoothly over a background.

Writes ``OUT/frames/*.png``, ``OUT/clip.mp4`` and ``OUT/annotations.json`` (COCO, image ids =
frame indices, as ``tools/visualize_video.py --save-predictions`` numbers them).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import cv2
import numpy as np

from ..data.annotations import hands_coco, mask_annotation
from ..io_utils import write_json_atomic
from ..video.writer import SafeVideoWriter
from .toy import draw_hand


def write_toy_clip(out_dir: str | Path, frames: int = 12, size: tuple[int, int] = (160, 120),
                   fps: float = 10.0, hands: int = 2, seed: int = 0) -> Path:
    """Render the clip; return the path of the mp4."""
    out_dir = Path(out_dir)
    (out_dir / "frames").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    width, height = size
    background = cv2.GaussianBlur(rng.integers(150, 256, (height, width, 3), dtype=np.uint8),
                                  (0, 0), 4)
    starts = [(width * (0.25 + 0.5 * k), height * 0.55) for k in range(hands)]
    images, annotations = [], []
    with SafeVideoWriter(out_dir / "clip.mp4", fps, size) as writer:
        for index in range(frames):
            frame = background.copy()
            phase = 2 * math.pi * index / max(frames, 1)
            for k, (x0, y0) in enumerate(starts):
                mask = np.zeros((height, width), np.uint8)
                center = (x0 + 0.08 * width * math.sin(phase + k), y0 + 0.05 * height * math.cos(
                    phase))
                draw_hand(mask, center, 0.16 * min(width, height), 0.3 * math.sin(phase + k), 0.3)
                frame[mask.astype(bool)] = (120, 160, 210)
                annotations.append(mask_annotation(mask, len(annotations) + 1, index))
            name = f"frame_{index:05d}.png"
            cv2.imwrite(str(out_dir / "frames" / name), frame)
            images.append({"id": index, "file_name": name, "width": width, "height": height})
            writer.write(frame)
    write_json_atomic(out_dir / "annotations.json", hands_coco(images, annotations))
    return out_dir / "clip.mp4"


def main() -> None:
    """Command line: ``python -m d2hands.testing.toy_clip OUT [--frames N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--size", default="160x120")
    parser.add_argument("--fps", type=float, default=10.0)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    print(write_toy_clip(args.out_dir, args.frames, (width, height), args.fps))


if __name__ == "__main__":
    main()
