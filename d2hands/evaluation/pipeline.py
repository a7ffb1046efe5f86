"""Score predictions against a COCO ground truth: all metrics, and the files of a run."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from ..defaults import DEFAULT_SCORE_THRESH
from .coco_ap import coco_ap
from .contained_results import check_contained_fraction, without_contained
from .error_analysis import error_cases, summarize_errors
from .error_report import error_files, format_errors
from .errors import EvaluationInputError
from .ground_truth import GroundTruth, ImageInfo, load_ground_truth
from .hand_metrics import summarize_hands
from .matching import ImageMatch, match_image
from .overlays import render_worst_overlays
from .pixel_metrics import PixelCounts, pixel_counts, summarize_pixels
from .report import format_table, write_outputs
from .results_io import Prediction, load_results


@dataclass(frozen=True)
class ImageResult:
    """Everything measured on one image.

    Attributes:
        image: The image.
        hands: Compressed RLEs of its ground-truth hands.
        predictions: Its predictions, in results order (``match.kept`` indexes them).
        match: The hand matching.
        pixels: The pixel counts.

    """

    image: ImageInfo
    hands: tuple[dict, ...]
    predictions: tuple[Prediction, ...]
    match: ImageMatch
    pixels: PixelCounts


@dataclass
class Evaluation:
    """Result of ``compute_metrics``.

    Attributes:
        metrics: ``{"coco": {"bbox", "segm"}, "hands": {...}, "pixel": {...}, "settings": {...}}``
            as written to ``metrics.json``.
        images: Per-image results, in the order of the ground truth's images.

    """

    metrics: dict
    images: list[ImageResult]


def check_thresholds(score_thresh: float, iou_thresh: float) -> None:
    """Raise ``EvaluationInputError`` unless the thresholds are usable.

    Args:
        score_thresh: Minimum prediction score (any finite number).
        iou_thresh: Minimum mask IoU of a match, in (0, 1].

    Raises:
        EvaluationInputError: If a threshold is out of range.

    """
    if not math.isfinite(score_thresh):
        raise EvaluationInputError(f"score threshold must be a finite number, got {score_thresh}")
    if not 0.0 < iou_thresh <= 1.0:
        raise EvaluationInputError(f"IoU threshold must be in (0, 1], got {iou_thresh}")


def score_images(
    gt: GroundTruth,
    predictions: Sequence[Prediction],
    score_thresh: float = DEFAULT_SCORE_THRESH,
    iou_thresh: float = 0.5,
) -> list[ImageResult]:
    """Match and count pixels on every ground-truth image (hand and pixel metrics only).

    Args:
        gt: The ground truth.
        predictions: Validated predictions (any category: the hand metrics are class-agnostic).
        score_thresh: Minimum score of a counted prediction.
        iou_thresh: Minimum mask IoU of a match.

    Returns:
        One ``ImageResult`` per ground-truth image, in the ground truth's order.

    """
    by_image: dict[Any, list[Prediction]] = {i: [] for i in gt.images}
    for p in predictions:
        by_image[p.image_id].append(p)
    out = []
    for image_id, info in gt.images.items():
        preds = by_image[image_id]
        hands = gt.hands[image_id]
        pred_rles = [p.rle for p in preds]
        match = match_image(hands, pred_rles, [p.score for p in preds], score_thresh, iou_thresh)
        kept_rles = [pred_rles[i] for i in match.kept]
        pixels = pixel_counts(hands, kept_rles, info.height, info.width)
        out.append(ImageResult(info, tuple(hands), tuple(preds), match, pixels))
    return out


def compute_metrics(
    gt: str | os.PathLike | dict | GroundTruth,
    results: str | os.PathLike | list,
    score_thresh: float = DEFAULT_SCORE_THRESH,
    iou_thresh: float = 0.5,
    with_coco: bool = True,
    suppress_contained: float = 0.0,
) -> Evaluation:
    """Compute COCO AP, hand metrics and pixel metrics without writing anything.

    Args:
        gt: COCO ground truth: a JSON path, the parsed dict, a pycocotools COCO or a
            ``GroundTruth``.
        results: COCO results: a JSON path, the parsed list, or a list of ``Prediction``.
        score_thresh: Minimum score of a prediction for the hand and pixel metrics (COCO AP
            uses every prediction).
        iou_thresh: Minimum mask IoU of a hand match.
        with_coco: Also run COCOeval (``metrics["coco"]`` is ``{}`` otherwise).
        suppress_contained: First drop the predictions lying at least this fraction inside
            higher-scoring ones of their image, as ``HANDS.SUPPRESS_CONTAINED`` does in a
            model (0: off; see :mod:`d2hands.evaluation.contained_results`).

    Returns:
        The metrics and per-image results.

    Raises:
        EvaluationInputError: For invalid ground truth, results or thresholds.

    """
    check_thresholds(score_thresh, iou_thresh)
    check_contained_fraction(suppress_contained)
    gt = load_ground_truth(gt)
    if isinstance(results, list) and all(isinstance(p, Prediction) for p in results):
        predictions = list(results)
        for k, p in enumerate(predictions):
            if p.image_id not in gt.images:
                raise EvaluationInputError(f"prediction {k}: image_id {p.image_id!r} is unknown")
    else:
        predictions = load_results(results, gt)
    given = len(predictions)
    predictions = without_contained(predictions, suppress_contained)
    images = score_images(gt, predictions, score_thresh, iou_thresh)
    metrics = {
        "coco": coco_ap(gt, predictions) if with_coco else {},
        "hands": summarize_hands(r.match for r in images),
        "pixel": summarize_pixels(r.pixels for r in images),
        "settings": {
            "score_thresh": score_thresh,
            "iou_thresh": iou_thresh,
            "num_images": len(images),
            "num_images_with_hands": sum(1 for r in images if r.match.num_gt > 0),
            "num_predictions": len(predictions),
            "num_predictions_kept": sum(len(r.match.kept) for r in images),
            "ground_truth": gt.source,
            "predictions": os.fspath(results) if isinstance(results, (str, os.PathLike)) else None,
            "coco_units": "percent (0-100); null where COCOeval reports -1",
            "class_agnostic": True,
        },
    }
    if suppress_contained > 0:
        metrics["settings"].update(suppress_contained=suppress_contained,
                                   num_predictions_contained=given - len(predictions))
    return Evaluation(metrics, images)


def analyse_errors(evaluation: Evaluation,
                   image_root: str | os.PathLike | None) -> list[tuple[str, bytes]]:
    """Classify the evaluation's errors into ``metrics["errors"]``; return their files.

    The files (``errors/errors.csv`` and, with ``image_root``, contact sheets of the crops)
    are returned, not written, so that nothing is written when an image cannot be read.
    """
    settings = evaluation.metrics["settings"]
    cases = error_cases(evaluation.images, settings["score_thresh"], settings["iou_thresh"])
    evaluation.metrics["errors"] = summarize_errors(cases, evaluation.metrics["hands"]["TP"])
    return error_files(evaluation.images, cases, image_root)


def evaluate_results(
    gt: str | os.PathLike | dict | GroundTruth,
    results: str | os.PathLike | list,
    out_dir: str | os.PathLike | None = None,
    score_thresh: float = DEFAULT_SCORE_THRESH,
    iou_thresh: float = 0.5,
    save_vis: int = 0,
    image_root: str | os.PathLike | None = None,
    stream: TextIO | None = sys.stdout,
    with_coco: bool = True,
    errors: bool = False,
    suppress_contained: float = 0.0,
) -> Evaluation:
    """Evaluate predictions and write ``metrics.json``, ``per_image.csv`` and overlays.

    Nothing is written unless every input is valid (overlay images are read before the first
    file is written); each file is written atomically.

    Args:
        gt: COCO ground truth (JSON path, dict, pycocotools COCO or ``GroundTruth``).
        results: COCO results (JSON path, list of dicts or list of ``Prediction``).
        out_dir: Output folder (created if needed); None writes nothing.
        score_thresh: Minimum score of a prediction for the hand and pixel metrics.
        iou_thresh: Minimum mask IoU of a hand match.
        save_vis: Number of worst images (by pixel F1) to draw into ``out_dir/vis``.
        image_root: Folder the ground truth's ``file_name`` paths are relative to (needed when
            ``save_vis`` > 0).
        stream: Where to print the metrics table; None prints nothing.
        with_coco: Also compute COCO AP.
        errors: Also classify every false detection and miss (``metrics["errors"]``,
            ``errors/``; see :mod:`d2hands.evaluation.error_analysis`).
        suppress_contained: Drop the predictions lying at least this fraction inside
            higher-scoring ones first (0: off; see ``compute_metrics``).

    Returns:
        The evaluation.

    Raises:
        EvaluationInputError: For invalid inputs (nothing has been written then).
        OSError: If writing the outputs fails.

    """
    evaluation = compute_metrics(gt, results, score_thresh, iou_thresh, with_coco,
                                 suppress_contained)
    overlays = []
    if save_vis > 0 and out_dir is not None:
        if image_root is None:
            raise EvaluationInputError("drawing overlays (save_vis > 0) needs the image folder")
        overlays = render_worst_overlays(evaluation.images, image_root, save_vis)
    extra = analyse_errors(evaluation, image_root) if errors else []
    if out_dir is not None:
        write_outputs(out_dir, evaluation, overlays, extra)
    if stream is not None:
        print(format_table(evaluation.metrics), file=stream)
        if errors:
            print(format_errors(evaluation.metrics["errors"]), file=stream)
    return evaluation
