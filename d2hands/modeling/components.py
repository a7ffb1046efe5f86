"""Hand instances from a semantic hand-probability map: its connected components.

A U-Net predicts one hand/background mask per image; the toolkit's hand metrics (IoU, Acc,
F1, TPH), COCO AP and video overlays work on instances. Each 8-connected component of
``probability > threshold`` becomes one instance: its pixels are the mask, its score the mean
probability inside, its box the component's bounding box.
"""

from __future__ import annotations

import torch
from detectron2.structures import Boxes, Instances

from ..runtime.postprocess import component_hands


def component_instances(probability: torch.Tensor, threshold: float = 0.5, min_area: int = 0,
                        max_instances: int = 100) -> Instances:
    """Split a hand-probability map into instances.

    Args:
        probability: ``(H, W)`` hand probabilities in [0, 1].
        threshold: pixels above it are hand.
        min_area: components with fewer pixels are dropped (0 keeps all).
        max_instances: keep at most this many, highest score first.

    Returns:
        ``Instances`` of image size ``(H, W)`` with ``pred_masks`` (bool), ``scores``,
        ``pred_boxes`` (XYXY, exclusive right/bottom edge as detectron2 draws masks' boxes) and
        ``pred_classes`` (all 0), sorted by decreasing score.
    """
    prob = probability.detach().to("cpu", torch.float32).numpy()
    hands = component_hands(prob, threshold, min_area, max_instances)
    instances = Instances(prob.shape)
    instances.pred_masks = torch.from_numpy(hands.masks)
    instances.scores = torch.from_numpy(hands.scores)
    instances.pred_boxes = Boxes(torch.from_numpy(hands.boxes))
    instances.pred_classes = torch.zeros(len(hands), dtype=torch.int64)
    return instances
