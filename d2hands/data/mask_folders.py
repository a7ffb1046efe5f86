"""Real photos with semantic hand-mask PNGs -> COCO instances (connected components)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from ..errors import HandsError
from .annotations import hands_coco, mask_annotation
from .errors import ProblemList
from .image_checks import probe_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
Box = tuple[float, float, float, float]


MAX_LABEL = 64  # label-index masks number their hands 1..K; a semantic mask is brighter


@dataclass(frozen=True)
class MaskValues:
    """A mask file's values: one channel, and how to read it.

    Attributes:
        values: ``HxW`` integers (the alpha channel of an alpha-only mask; the brightest
            channel of a colour mask).
        full_scale: The largest value of the file's bit depth (1, 255 or 65535).

    """

    values: np.ndarray
    full_scale: int


def read_mask_values(path: Path) -> MaskValues:
    """Read a mask file of any mode and bit depth as one channel of integers (EXIF applied).

    Alpha-only masks (the same colour everywhere, the hand in the alpha channel) give their
    alpha; colour masks their brightest channel, so a red or green hand on black counts fully.
    """
    with Image.open(path) as raw:
        raw.load()
        img = ImageOps.exif_transpose(raw)
    if img.mode == "1":
        return MaskValues(np.asarray(img, dtype=np.uint8), 1)
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        return MaskValues(np.asarray(img).astype(np.int64), 65535)
    if img.mode == "P":
        img = img.convert("RGBA")
    if "A" in img.mode:
        rgba = np.asarray(img.convert("RGBA"))
        colour, alpha = rgba[..., :3], rgba[..., 3]
        if np.ptp(alpha) > 0 and np.ptp(colour) == 0:
            return MaskValues(alpha.astype(np.int64), 255)
        return MaskValues(colour.max(axis=2).astype(np.int64), 255)
    if img.mode != "L":
        img = img.convert("RGB")
        return MaskValues(np.asarray(img).max(axis=2).astype(np.int64), 255)
    return MaskValues(np.asarray(img).astype(np.int64), 255)


def mask_instances(mask: MaskValues, min_area: int, boxes: list[Box] | None = None
                   ) -> list[np.ndarray]:
    """The hands of a mask, each a 0/1 ``uint8`` array.

    - one non-zero value (0/1, 0/100, 0/255, 16-bit 0/1000, ...): that value is the hand;
    - non-zero values all at most ``MAX_LABEL``: a label-index mask, each label one hand (as
      annotation tools export instance masks);
    - otherwise (an anti-aliased mask): hand where the value is at least half of the bit
      depth's full scale, never of the mask's own maximum.

    Semantic masks (the first and last case) are split into hands by connected components, or
    by ``boxes``; parts under ``min_area`` pixels are dropped.
    """
    values = mask.values
    levels = np.unique(values[values > 0])
    if len(levels) == 0:
        return []
    if len(levels) == 1:
        return split_instances((values == levels[0]).astype(np.uint8), min_area, boxes)
    if levels[-1] <= MAX_LABEL and mask.full_scale > 1:
        parts = [(values == level).astype(np.uint8) for level in levels]
        return [p for p in parts if int(p.sum()) >= min_area]
    binary = (values * 2 >= mask.full_scale).astype(np.uint8)
    return split_instances(binary, min_area, boxes)


def read_boxes(path: Path) -> list[tuple[float, float, float, float]]:
    """Read ``x y w h`` lines (blank lines and ``#`` comments skipped)."""
    boxes = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 4:
            raise HandsError(f"{path}:{number}: expected 'x y w h', got {line!r}")
        boxes.append(tuple(float(p) for p in parts))
    return boxes


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
            mask = read_mask_values(mask_path)
        except Exception:  # noqa: BLE001 - PIL raises many types for undecodable files
            problems.add("unreadable mask", str(mask_path))
            continue
        if mask.values.shape[::-1] != size:
            height, width = mask.values.shape
            problems.add("mask/image size mismatch",
                         f"{mask_path} is {width}x{height}, image is {size[0]}x{size[1]} "
                         "(EXIF orientation applied to both)")
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
        for part in mask_instances(mask, min_area, boxes):
            annotations.append(mask_annotation(part, len(annotations) + 1, image_id))
    problems.raise_if_any()
    return hands_coco(images, annotations)
