"""Evaluate a trained checkpoint on a registered dataset, a COCO file or image + mask folders.

This is the model-based mode of ``tools/evaluate.py``, usable from Python too::

    run = evaluate_checkpoint("configs/hands_tiny_cpu.yaml", "model_final.pth",
                              ImagesSource(Path("photos"), Path("masks")))
    write_run(run, "out/", save_vis=5)
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from detectron2.data import DatasetCatalog, MetadataCatalog

from ..config import score_threshold
from ..data import register_hands_dataset
from ..data.mask_folders import masks_to_coco
from ..evaluation.errors import EvaluationInputError
from ..evaluation.hands_evaluator import PREDICTIONS_FILE, HandsEvaluator
from ..evaluation.inference import run_inference
from ..evaluation.overlays import render_worst_overlays
from ..evaluation.pipeline import Evaluation, analyse_errors
from ..evaluation.report import write_outputs
from ..io_utils import write_json_atomic
from ..modeling.contained import contained_fraction
from ..modeling.loading import load_model
from .setup import build_cfg

EVAL_DATASET = "_d2hands_evaluate"  # name under which --coco / --images data is registered
GROUND_TRUTH_FILE = "ground_truth.json"


@dataclass(frozen=True)
class DatasetSource:
    """A dataset registered by the config (``DATASETS.REGISTER``) or its trailing opts."""

    name: str


@dataclass(frozen=True)
class CocoSource:
    """A COCO instances file and the folder its ``file_name`` entries are relative to."""

    json_path: Path
    image_root: Path


@dataclass(frozen=True)
class ImagesSource:
    """Photos and semantic mask PNGs, converted as ``tools/prepare_real.py`` does."""

    images: Path
    masks: Path
    boxes: Path | None = None
    min_area: int = 64
    skip_missing: bool = False


@dataclass
class CheckpointRun:
    """Result of ``evaluate_checkpoint``.

    Attributes:
        evaluation: Metrics and per-image results.
        coco_results: The model's predictions as a COCO results list.
        image_root: Folder of the ground truth's images (for overlays).
        ground_truth: The COCO dict converted from mask folders, else None.
        settings: Extra entries for ``metrics["settings"]`` (config, weights, dataset).

    """

    evaluation: Evaluation
    coco_results: list[dict]
    image_root: str
    ground_truth: dict | None = None
    settings: dict = field(default_factory=dict)


def _registered(name: str) -> str:
    if name not in DatasetCatalog.list():
        raise EvaluationInputError(
            f"dataset {name!r} is not registered: declare it in the config's DATASETS.REGISTER "
            "as [name, annotations.json, image_root] (or pass that key after the options), or "
            "use --coco JSON --image-root DIR")
    return name


def evaluate_checkpoint(config_file: str, weights: str,
                        source: DatasetSource | CocoSource | ImagesSource,
                        opts: list[str] | None = None, score_thresh: float | None = None,
                        iou_thresh: float | None = None) -> CheckpointRun:
    """Run a checkpoint over a dataset and compute every metric (nothing is written).

    Args:
        config_file: The model's config (``_BASE_`` allowed).
        weights: The checkpoint (overrides ``MODEL.WEIGHTS``).
        source: What to evaluate on.
        opts: Trailing ``KEY VALUE`` config overrides (e.g. ``MODEL.DEVICE cpu``).
        score_thresh: Overrides ``HANDS.SCORE_THRESH``.
        iou_thresh: Overrides ``HANDS.EVAL_IOU_THRESH``.

    Returns:
        The run.

    Raises:
        ConfigError: For a bad config file or override (UnsafeFileError: one that would run
            code).
        EvaluationInputError: For unusable weights, thresholds or ground truth, or an
            unregistered dataset name.
        DatasetError: For an invalid COCO file, image or mask folder.

    """
    with tempfile.TemporaryDirectory(prefix="d2hands-eval-") as tmp:
        ground_truth = None
        if isinstance(source, ImagesSource):
            ground_truth = masks_to_coco(source.images, source.masks, source.boxes,
                                         source.min_area, source.skip_missing)
            json_path = Path(tmp) / GROUND_TRUTH_FILE
            write_json_atomic(json_path, ground_truth)
            register_hands_dataset(EVAL_DATASET, json_path, source.images)
            name = EVAL_DATASET
        elif isinstance(source, CocoSource):
            register_hands_dataset(EVAL_DATASET, source.json_path, source.image_root)
            name = EVAL_DATASET
        else:
            name = source.name
        # Only the evaluated set is read: building the config reads no dataset.
        cfg = build_cfg(config_file, list(opts or []))
        _registered(name)
        if not DatasetCatalog.get(name):  # validate the data before the model is built
            raise EvaluationInputError(f"the evaluation set has no images ({source})")
        evaluator = HandsEvaluator(
            name, None,
            score_thresh=score_threshold(cfg) if score_thresh is None else score_thresh,
            iou_thresh=cfg.HANDS.EVAL_IOU_THRESH if iou_thresh is None else iou_thresh,
            distributed=False)
        model = load_model(cfg, weights)
        run_inference(cfg, model, name, evaluator=evaluator)
    settings = {"config_file": os.fspath(config_file), "weights": os.fspath(weights),
                "dataset": None if name == EVAL_DATASET else name,
                "min_size_test": int(cfg.INPUT.MIN_SIZE_TEST),
                "suppress_contained": contained_fraction(cfg)}
    if isinstance(source, CocoSource):
        settings["ground_truth"] = os.fspath(source.json_path)
    if isinstance(source, ImagesSource):
        settings.update(images=os.fspath(source.images), masks=os.fspath(source.masks))
    image_root = MetadataCatalog.get(name).get("image_root") or ""
    return CheckpointRun(evaluator.evaluation, evaluator.coco_results, image_root, ground_truth,
                         settings)


def write_run(run: CheckpointRun, out_dir: str | os.PathLike, save_vis: int = 0,
              errors: bool = False) -> list[str]:
    """Write a run's files into ``out_dir``.

    The files: ``metrics.json``, ``per_image.csv``, ``predictions.json``, ``vis/*.png`` (with
    ``save_vis``) and, for mask folders, ``ground_truth.json``. Overlays are rendered before
    the first file is written, so a missing image writes nothing.

    Args:
        run: From ``evaluate_checkpoint``.
        out_dir: Output folder (created if needed).
        save_vis: Number of worst images (by pixel F1) to draw into ``out_dir/vis``.
        errors: Also classify every false detection and miss (``errors/``).

    Returns:
        The names of the files written (overlays excluded).

    Raises:
        EvaluationInputError: If an overlay image cannot be read.
        OSError: If writing fails.

    """
    out_dir = os.fspath(out_dir)
    overlays = render_worst_overlays(run.evaluation.images, run.image_root, save_vis)
    extra = analyse_errors(run.evaluation, run.image_root) if errors else []
    settings = run.evaluation.metrics["settings"]
    settings.update(run.settings)
    settings["predictions"] = os.path.join(out_dir, PREDICTIONS_FILE)
    written = ["metrics.json", "per_image.csv", PREDICTIONS_FILE]
    if run.ground_truth is not None:
        settings["ground_truth"] = os.path.join(out_dir, GROUND_TRUTH_FILE)
    os.makedirs(out_dir, exist_ok=True)
    if run.ground_truth is not None:
        write_json_atomic(os.path.join(out_dir, GROUND_TRUTH_FILE), run.ground_truth)
        written.append(GROUND_TRUTH_FILE)
    write_json_atomic(os.path.join(out_dir, PREDICTIONS_FILE), run.coco_results)
    write_outputs(out_dir, run.evaluation, overlays, extra)
    return written + [name for name, _ in extra]
