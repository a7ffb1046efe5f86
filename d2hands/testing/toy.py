"""A tiny generated COCO hand set (2D hand-like shapes drawn with OpenCV) for tests and demos.

Not a substitute for the Blender renders of ``synth/``: it exists so that training, evaluation and
the dataset layer can be exercised in seconds, with exact masks, on any machine.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import cv2
import numpy as np

from ..data.annotations import hands_coco, mask_annotation
from ..io_utils import write_json_atomic


def draw_hand(mask: np.ndarray, center: tuple[float, float], scale: float, angle: float,
              spread: float) -> None:
    """Draw a palm ellipse with five finger strokes into ``mask`` (uint8, set to 1)."""
    cx, cy = center
    palm = (int(0.45 * scale), int(0.55 * scale))
    cv2.ellipse(mask, (int(cx), int(cy)), palm, math.degrees(angle), 0, 360, 1, -1)
    for finger in range(5):
        theta = angle - math.pi / 2 + (finger - 2) * spread
        length = scale * (0.55 if finger == 0 else 0.8 + 0.1 * (finger == 2))
        base = (cx + 0.4 * scale * math.cos(theta), cy + 0.4 * scale * math.sin(theta))
        tip = (base[0] + length * math.cos(theta), base[1] + length * math.sin(theta))
        width = max(2, int(0.16 * scale))
        cv2.line(mask, (int(base[0]), int(base[1])), (int(tip[0]), int(tip[1])), 1, width)


def make_image(rng: np.random.Generator, width: int, height: int, hands: int,
               background: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return a BGR image and one binary mask per non-overlapping hand."""
    if background == "white":
        image = np.full((height, width, 3), 255, np.uint8)
    else:
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        image = cv2.GaussianBlur(image, (0, 0), 3)
    occupied = np.zeros((height, width), np.uint8)
    masks = []
    for _ in range(hands * 10):
        if len(masks) == hands:
            break
        scale = rng.uniform(0.12, 0.22) * min(width, height)
        mask = np.zeros((height, width), np.uint8)
        center = (rng.uniform(scale, width - scale), rng.uniform(scale * 1.2, height - scale))
        draw_hand(mask, center, scale, rng.uniform(-0.6, 0.6), rng.uniform(0.2, 0.4))
        if (mask & occupied).any() or mask.sum() == 0:
            continue
        occupied |= mask
        masks.append(mask)
    for mask in masks:
        skin = np.array([rng.uniform(80, 170), rng.uniform(120, 190), rng.uniform(170, 240)])
        image[mask.astype(bool)] = skin.astype(np.uint8)
    return image, masks


def write_toy_coco(out_dir: str | Path, num_images: int = 16, size: tuple[int, int] = (128, 96),
                   max_hands: int = 2, background: str = "white", seed: int = 0,
                   prefix: str = "toy") -> Path:
    """Write ``out_dir/images/*.png`` and ``out_dir/annotations.json`` (RLE masks).

    Args:
        out_dir: output folder (created).
        num_images: number of images.
        size: ``(width, height)``.
        max_hands: each image gets 1..max_hands hands.
        background: ``white`` (the paper's look) or ``noise``.
        seed: random seed; the same seed writes the same files.
        prefix: file name prefix, so several sets can be told apart.

    Returns:
        Path of the annotations file.

    """
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images, annotations = [], []
    for index in range(num_images):
        image, masks = make_image(rng, size[0], size[1], int(rng.integers(1, max_hands + 1)),
                                  background)
        file_name = f"{prefix}_{index:05d}.png"
        cv2.imwrite(str(out_dir / "images" / file_name), image)
        images.append({"id": index + 1, "file_name": file_name, "width": size[0],
                       "height": size[1]})
        for mask in masks:
            annotations.append(mask_annotation(mask, len(annotations) + 1, index + 1))
    coco = hands_coco(images, annotations)
    json_path = out_dir / "annotations.json"
    write_json_atomic(json_path, coco)
    return json_path


def main() -> None:
    """Command line: ``python -m d2hands.testing.toy OUT [--num-images N] ...``."""
    parser = argparse.ArgumentParser(description="Write a tiny generated COCO hand set.")
    parser.add_argument("out_dir")
    parser.add_argument("--num-images", type=int, default=16)
    parser.add_argument("--size", default="128x96", help="WIDTHxHEIGHT")
    parser.add_argument("--max-hands", type=int, default=2)
    parser.add_argument("--background", choices=["white", "noise"], default="white")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefix", default="toy")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    path = write_toy_coco(args.out_dir, args.num_images, (width, height), args.max_hands,
                          args.background, args.seed, args.prefix)
    print(path)


if __name__ == "__main__":
    main()
