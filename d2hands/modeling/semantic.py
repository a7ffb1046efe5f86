"""``HandsSemanticSegmentor``: detectron2's ``SemanticSegmentor`` for hand/background models.

Training is detectron2's (backbone + ``SEM_SEG_HEAD``, cross-entropy against the ``sem_seg``
target that d2hands' training mapper makes from the instance masks). Inference returns, per
image, ``sem_seg`` (class probabilities, ``C x H x W`` at the input's original size) and
``instances``: the connected components of the hand mask (see
:mod:`d2hands.modeling.components`), so every tool that reads instances (evaluation, video,
the repetitive chain's session selection) works on U-Net output unchanged. Inputs of any size
are zero-padded to the network's stride. On CPU, inference runs through a frozen,
oneDNN-optimised TorchScript graph of backbone + head (``MODEL.UNET.FROZEN_INFERENCE``, see
:mod:`d2hands.modeling.frozen_inference`); its outputs equal the eager model's.
"""

from __future__ import annotations

import math

import torch
from detectron2.config import configurable
from detectron2.modeling import META_ARCH_REGISTRY, SemanticSegmentor
from detectron2.modeling.postprocessing import sem_seg_postprocess
from detectron2.structures import ImageList

from ..errors import ConfigError, HandsError
from .components import component_instances
from .frozen_inference import FrozenInference

HAND_CLASS = 1


@META_ARCH_REGISTRY.register()
class HandsSemanticSegmentor(SemanticSegmentor):
    """A semantic hand segmenter (U-Net, MobileUNet) whose outputs also carry instances."""

    @configurable
    def __init__(self, *, mask_threshold: float = 0.5, min_instance_area: int = 0,
                 min_instance_fraction: float = 0.0, max_instances: int = 100,
                 frozen_inference: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.frozen = FrozenInference(self, _logits) if frozen_inference else None
        self.mask_threshold = mask_threshold
        self.min_instance_area = min_instance_area
        self.min_instance_fraction = min_instance_fraction
        self.max_instances = max_instances

    @classmethod
    def from_config(cls, cfg):
        """detectron2's arguments plus ``MODEL.UNET`` inference keys."""
        args = super().from_config(cfg)
        fraction = cfg.MODEL.UNET.MIN_INSTANCE_FRACTION
        if not 0.0 <= fraction < 1.0:
            raise ConfigError(f"MODEL.UNET.MIN_INSTANCE_FRACTION is a fraction of the image's "
                             f"area, in [0, 1); got {fraction}")
        args.update(mask_threshold=cfg.MODEL.UNET.MASK_THRESHOLD,
                    min_instance_area=cfg.MODEL.UNET.MIN_INSTANCE_AREA,
                    min_instance_fraction=cfg.MODEL.UNET.MIN_INSTANCE_FRACTION,
                    max_instances=cfg.TEST.DETECTIONS_PER_IMAGE,
                    frozen_inference=cfg.MODEL.UNET.FROZEN_INFERENCE)
        return args

    @property
    def size_divisibility(self) -> int:
        """Inputs are padded to a multiple of the deepest feature's stride."""
        return max(self.backbone.size_divisibility,
                   getattr(self.sem_seg_head, "size_divisibility", 0))

    def _run(self, batched_inputs: list[dict], with_targets: bool):
        images = [(x["image"].to(self.device) - self.pixel_mean) / self.pixel_std
                  for x in batched_inputs]
        images = ImageList.from_tensors(images, self.size_divisibility)
        targets = None
        if with_targets:
            if any("sem_seg" not in x for x in batched_inputs):
                raise HandsError("a semantic model trains on 'sem_seg' targets, which d2hands' "
                                 "training mapper makes from instance masks; this batch has "
                                 "none (was the loader built by HandsTrainer?)")
            targets = ImageList.from_tensors([x["sem_seg"].to(self.device) for x in
                                              batched_inputs], self.size_divisibility,
                                             self.sem_seg_head.ignore_value).tensor
        if targets is None and self.frozen is not None:
            return images, self.frozen(images.tensor), {}
        logits, losses = self.sem_seg_head(self.backbone(images.tensor), targets)
        return images, logits, losses

    def validation_loss(self, batched_inputs: list[dict]) -> float:
        """The training loss on a batch, without gradients, in the model's current mode."""
        with torch.no_grad():
            _, _, losses = self._run(batched_inputs, with_targets=True)
        return float(sum(losses.values()))

    def forward(self, batched_inputs: list[dict]):
        """Losses in training; ``[{"sem_seg", "instances"}, ...]`` in inference."""
        if self.training:
            return self._run(batched_inputs, with_targets=True)[2]
        images, logits, _ = self._run(batched_inputs, with_targets=False)
        results = []
        for result, inputs, size in zip(logits, batched_inputs, images.image_sizes, strict=True):
            height, width = inputs.get("height", size[0]), inputs.get("width", size[1])
            probs = sem_seg_postprocess(result, size, height, width).softmax(dim=0)
            min_area = max(self.min_instance_area,
                           math.ceil(self.min_instance_fraction * height * width))
            instances = component_instances(probs[HAND_CLASS], self.mask_threshold, min_area,
                                             self.max_instances)
            results.append({"sem_seg": probs, "instances": instances.to(probs.device)})
        return results


def _logits(model: HandsSemanticSegmentor, images: torch.Tensor) -> torch.Tensor:
    """Class logits of a padded, normalised batch: the part that the frozen graph runs."""
    return model.sem_seg_head(model.backbone(images), None)[0]
