"""``ExportedPredictor``: a model written by ``tools/export_model.py --format onnx|torchscript``.

An exported file holds the network and, as metadata, what it needs around it: the input size
and colour order, the score threshold of a hand, and the post-processing of its kind
(``instance``: Mask R-CNN boxes, scores and 28 x 28 masks; ``semantic``: a hand logit map
split into connected components). ONNX files run on ONNX Runtime with numpy alone; TorchScript
files need torch and torchvision, not detectron2.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import HandsError
from .hands import Hands
from .image_ops import chw_float, resize_shortest_edge
from .postprocess import component_hands, instance_hands, upsample_bilinear

METADATA_KEY = "d2hands"
FORMAT_VERSION = 1
SUFFIXES = {".onnx": "onnx", ".ts": "torchscript", ".pt": "torchscript"}
KINDS = ("instance", "semantic")


class ExportError(HandsError):
    """An exported model file that cannot be used (unreadable, not d2hands', or corrupt)."""


def exported_format(path: str | os.PathLike) -> str | None:
    """``"onnx"`` or ``"torchscript"`` by the file's suffix, ``None`` for anything else."""
    return SUFFIXES.get(Path(path).suffix.lower())


def check_metadata(meta: dict, path: str) -> dict:
    """The metadata of an exported model, or an ``ExportError`` naming what is wrong."""
    need = {"kind", "input_format", "min_size", "max_size", "score_thresh", "mask_threshold"}
    missing = sorted(need - set(meta))
    if missing or meta.get("kind") not in KINDS:
        raise ExportError(f"{path}: not a d2hands export (metadata lacks {missing or 'kind'})")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ExportError(f"{path} was exported by a newer d2hands (format "
                          f"{meta['format_version']}); upgrade d2hands to run it")
    return meta


class _OnnxNetwork:
    def __init__(self, path: str, threads: int | None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ExportError("running an .onnx model needs onnxruntime: "
                              "pip install onnxruntime") from None
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as error:  # ORT raises its own types for corrupt or foreign files
            raise ExportError(f"{path}: ONNX Runtime cannot load it ({error})") from None
        raw = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        self.metadata = check_metadata(json.loads(raw) if raw else {}, path)
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]

    def __call__(self, image: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {self.input_name: image})


class _TorchScriptNetwork:
    def __init__(self, path: str, threads: int | None):
        import torch
        import torchvision  # noqa: F401  (registers the roi_align and nms ops the graph calls)

        if threads:
            torch.set_num_threads(threads)
        extra = {f"{METADATA_KEY}.json": ""}
        try:
            self.module = torch.jit.load(path, map_location="cpu", _extra_files=extra)
        except Exception as error:  # torch raises RuntimeError or zip errors for foreign files
            raise ExportError(f"{path}: not a TorchScript file torch can load ({error})") from None
        raw = extra[f"{METADATA_KEY}.json"]
        self.metadata = check_metadata(json.loads(raw) if raw else {}, path)
        self.torch = torch

    def __call__(self, image: np.ndarray) -> list[np.ndarray]:
        with self.torch.inference_mode():
            outputs = self.module(self.torch.from_numpy(image))
        outputs = outputs if isinstance(outputs, (tuple, list)) else [outputs]
        return [o.numpy() for o in outputs]


class ExportedPredictor:
    """An exported hands model as a function BGR image -> :class:`Hands`.

    Args:
        path: an ``.onnx`` (ONNX Runtime) or ``.ts``/``.pt`` (TorchScript) export.
        score_thresh: the score from which a prediction is a hand (default: the one exported
            with the model, its ``HANDS.SCORE_THRESH``).
        threads: CPU threads for the runtime (default: the runtime's choice).

    Raises:
        ExportError: if the file is missing, of another kind, or not a d2hands export.

    """

    def __init__(self, path: str | os.PathLike, score_thresh: float | None = None,
                 threads: int | None = None):
        path = os.fspath(path)
        kind = exported_format(path)
        if kind is None:
            raise ExportError(f"{path}: an exported model ends in .onnx, .ts or .pt")
        if not os.path.isfile(path):
            raise ExportError(f"{path}: no such file")
        self.path = path
        self.network = (_OnnxNetwork if kind == "onnx" else _TorchScriptNetwork)(path, threads)
        self.metadata = self.network.metadata
        self.score_thresh = (float(self.metadata["score_thresh"]) if score_thresh is None
                             else float(score_thresh))
        if not 0.0 <= self.score_thresh <= 1.0:
            raise ExportError(f"score threshold must be in [0, 1], got {self.score_thresh}")
        floor = float(self.metadata.get("min_score_thresh", 0.0))
        if self.score_thresh < floor:
            raise ExportError(f"{path} keeps detections from score {floor:g} only; export it "
                              f"again with --score-thresh {self.score_thresh:g} to use "
                              f"{self.score_thresh:g}")

    def __call__(self, image: np.ndarray) -> Hands:
        """The hands in one BGR uint8 ``H x W x 3`` image (as ``cv2.imread`` gives)."""
        meta = self.metadata
        height, width = image.shape[:2]
        rgb = image[:, :, ::-1] if meta["input_format"] == "RGB" else image
        resized = resize_shortest_edge(np.ascontiguousarray(rgb), meta["min_size"],
                                       meta["max_size"])
        if meta["kind"] == "instance":
            boxes, scores, masks = self.network(chw_float(resized))[:3]
            keep = scores >= self.score_thresh  # before pasting: most detections score low
            hands = instance_hands(boxes[keep], scores[keep], masks[keep], resized.shape[:2],
                                   (height, width), meta["mask_threshold"])
            hands = hands.without_contained(float(meta.get("suppress_contained", 0.0)))
        else:
            hands = self._semantic(resized, height, width)
        return hands.above(self.score_thresh)

    def predict_batch(self, images: Sequence[np.ndarray]) -> list[Hands]:
        """The hands in each image (run one by one: exported graphs take one image)."""
        return [self(image) for image in images]

    def _semantic(self, resized: np.ndarray, height: int, width: int) -> Hands:
        meta = self.metadata
        stride = int(meta.get("size_divisibility", 1)) or 1
        in_h, in_w = resized.shape[:2]
        pad_h, pad_w = -in_h % stride, -in_w % stride
        chw = chw_float(resized)
        if pad_h or pad_w:  # padded with the pixel mean, i.e. zeros once normalised
            mean = np.asarray(meta["pixel_mean"], np.float32).reshape(3, 1, 1)
            padded = np.empty((3, in_h + pad_h, in_w + pad_w), np.float32)
            padded[:] = mean
            padded[:, :in_h, :in_w] = chw
            chw = padded
        logit = self.network(chw)[0].reshape(in_h + pad_h, in_w + pad_w)[:in_h, :in_w]
        logit = upsample_bilinear(logit, height, width)
        probability = 1.0 / (1.0 + np.exp(-logit))
        min_area = max(int(meta.get("min_instance_area", 0)),
                       int(np.ceil(float(meta.get("min_instance_fraction", 0.0))
                                   * height * width)))
        return component_hands(probability, meta["mask_threshold"], min_area,
                               int(meta.get("max_instances", 100)))
