"""Trace a trained model into an ONNX or TorchScript file that runs without detectron2.

Mask R-CNN is traced up to its raw per-image output (boxes, scores and 28 x 28 mask
probabilities at the network input's size), through detectron2's ``TracingAdapter``; a
semantic model up to its hand logit map. Resizing the input and pasting masks at the image's
size are left to :mod:`d2hands.runtime`, in numpy, so one exported file serves every image
size. What the runtime needs around the network is stored in the file as JSON metadata.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..config import score_threshold
from ..io_utils import write_bytes_atomic
from ..modeling.contained import contained_fraction
from ..modeling.loading import load_model
from ..runtime.exported import FORMAT_VERSION, METADATA_KEY
from ..runtime.image_ops import chw_float, resize_shortest_edge

logger = logging.getLogger(__name__)
ONNX_OPSET = 16  # torchvision's roi_align with aligned=True needs 16
HAND_CLASS = 1


def model_metadata(cfg, kind: str) -> dict:
    """What the runtime needs besides the network: input size and format, thresholds."""
    meta = {"format_version": FORMAT_VERSION, "kind": kind, "input_format": cfg.INPUT.FORMAT,
            "min_size": int(cfg.INPUT.MIN_SIZE_TEST), "max_size": int(cfg.INPUT.MAX_SIZE_TEST),
            "score_thresh": score_threshold(cfg), "pixel_mean": list(cfg.MODEL.PIXEL_MEAN)}
    if kind == "instance":
        meta["mask_threshold"] = 0.5  # detectron2's paste_masks_in_image threshold
        meta["min_score_thresh"] = float(cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST)
        meta["suppress_contained"] = contained_fraction(cfg)
    else:
        unet = cfg.MODEL.UNET
        meta.update(mask_threshold=float(unet.MASK_THRESHOLD),
                    min_instance_area=int(unet.MIN_INSTANCE_AREA),
                    min_instance_fraction=float(unet.MIN_INSTANCE_FRACTION),
                    max_instances=int(cfg.TEST.DETECTIONS_PER_IMAGE))
    return meta


class _HandLogit(nn.Module):
    """A semantic model's hand-minus-background logit of one padded ``3 x H x W`` image."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        m = self.model
        x = ((image - m.pixel_mean) / m.pixel_std)[None]
        logits = m.sem_seg_head(m.backbone(x), None)[0][0]
        return logits[HAND_CLASS] - logits[1 - HAND_CLASS]


def _raw_instances(model, image: torch.Tensor):
    out = model.inference([{"image": image}], do_postprocess=False)[0]
    return out.pred_boxes.tensor, out.scores, out.pred_masks


def traced_module(cfg, weights: str, sample: np.ndarray) -> tuple[nn.Module, tuple, dict]:
    """The module to trace, its example input and the runtime's metadata.

    Args:
        cfg: the model's config.
        weights: its checkpoint.
        sample: a BGR image to trace with (any image with the model's input size works).

    """
    model = load_model(cfg, weights, postprocess=False)
    rgb = sample[:, :, ::-1] if cfg.INPUT.FORMAT == "RGB" else sample
    resized = resize_shortest_edge(np.ascontiguousarray(rgb), cfg.INPUT.MIN_SIZE_TEST,
                                   cfg.INPUT.MAX_SIZE_TEST)
    image = torch.from_numpy(chw_float(resized))
    if hasattr(model, "roi_heads"):
        from detectron2.export import TracingAdapter

        adapter = TracingAdapter(model, (image,), _raw_instances)
        return adapter.eval(), (image,), model_metadata(cfg, "instance")
    stride = max(int(getattr(model, "size_divisibility", 1)), 1)
    pad = (0, -image.shape[2] % stride, 0, -image.shape[1] % stride)
    meta = {**model_metadata(cfg, "semantic"), "size_divisibility": stride}
    return _HandLogit(model).eval(), (torch.nn.functional.pad(image, pad),), meta


def export_graph(cfg, weights: str, output: Path, fmt: str, sample: np.ndarray) -> dict:
    """Write ``output`` as an ONNX (``fmt="onnx"``) or TorchScript file; returns its metadata."""
    module, inputs, meta = traced_module(cfg, weights, sample)
    names = ["boxes", "scores", "masks"] if meta["kind"] == "instance" else ["hand_logit"]
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python values in the graph
        if fmt == "onnx":
            _onnx_export(module, inputs, names, buffer)
            data = _with_onnx_metadata(buffer.getvalue(), meta)
        else:
            traced = torch.jit.trace(module, inputs, check_trace=False)
            torch.jit.save(traced, buffer, _extra_files={f"{METADATA_KEY}.json": json.dumps(meta)})
            data = buffer.getvalue()
    write_bytes_atomic(output, data)
    return meta


def _onnx_export(module, inputs, names, buffer) -> None:
    dynamic = {"image": {1: "height", 2: "width"}}
    dynamic.update({name: {0: "hands"} for name in names if name != "hand_logit"})
    if "hand_logit" in names:
        dynamic["hand_logit"] = {0: "height", 1: "width"}
    torch.onnx.export(module, inputs, buffer, opset_version=ONNX_OPSET, dynamo=False,
                      input_names=["image"], output_names=names, dynamic_axes=dynamic)


def _with_onnx_metadata(data: bytes, meta: dict) -> bytes:
    import onnx

    model = onnx.load_from_string(data)
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    model.producer_name = "d2hands"
    return model.SerializeToString()
