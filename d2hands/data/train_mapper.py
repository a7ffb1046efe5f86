"""The training mapper: detectron2's ``DatasetMapper`` plus compositing, hard negatives and LSJ."""

from __future__ import annotations

import logging

import numpy as np
import torch
from detectron2.data import DatasetCatalog, DatasetMapper
from detectron2.data import detection_utils as utils
from detectron2.data import transforms as T
from detectron2.structures import BitMasks, Boxes, Instances
from PIL import Image

from ..config import is_semantic
from ..errors import HandsError
from .coco_hands import uses_rle
from .compositing import BackgroundPool, Compositor, HandBank, settings_from_cfg
from .compositing.settings import CompositeConfigError
from .hard_negatives import HardNegativeSettings, hard_negative, hard_negative_settings
from .photo_augment import with_photo_augment

logger = logging.getLogger(__name__)


def build_train_augmentation(cfg) -> list:
    """detectron2's training augmentations, or large scale jitter with ``HANDS.SCALE_JITTER``.

    Scale jitter resizes each image by a random factor in ``[MIN_SCALE, MAX_SCALE]`` of
    ``SIZE`` (``ResizeScale``), then crops or pads it to ``SIZE`` (``FixedSizeCrop``), so one
    big centred hand is seen at many sizes and positions, partly cut off.
    """
    jitter = cfg.HANDS.SCALE_JITTER
    if not jitter.ENABLED:
        return with_photo_augment(cfg, utils.build_augmentation(cfg, is_train=True))
    if len(jitter.SIZE) != 2 or min(jitter.SIZE) < 16:
        raise CompositeConfigError(f"HANDS.SCALE_JITTER.SIZE is [height, width], got "
                                   f"{list(jitter.SIZE)}")
    if not 0 < jitter.MIN_SCALE <= jitter.MAX_SCALE:
        raise CompositeConfigError("HANDS.SCALE_JITTER needs 0 < MIN_SCALE <= MAX_SCALE, got "
                                   f"{jitter.MIN_SCALE}, {jitter.MAX_SCALE}")
    height, width = (int(v) for v in jitter.SIZE)
    # FixedSizeCrop pads masks with 255 by default (a semantic 'ignore' label): every
    # instance bitmask would then cover the padding. Hands' masks are padded with 0.
    augs = [T.ResizeScale(jitter.MIN_SCALE, jitter.MAX_SCALE, height, width),
            T.FixedSizeCrop((height, width), seg_pad_value=0)]
    if cfg.INPUT.RANDOM_FLIP != "none":
        augs.append(T.RandomFlip(horizontal=cfg.INPUT.RANDOM_FLIP == "horizontal",
                                 vertical=cfg.INPUT.RANDOM_FLIP == "vertical"))
    return with_photo_augment(cfg, augs)


def check_masks(dicts: list[dict], what: str = "the training sets") -> None:
    """Refuse records whose hands carry no mask: a semantic model learns from masks only.

    Raises:
        HandsError: naming the dataset and how many annotations lack a ``segmentation``.
    """
    bare: dict[str, int] = {}
    for record in dicts:
        for ann in record.get("annotations", []):
            if not ann.get("segmentation") and not ann.get("iscrowd", 0):
                name = record.get("dataset_name", "?")
                bare[name] = bare.get(name, 0) + 1
    if bare:
        listed = ", ".join(f"{name} ({count})" for name, count in sorted(bare.items()))
        raise HandsError(f"a semantic model (U-Net, MobileUNet) learns from masks, but hands "
                         f"of {what} have none (annotations without 'segmentation': {listed}); "
                         "train it on datasets with masks, or use a Mask R-CNN config for "
                         "boxes-only data")


def semantic_target(instances: Instances) -> torch.Tensor:
    """The ``sem_seg`` target of one mapped image: 1 where any hand's mask is, else 0."""
    height, width = instances.image_size
    if not len(instances):
        return torch.zeros((height, width), dtype=torch.int64)
    return instances.gt_masks.tensor.any(dim=0).to(torch.int64)


def build_compositor(cfg, dicts: list[dict], weights: list[float]) -> Compositor | None:
    """The compositor of ``HANDS.COMPOSITE`` over the training records, or None when off.

    Raises:
        CompositeConfigError: for settings that cannot work with these training sets.

    """
    if not cfg.HANDS.COMPOSITE.ENABLED:
        return None
    settings = settings_from_cfg(cfg)
    train = list(cfg.DATASETS.TRAIN)
    stray = [name for name in settings.datasets if name not in train]
    if stray:
        raise CompositeConfigError(f"HANDS.COMPOSITE.DATASETS names {stray}, which are not in "
                                   f"DATASETS.TRAIN {train}")
    # The composited sets (composited_datasets), in the order the user named them.
    sources = settings.hand_sources or settings.datasets or tuple(train)
    known = set(DatasetCatalog.list())
    unknown = [name for name in sources if name not in known]
    if unknown:
        raise CompositeConfigError(f"HANDS.COMPOSITE.HAND_SOURCES names {unknown}, which are "
                                   "not registered (DATASETS.REGISTER)")
    records, record_weights = [], []
    for name in sources:
        if name in train:
            picked = [(r, w) for r, w in zip(dicts, weights, strict=True)
                      if r.get("dataset_name") == name]
        else:
            picked = [(dict(r, dataset_name=name), 1.0) for r in DatasetCatalog.get(name)]
        records += [r for r, _ in picked]
        record_weights += [w for _, w in picked]
    bank = HandBank(records, record_weights)
    if not len(bank) and settings.hands_per_image[1] > 0:
        raise CompositeConfigError(f"the hand sources {list(sources)} hold no annotated hand to "
                                   "paste")
    logger.info("compositing: %d hands from %s, backgrounds %s", len(bank), list(sources),
                list(settings.backgrounds))
    return Compositor(settings, bank, BackgroundPool(settings.backgrounds, DatasetCatalog.get))


def _to_format(bgr: np.ndarray, image_format: str) -> np.ndarray:
    if image_format == "BGR":
        return bgr
    if image_format == "RGB":
        return np.ascontiguousarray(bgr[:, :, ::-1])
    return utils.convert_PIL_to_numpy(Image.fromarray(bgr[:, :, ::-1]), image_format)


class HandsTrainMapper(DatasetMapper):
    """``DatasetMapper`` for training, with optional compositing and scale jitter.

    Without ``HANDS.COMPOSITE`` and ``HANDS.SCALE_JITTER`` it maps exactly as detectron2's
    mapper does (same random draws). Masks are bitmasks whenever the data stores RLE or is
    composited.

    Args:
        cfg: the training config.
        compositor: turns records into composites, or None.
        rle: the training sets store RLE masks.
        negatives: turns the records of some sets into hand-free crops, or None.

    """

    def __init__(self, cfg, compositor: Compositor | None = None, rle: bool = False,
                 augmentations: list | None = None,
                 negatives: HardNegativeSettings | None = None):
        kwargs = DatasetMapper.from_config(cfg, is_train=True)
        kwargs["augmentations"] = (build_train_augmentation(cfg) if augmentations is None
                                   else augmentations)
        self.semantic = is_semantic(cfg)
        if self.semantic:  # the sem_seg target is the union of the instance masks
            kwargs.update(use_instance_mask=True, instance_mask_format="bitmask")
        if ((cfg.HANDS.SCALE_JITTER.ENABLED or cfg.HANDS.AUGMENT.ENABLED)
                and kwargs["use_instance_mask"]):
            kwargs["recompute_boxes"] = True  # a crop cuts boxes; the masks know the rest
        if kwargs["instance_mask_format"] != "bitmask" and (rle or compositor is not None):
            logger.info("Training masks as bitmasks: the training data stores RLE masks")
            kwargs["instance_mask_format"] = "bitmask"
        super().__init__(**kwargs)
        self.compositor = compositor
        self.negatives = negatives
        self._warned_whole = False

    def _transform_annotations(self, dataset_dict, transforms, image_shape):
        """detectron2's, plus empty instances for an image without hands (a negative)."""
        if any(not a.get("iscrowd", 0) for a in dataset_dict.get("annotations", [])):
            return super()._transform_annotations(dataset_dict, transforms, image_shape)
        dataset_dict.pop("annotations", None)
        instances = Instances(image_shape, gt_boxes=Boxes(torch.zeros((0, 4))),
                              gt_classes=torch.zeros((0,), dtype=torch.int64))
        if self.use_instance_mask:
            instances.gt_masks = BitMasks(torch.zeros((0, *image_shape), dtype=torch.bool))
        dataset_dict["instances"] = instances

    def __call__(self, dataset_dict: dict) -> dict:
        """Map one record: a composite when the compositor takes it, plus ``sem_seg``."""
        mapped = self._map(dataset_dict)
        if self.semantic:
            mapped["sem_seg"] = semantic_target(mapped["instances"])
        return mapped

    def _map(self, dataset_dict: dict) -> dict:
        if self.compositor is None and self.negatives is None:
            return super().__call__(dataset_dict)
        # One generator per draw, seeded from the global RNG that detectron2 seeds per worker:
        # the same SEED gives the same composites, whatever the worker count.
        rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
        if (self.negatives is not None
                and dataset_dict.get("dataset_name") in self.negatives.datasets):
            made = hard_negative(dataset_dict, self.negatives, rng)
            if made is not None:
                return self._map_made(dataset_dict, made[0], [], hard_negative=True)
            if not self._warned_whole:  # once per worker: the hands fill this photo
                logger.warning("HANDS.HARD_NEGATIVES: no hand-free crop fits %s; such photos "
                               "are used whole, with their hands", dataset_dict["file_name"])
                self._warned_whole = True
            return super().__call__(dataset_dict)
        if self.compositor is None or not self.compositor.applies(dataset_dict, rng):
            return super().__call__(dataset_dict)
        image, annotations = self.compositor.make(dataset_dict, rng)
        return self._map_made(dataset_dict, image, annotations, composite=True)

    def _map_made(self, dataset_dict: dict, image: np.ndarray, annotations: list[dict],
                  **flags) -> dict:
        """Augment and map an image made from a record (BGR pixels, its own annotations)."""
        image = _to_format(image, self.image_format)
        record = {key: dataset_dict[key] for key in ("file_name", "image_id", "dataset_name")
                  if key in dataset_dict}
        record.update(height=image.shape[0], width=image.shape[1], annotations=annotations,
                      **flags)
        aug_input = T.AugInput(image)
        transforms = self.augmentations(aug_input)
        image = aug_input.image
        record["image"] = torch.as_tensor(np.ascontiguousarray(image.transpose(2, 0, 1)))
        self._transform_annotations(record, transforms, image.shape[:2])
        return record


def build_train_mapper(cfg, dicts: list[dict], weights: list[float]) -> HandsTrainMapper:
    """The training mapper for these records (compositing per ``HANDS.COMPOSITE``).

    Raises:
        HandsError: for a semantic model on records with mask-free hands.
    """
    if is_semantic(cfg):
        check_masks(dicts)
    negatives = hard_negative_settings(cfg, list(cfg.DATASETS.TRAIN))
    return HandsTrainMapper(cfg, build_compositor(cfg, dicts, weights), rle=uses_rle(dicts),
                            negatives=negatives)
