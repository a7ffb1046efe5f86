"""``HandsPredictor``: a trained model (or the default one) as a function image -> hands.

    from d2hands import HandsPredictor
    predictor = HandsPredictor.default()            # or .from_run("runs/mine")
    hands = predictor(cv2.imread("photo.jpg"))      # hands.masks, hands.boxes, hands.scores

Instance (Mask R-CNN) and semantic (U-Net, MobileUNet) models answer the same way; a hand is
a prediction scoring at least ``HANDS.SCORE_THRESH``, as in evaluation and videos.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np
import torch

from ..config import score_threshold
from ..data.image_io import read_image
from ..engine.setup import build_cfg
from ..errors import UsageError
from ..repetitive.trained_run import read_trained_run
from ..resources import PACKAGE
from ..runtime.hands import Hands
from ..video.predictor import BatchPredictor

logger = logging.getLogger(__name__)
MODEL_ZOO = PACKAGE / "model_zoo"
DEFAULT_CONFIG = MODEL_ZOO / "hands_default.yaml"
DEFAULT_WEIGHTS = MODEL_ZOO / "hands_default.pth"


def as_bgr(image) -> np.ndarray:
    """A BGR ``H x W x 3`` uint8 array from an array (gray, BGR, BGRA) or an image file path.

    Raises:
        UsageError: For anything else.

    """
    if isinstance(image, (str, os.PathLike)):
        return read_image(image, "BGR")
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise UsageError("HandsPredictor takes a uint8 numpy image (BGR, as cv2.imread gives) "
                         f"or a file path, got {type(image).__name__}"
                         + (f" of {image.dtype}" if isinstance(image, np.ndarray) else ""))
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 1:
        raise UsageError(f"HandsPredictor takes an H x W x 3 image, got shape {image.shape}")
    return np.ascontiguousarray(image[:, :, :3])


class HandsPredictor:
    """Run a trained hands model on images; returns :class:`Hands` per image.

    Args:
        cfg: The model's config (``build_cfg``).
        weights: Its checkpoint (``.pth``; loaded safely and checked against the config).
        score_thresh: The score from which a prediction is a hand (default: the config's
            ``HANDS.SCORE_THRESH``).

    """

    def __init__(self, cfg, weights: str | os.PathLike, score_thresh: float | None = None):
        self.cfg = cfg
        self.score_thresh = score_threshold(cfg) if score_thresh is None else float(score_thresh)
        if not 0.0 <= self.score_thresh <= 1.0:
            raise UsageError(f"score threshold must be in [0, 1], got {self.score_thresh}")
        self._model = BatchPredictor(cfg, os.fspath(weights))

    @classmethod
    def from_config(cls, config_file: str, weights: str, opts: Sequence[str] = (),
                    score_thresh: float | None = None) -> HandsPredictor:
        """A predictor of a config file and a checkpoint (plus ``KEY VALUE`` opts).

        A config that asks for a GPU this machine lacks runs on the CPU.
        """
        cfg = build_cfg(config_file, list(opts), freeze=False)
        if str(cfg.MODEL.DEVICE).startswith("cuda") and not torch.cuda.is_available():
            logger.info("no CUDA GPU: running %s on the CPU", config_file)
            cfg.MODEL.DEVICE = "cpu"
        cfg.freeze()
        return cls(cfg, weights, score_thresh)

    @classmethod
    def from_run(cls, run_dir: str | os.PathLike, session: int | None = None,
                 opts: Sequence[str] = (), score_thresh: float | None = None
                 ) -> HandsPredictor:
        """The model a finished training run chose (``repetitive_train.py``/``train_net.py``).

        Args:
            run_dir: The run's output folder.
            session: A repetitive run's session instead of the one it chose.
            opts: ``KEY VALUE`` overrides after the run's own.
            score_thresh: See the class.

        """
        run = read_trained_run(run_dir, session)
        return cls.from_config(run.config_file, run.weights, [*run.opts, *opts], score_thresh)

    @classmethod
    def default(cls, opts: Sequence[str] = (), score_thresh: float | None = None
                ) -> HandsPredictor:
        """The model that ships with d2hands (trained on renders only; see docs/MODEL_ZOO.md).

        Raises:
            UsageError: If this install has no default model.

        """
        if not (DEFAULT_CONFIG.is_file() and DEFAULT_WEIGHTS.is_file()):
            raise UsageError(f"this install of d2hands has no default model ({DEFAULT_WEIGHTS} "
                             "is missing); give --run DIR or --config-file and --weights")
        return cls.from_config(str(DEFAULT_CONFIG), str(DEFAULT_WEIGHTS), opts, score_thresh)

    @staticmethod
    def from_exported(path: str | os.PathLike, score_thresh: float | None = None):
        """A model exported by ``tools/export_model.py --format onnx|torchscript``.

        Returns:
            A predictor called like a ``HandsPredictor`` (an image or path in, :class:`Hands`
            out), running :class:`~d2hands.runtime.ExportedPredictor` on ONNX Runtime or
            TorchScript.

        Raises:
            ExportError: if the file is not a d2hands export.

        """
        return _ExportedWithPaths(path, score_thresh)

    def __call__(self, image) -> Hands:
        """The hands in one image (a BGR uint8 array, as ``cv2.imread`` gives, or a path)."""
        return self.predict_batch([image])[0]

    def predict_batch(self, images: Sequence) -> list[Hands]:
        """The hands in each of several images (any mix of sizes), in one model call.

        The model pads a batch to its largest image, so scores can differ slightly from
        one-by-one calls (as in detectron2's own batched inference).
        """
        frames = [as_bgr(image) for image in images]
        if not frames:
            return []
        outputs = self._model(frames)
        return [Hands.from_instances(out[out.scores >= self.score_thresh]) for out in outputs]


class _ExportedWithPaths:
    """An ``ExportedPredictor`` that, like ``HandsPredictor``, also takes paths and gray images."""

    def __init__(self, path, score_thresh):
        from ..runtime.exported import ExportedPredictor

        self.exported = ExportedPredictor(path, score_thresh)
        self.score_thresh = self.exported.score_thresh

    def __call__(self, image) -> Hands:
        return self.exported(as_bgr(image))

    def predict_batch(self, images: Sequence) -> list[Hands]:
        return [self(image) for image in images]
