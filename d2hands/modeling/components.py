"""Hand instances from a semantic hand-probability map: its connected components.

A U-Net predicts one hand/background mask per image; the toolkit's hand metrics (IoU, Acc,
F1, TPH), COCO AP and video overlays work on instances. Each 8-connected component of
``probability > threshold`` becomes one instance: its pixels are the mask, its score the mean
probability inside, its box the component's bounding box.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from detectron2.structures import Boxes, Instances


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
    prob = probability.detach().to("cpu", torch.float32)
    height, width = prob.shape
    hand = (prob > threshold).numpy().astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(hand, connectivity=8)
    labels_t = torch.from_numpy(labels.astype(np.int64))
    found = []
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] < max(min_area, 1):
            continue
        mask = labels_t == label
        found.append((float(prob[mask].mean()), label, mask))
    found.sort(key=lambda item: (-item[0], item[1]))
    found = found[:max_instances]
    instances = Instances((height, width))
    instances.pred_masks = (torch.stack([m for *_, m in found]) if found
                            else torch.zeros((0, height, width), dtype=torch.bool))
    instances.scores = torch.tensor([s for s, *_ in found], dtype=torch.float32)
    boxes = [[stats[label, cv2.CC_STAT_LEFT], stats[label, cv2.CC_STAT_TOP],
              stats[label, cv2.CC_STAT_LEFT] + stats[label, cv2.CC_STAT_WIDTH],
              stats[label, cv2.CC_STAT_TOP] + stats[label, cv2.CC_STAT_HEIGHT]]
             for _, label, _ in found]
    instances.pred_boxes = Boxes(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4))
    instances.pred_classes = torch.zeros(len(found), dtype=torch.int64)
    return instances
