"""Batched inference: detectron2's DefaultPredictor preprocessing, several frames per call."""

from __future__ import annotations

import numpy as np
import torch
from detectron2.data import transforms as T

from ..modeling.loading import load_model


class BatchPredictor:
    """Run a model on lists of BGR frames; returns one ``Instances`` (on CPU) per frame."""

    def __init__(self, cfg, weights: str):
        self.cfg = cfg.clone()
        self.model = load_model(self.cfg, weights)  # refuses a checkpoint of another model
        self.resize = T.ResizeShortestEdge([cfg.INPUT.MIN_SIZE_TEST] * 2, cfg.INPUT.MAX_SIZE_TEST)
        self.rgb = cfg.INPUT.FORMAT == "RGB"

    def __call__(self, frames: list[np.ndarray]):
        """Predict every frame of a batch."""
        inputs = []
        for frame in frames:
            image = frame[:, :, ::-1] if self.rgb else frame
            height, width = image.shape[:2]
            resized = self.resize.get_transform(image).apply_image(image)
            tensor = torch.as_tensor(np.ascontiguousarray(resized.transpose(2, 0, 1)),
                                     dtype=torch.float32)
            inputs.append({"image": tensor, "height": height, "width": width})
        with torch.inference_mode():
            outputs = self.model(inputs)
        return [out["instances"].to("cpu") for out in outputs]
