"""Hand evaluation: COCO AP, the paper's hand metrics and pixel metrics.

Scoring a results file needs no torch::

    from d2hands.evaluation import evaluate_results
    evaluate_results("val.json", "results.json", "out/")

The detectron2 parts (``HandsEvaluator``, ``evaluate_model``, ``run_inference``,
``build_hands_evaluator``, ``load_model``, ``dataset_ground_truth``) are imported on first use::

    from d2hands.evaluation import evaluate_model
    results = evaluate_model(cfg, model, "hands_val")   # {"bbox", "segm", "hands", "pixel"}

See docs/METRICS.md for the exact definitions.
"""

from ..lazy import lazy_getattr
from .coco_ap import AP_KEYS, coco_ap, run_cocoeval
from .errors import EvaluationInputError, ResultsError
from .ground_truth import GroundTruth, ImageInfo, load_ground_truth
from .hand_metrics import HAND_KEYS, summarize_hands
from .matching import ImageMatch, match_image
from .overlays import render_worst_overlays, save_worst_overlays, worst_images
from .pipeline import (
    Evaluation,
    ImageResult,
    check_thresholds,
    compute_metrics,
    evaluate_results,
    score_images,
)
from .pixel_metrics import PIXEL_KEYS, PixelCounts, pixel_counts, summarize_pixels
from .report import (
    CSV_COLUMNS,
    METRIC_NAMES,
    format_table,
    per_image_csv,
    to_detectron2_results,
    write_atomic,
    write_outputs,
)
from .results_io import Prediction, load_results, to_coco_results

# Loaded lazily so that scoring a results file does not import torch and detectron2.
_DETECTRON2_EXPORTS = {
    "HandsEvaluator": ".hands_evaluator",
    "build_hands_evaluator": ".inference",
    "dataset_ground_truth": ".dataset_gt",
    "evaluate_model": ".inference",
    "load_model": ".inference",
    "run_inference": ".inference",
}

__getattr__ = lazy_getattr(__name__, _DETECTRON2_EXPORTS)


__all__ = [  # noqa: RUF022 - grouped: core first, then the lazily loaded detectron2 parts
    "AP_KEYS",
    "CSV_COLUMNS",
    "HAND_KEYS",
    "METRIC_NAMES",
    "PIXEL_KEYS",
    "Evaluation",
    "EvaluationInputError",
    "GroundTruth",
    "ImageInfo",
    "ImageMatch",
    "ImageResult",
    "PixelCounts",
    "Prediction",
    "ResultsError",
    "check_thresholds",
    "coco_ap",
    "compute_metrics",
    "evaluate_results",
    "format_table",
    "load_ground_truth",
    "load_results",
    "match_image",
    "per_image_csv",
    "pixel_counts",
    "render_worst_overlays",
    "run_cocoeval",
    "save_worst_overlays",
    "score_images",
    "summarize_hands",
    "summarize_pixels",
    "to_coco_results",
    "to_detectron2_results",
    "worst_images",
    "write_atomic",
    "write_outputs",
    "HandsEvaluator",
    "build_hands_evaluator",
    "dataset_ground_truth",
    "evaluate_model",
    "load_model",
    "run_inference",
]
