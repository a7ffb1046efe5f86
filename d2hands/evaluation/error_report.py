"""The files of an error analysis: ``errors/errors.csv`` and contact sheets of the crops.

``errors.csv`` lists every false detection and missed hand: its image, type or attributes,
score, box centre and size, and (with the images) the mean hue, saturation and value of its
pixels. ``errors/false_detections.jpg`` and ``errors/misses.jpg`` tile crops around each one
(its box plus a margin, outlined), grouped by type, highest score first.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from ..data.image_io import ImageReadError, read_image
from .error_analysis import FALSE_TYPES, ErrorCase
from .errors import EvaluationInputError

TILE = 112
COLUMNS = 8
MAX_TILES = 96
COLUMNS_CSV = ["file_name", "kind", "labels", "score", "centre_x", "centre_y", "area_fraction",
               "hue", "saturation", "value"]


def _hsv_means(image: np.ndarray | None, mask: np.ndarray) -> list:
    if image is None or not mask.any():
        return ["", "", ""]
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)[mask.astype(bool)]
    return [round(float(v), 1) for v in hsv.mean(axis=0)]


def _crop_tile(image: np.ndarray, mask: np.ndarray, label: str) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(mask)
    pad = max(w, h) // 4 + 4
    x0, y0 = max(x - pad, 0), max(y - pad, 0)
    x1, y1 = min(x + w + pad, image.shape[1]), min(y + h + pad, image.shape[0])
    crop = image[y0:y1, x0:x1].copy()
    contours, _ = cv2.findContours(mask[y0:y1, x0:x1].copy(), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(crop, contours, -1, (255, 0, 255), 1)
    scale = TILE / max(crop.shape[:2])
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)),
                             max(1, round(crop.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    tile = np.zeros((TILE + 14, TILE, 3), np.uint8)
    tile[:crop.shape[0], :crop.shape[1]] = crop
    cv2.putText(tile, label[:18], (2, TILE + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.33,
                (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def _sheet(tiles: list[np.ndarray]) -> bytes | None:
    if not tiles:
        return None
    rows = [tiles[i:i + COLUMNS] for i in range(0, len(tiles), COLUMNS)]
    blank = np.zeros_like(tiles[0])
    grid = np.vstack([np.hstack(row + [blank] * (COLUMNS - len(row))) for row in rows])
    ok, data = cv2.imencode(".jpg", grid, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return data.tobytes() if ok else None


def _order(cases: Sequence[ErrorCase]) -> list[ErrorCase]:
    rank = {t: k for k, t in enumerate(FALSE_TYPES)}
    return sorted(cases, key=lambda c: (rank.get(c.labels[0], 0), -(c.score or 0.0)))


def error_files(images: Sequence, cases: Sequence[ErrorCase],
                image_root: str | os.PathLike | None) -> list[tuple[str, bytes]]:
    """``(relative path, bytes)`` of ``errors/errors.csv`` and, with images, the sheets.

    Raises:
        EvaluationInputError: If an image of a case cannot be read.

    """
    cache: dict[int, np.ndarray | None] = {}

    def image_of(index: int) -> np.ndarray | None:
        if image_root is None:
            return None
        if index not in cache:
            path = os.path.join(os.fspath(image_root), images[index].image.file_name)
            try:
                cache.clear()  # cases come grouped by image: keep one decoded image
                cache[index] = read_image(path, "BGR")
            except ImageReadError as error:
                raise EvaluationInputError(f"error analysis: {error}") from None
        return cache[index]

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS_CSV)
    crops: dict[int, np.ndarray] = {}
    for case in sorted(cases, key=lambda c: c.image_index):
        mask = mask_utils.decode(case.rle)
        image = image_of(case.image_index)
        writer.writerow([images[case.image_index].image.file_name, case.kind,
                         "+".join(case.labels), "" if case.score is None else
                         round(case.score, 4), round(case.centre[0], 4),
                         round(case.centre[1], 4), round(case.area_fraction, 5),
                         *_hsv_means(image, mask)])
        if image is not None:
            label = f"{case.labels[0]} {case.score:.2f}" if case.score is not None else \
                case.labels[0]
            crops[id(case)] = _crop_tile(image, mask, label)
    files = [("errors/errors.csv", text.getvalue().encode("utf-8"))]
    for kind, name in (("false", "false_detections.jpg"), ("miss", "misses.jpg")):
        chosen = [crops[id(c)] for c in _order([c for c in cases if c.kind == kind])
                  if id(c) in crops][:MAX_TILES]
        sheet = _sheet(chosen)
        if sheet is not None:
            files.append((f"errors/{name}", sheet))
    return files


def format_errors(summary: dict) -> str:
    """A few lines on what the errors are, for the printed report."""
    by_type = summary["false_by_type"]
    gains = summary["f1_if_fixed"]
    lines = [f"\nErrors: {summary['false_detections']} false detections, "
             f"{summary['misses']} missed hands (hands F1 {summary['f1']:.3f})",
             "  false detections: " + ", ".join(
                 f"{t} {n} (F1 +{gains[t]:.3f} if fixed)" for t, n in by_type.items()),
             "  misses: " + ", ".join(
                 f"{a} {n} (+{gains['miss_' + a]:.3f})"
                 for a, n in summary["misses_by_attribute"].items())]
    return "\n".join(lines)
