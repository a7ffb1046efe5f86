"""Where composites get their backgrounds: photo folders, procedural images, inpainted photos.

``HANDS.COMPOSITE.BACKGROUNDS`` lists sources; each composite picks one source uniformly, then
one image of it, so a folder of 10,000 photos and ``procedural`` are drawn equally often.

- a folder: every image below it (recursively), e.g. hand-free frames of the user's own scene;
- ``procedural``: colour fields, textures and clutter (``procedural.py``);
- ``inpainted:<dataset>``: the photos of a registered dataset with their hands removed by
  OpenCV inpainting (computed once per process, kept in memory).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import DatasetError
from ..mask_folders import IMAGE_SUFFIXES
from .hand_sources import annotation_mask, read_bgr
from .procedural import procedural_background
from .settings import CompositeConfigError

INPAINT_DILATE = 7  # px grown around a hand before inpainting: mask edges miss a little skin


def remove_hands(image: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    """Inpaint the (dilated) union of ``masks`` out of a BGR image."""
    if not masks:
        return image
    union = np.any(np.stack(masks), axis=0).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * INPAINT_DILATE + 1,) * 2)
    union = cv2.dilate(union, kernel)
    return cv2.inpaint(image, union, 5, cv2.INPAINT_TELEA)


def fit_to(image: np.ndarray, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Scale ``image`` to cover ``height x width`` (zoomed 1-1.5x), crop at random, maybe flip."""
    h, w = image.shape[:2]
    scale = max(height / h, width / w) * rng.uniform(1.0, 1.5)
    new_h, new_w = max(height, round(h * scale)), max(width, round(w * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA
                         if scale < 1 else cv2.INTER_LINEAR)
    y = int(rng.integers(0, new_h - height + 1))
    x = int(rng.integers(0, new_w - width + 1))
    out = resized[y:y + height, x:x + width]
    return np.ascontiguousarray(out[:, ::-1] if rng.random() < 0.5 else out)


class _Folder:
    def __init__(self, folder: Path):
        if not folder.is_dir():
            raise CompositeConfigError(
                f"HANDS.COMPOSITE.BACKGROUNDS names {str(folder)!r}, which is not a folder (nor "
                "'procedural' or 'inpainted:<dataset>')")
        self.files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise CompositeConfigError(f"background folder {str(folder)!r} holds no images "
                                       f"({', '.join(IMAGE_SUFFIXES)})")

    def draw(self, rng, height, width):
        path = self.files[int(rng.integers(0, len(self.files)))]
        return fit_to(read_bgr(path, "background folder"), height, width, rng)


class _Procedural:
    def draw(self, rng, height, width):
        return procedural_background(rng, height, width)


class _Inpainted:
    def __init__(self, name: str, records_of):
        self.name, self.records_of, self.images = name, records_of, None

    def _load(self) -> list[np.ndarray]:
        images = []
        for record in self.records_of(self.name):
            image = read_bgr(record["file_name"], self.name)
            h, w = image.shape[:2]
            if (h, w) != (record["height"], record["width"]):
                raise DatasetError(self.name, [("image size differs from the record",
                                                record["file_name"])])
            masks = [annotation_mask(a, h, w) for a in record.get("annotations", [])]
            images.append(remove_hands(image, masks))
        if not images:
            raise CompositeConfigError(f"inpainted:{self.name} has no images")
        return images

    def draw(self, rng, height, width):
        if self.images is None:
            self.images = self._load()
        return fit_to(self.images[int(rng.integers(0, len(self.images)))], height, width, rng)


class BackgroundPool:
    """Draws backgrounds from the sources of ``HANDS.COMPOSITE.BACKGROUNDS``.

    Args:
        sources: folder paths, ``procedural`` and ``inpainted:<dataset>`` entries.
        records_of: ``name -> dataset dicts`` (``DatasetCatalog.get``) for inpainted sources.

    Raises:
        CompositeConfigError: for a source that is neither an image folder nor a known name.

    """

    def __init__(self, sources: tuple[str, ...] | list[str], records_of=None):
        self.sources = []
        for entry in sources:
            if entry == "procedural":
                self.sources.append(_Procedural())
            elif entry.startswith("inpainted:"):
                name = entry.split(":", 1)[1]
                if records_of is None or not name:
                    raise CompositeConfigError(f"{entry!r} needs a registered dataset name")
                self.sources.append(_Inpainted(name, records_of))
            else:
                self.sources.append(_Folder(Path(entry).expanduser()))

    def draw(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        """One BGR uint8 background of ``height x width``."""
        source = self.sources[int(rng.integers(0, len(self.sources)))]
        return source.draw(rng, height, width)
