"""Real photos with semantic hand-mask PNGs -> COCO instances (connected components)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from .annotations import hands_coco, mask_annotation
from .errors import ProblemList
from .image_checks import probe_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def read_binary_mask(path: Path) -> np.ndarray:
    """Read a mask PNG of any mode (1-bit, L, RGB, 0/1 or 0/255) as a 0/1 uint8 array.

    Pixels are scaled to [0, 1] by the mode's maximum and thresholded at one half, so
    anti-aliased edges split evenly; a 0/1 mask (maximum 1) is taken as it is.
    """
    with Image.open(path) as img:
        if img.mode == "1":
            return np.asarray(img, dtype=np.uint8)
        if img.mode in ("RGBA", "LA", "PA"):
            img = img.convert("RGBA").convert("RGB")
        gray = np.asarray(img.convert("L") if img.mode != "I;16" else img, dtype=np.float32)
    peak = 1.0 if gray.max() <= 1 else (65535.0 if gray.max() > 255 else 255.0)
    return (gray / peak >= 0.5).astype(np.uint8)


def read_boxes(path: Path) -> list[tuple[float, float, float, float]]:
    """Read ``x y w h`` lines (blank lines and ``#`` comments skipped)."""
    boxes = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 4:
            raise ValueError(f"{path}:{number}: expected 'x y w h', got {line!r}")
        boxes.append(tuple(float(p) for p in parts))
    return boxes


Box = tuple[float, float, float, float]


def split_instances(mask: np.ndarray, min_area: int,
                    boxes: list[Box] | None = None) -> list[np.ndarray]:
    """Split a semantic mask into instance masks.

    Without boxes, each 8-connected component of at least ``min_area`` pixels is a hand. With
    boxes, each box's hand is the mask inside that box (boxes split touching hands; a pixel in
    several boxes goes to the box whose centre is nearest).
    """
    if not boxes:
        count, labels = cv2.connectedComponents(mask, connectivity=8)
        parts = [(labels == k).astype(np.uint8) for k in range(1, count)]
        return [p for p in parts if int(p.sum()) >= min_area]
    height, width = mask.shape
    ys, xs = np.mgrid[0:height, 0:width]
    best = np.full(mask.shape, -1, np.int32)
    best_dist = np.full(mask.shape, np.inf)
    for index, (x, y, w, h) in enumerate(boxes):
        inside = (xs >= x) & (xs < x + w) & (ys >= y) & (ys < y + h)
        dist = (xs - (x + w / 2)) ** 2 + (ys - (y + h / 2)) ** 2
        take = inside & (dist < best_dist)
        best[take], best_dist[take] = index, dist[take]
    parts = [((best == k) & (mask > 0)).astype(np.uint8) for k in range(len(boxes))]
    return [p for p in parts if int(p.sum()) >= min_area]


def list_images(images_dir: Path) -> list[Path]:
    """Image files of a folder, sorted by name."""
    return sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def masks_to_coco(images_dir: Path, masks_dir: Path, boxes_dir: Path | None = None,
                  min_area: int = 64, skip_missing: bool = False) -> dict:
    """Build a COCO instances dict from an image folder and its mask PNGs.

    Args:
        images_dir: the photos; ``file_name`` entries are relative to it.
        masks_dir: ``<image base name>.png`` per photo.
        boxes_dir: optional ``<image base name>.txt`` files with ``x y w h`` per hand.
        min_area: smallest component (pixels) that counts as a hand.
        skip_missing: leave out photos without a mask instead of failing.

    Raises:
        DatasetError: naming the first offending files (all files are checked first).

    """
    problems = ProblemList(f"{images_dir} with masks {masks_dir}")
    if not images_dir.is_dir() or not masks_dir.is_dir():
        missing = images_dir if not images_dir.is_dir() else masks_dir
        problems.add("folder not found", str(missing))
        problems.raise_if_any()
    images, annotations = [], []
    paths = list_images(images_dir)
    if not paths:
        problems.add("no images", str(images_dir))
    for path in paths:
        mask_path = masks_dir / f"{path.stem}.png"
        if not mask_path.is_file():
            if not skip_missing:
                problems.add("image without a mask PNG (use --skip-missing to leave it out)",
                             str(path))
            continue
        size, problem = probe_image(path)
        if problem:
            problems.add(problem, str(path))
            continue
        try:
            mask = read_binary_mask(mask_path)
        except Exception:  # noqa: BLE001 - PIL raises many types for undecodable files
            problems.add("unreadable mask", str(mask_path))
            continue
        if mask.shape[::-1] != size:
            problems.add("mask/image size mismatch",
                         f"{mask_path} is {mask.shape[1]}x{mask.shape[0]}, image is "
                         f"{size[0]}x{size[1]}")
            continue
        boxes = None
        if boxes_dir is not None and (boxes_dir / f"{path.stem}.txt").is_file():
            try:
                boxes = read_boxes(boxes_dir / f"{path.stem}.txt")
            except ValueError as exc:
                problems.add("bad box file", str(exc))
                continue
        image_id = len(images) + 1
        images.append({"id": image_id, "file_name": path.name, "width": size[0],
                       "height": size[1]})
        for part in split_instances(mask, min_area, boxes):
            annotations.append(mask_annotation(part, len(annotations) + 1, image_id))
    problems.raise_if_any()
    return hands_coco(images, annotations)
