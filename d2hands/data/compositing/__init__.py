"""Compositing for training: hands cut out of training images, pasted onto backgrounds.

Torch-free except ``compositor`` (detectron2's ``BoxMode``); the training mapper
(``d2hands.data.train_mapper``) calls it per image. Keys: ``HANDS.COMPOSITE.*``
(docs/COMPOSITING.md).
"""

from .backgrounds import BackgroundPool, remove_hands
from .compositor import Compositor
from .hand_sources import Cutout, HandBank, cut_out
from .paste import compose, degrade
from .settings import (
    CompositeConfigError,
    CompositeSettings,
    composited_datasets,
    settings_from_cfg,
)

__all__ = [
    "BackgroundPool",
    "CompositeConfigError",
    "CompositeSettings",
    "Compositor",
    "Cutout",
    "HandBank",
    "compose",
    "composited_datasets",
    "cut_out",
    "degrade",
    "remove_hands",
    "settings_from_cfg",
]
