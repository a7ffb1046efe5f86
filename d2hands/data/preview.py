"""Draw what training sees: dataset records as annotated, or the loader's mapped images."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data import detection_utils as utils
from detectron2.utils.visualizer import Visualizer

from ..errors import UsageError
from .replication import build_replicated_train_loader


def _metadata(cfg):
    name = cfg.DATASETS.TRAIN[0]
    meta = MetadataCatalog.get(name)
    if not meta.get("thing_classes", None):
        meta.set(thing_classes=["hand"])
    return meta


def annotation_samples(cfg, count: int) -> Iterator[tuple[str, np.ndarray]]:
    """``(name, RGB drawing)`` of the first ``count`` records of ``DATASETS.TRAIN``, as stored."""
    meta = _metadata(cfg)
    records = itertools.chain.from_iterable(DatasetCatalog.get(n) for n in cfg.DATASETS.TRAIN)
    for record in itertools.islice(records, count):
        image = utils.read_image(record["file_name"], format="RGB")
        drawn = Visualizer(image, meta).draw_dataset_dict(record).get_image()
        yield Path(record["file_name"]).stem, drawn


def loader_samples(cfg, count: int) -> Iterator[tuple[str, np.ndarray]]:
    """``(name, RGB drawing)`` of the first ``count`` images the training loader yields.

    These are the model's inputs after replication, subsets, compositing and augmentation,
    with their ground-truth masks and boxes drawn; composites are named ``composite``.
    """
    meta = _metadata(cfg)
    seen = 0
    for batch in build_replicated_train_loader(cfg):
        for item in batch:
            image = item["image"].permute(1, 2, 0).numpy()
            image = utils.convert_image_to_rgb(image, cfg.INPUT.FORMAT)
            visual = Visualizer(image, meta)
            instances = item["instances"]
            masks = (instances.gt_masks.tensor.numpy() if instances.has("gt_masks")
                     else None)
            boxes = instances.gt_boxes.tensor.numpy() if instances.has("gt_boxes") else None
            drawn = visual.overlay_instances(masks=masks, boxes=boxes).get_image()
            name = "composite" if item.get("composite") else Path(item["file_name"]).stem
            yield name, drawn
            seen += 1
            if seen >= count:
                return


def contact_sheet(images: list[np.ndarray], columns: int = 4, tile_width: int = 320
                  ) -> np.ndarray:
    """Tile RGB images (scaled to ``tile_width``, padded to the tallest) into one RGB image."""
    if not images:
        raise UsageError("no images to tile")
    tiles = [cv2.resize(im, (tile_width, max(1, round(im.shape[0] * tile_width / im.shape[1]))),
                        interpolation=cv2.INTER_AREA) for im in images]
    height = max(t.shape[0] for t in tiles)
    rows = math.ceil(len(tiles) / columns)
    sheet = np.full((rows * height, columns * tile_width, 3), 255, np.uint8)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        sheet[r * height:r * height + tile.shape[0], c * tile_width:(c + 1) * tile_width] = tile
    return sheet
