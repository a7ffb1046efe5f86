"""Run a detectron2 model over a registered dataset and score it with ``HandsEvaluator``."""

from __future__ import annotations

from detectron2.data import build_detection_test_loader
from detectron2.evaluation import inference_on_dataset

from ..config import score_threshold
from ..modeling.loading import load_model  # noqa: F401 - re-exported: the one loader
from .hands_evaluator import HandsEvaluator
from .report import to_detectron2_results


def build_hands_evaluator(cfg, dataset_name: str, output_dir: str | None = None,
                    distributed: bool = True) -> HandsEvaluator:
    """Build a ``HandsEvaluator`` with the thresholds of ``cfg.HANDS``.

    Args:
        cfg: A config with d2hands' keys (``HANDS.SCORE_THRESH``, ``HANDS.EVAL_IOU_THRESH``;
            the defaults 0.7 and 0.5 are used where they are missing).
        dataset_name: A registered dataset.
        output_dir: Where the evaluator writes its files; None writes nothing.
        distributed: Gather predictions across processes.

    Returns:
        The evaluator.

    """
    hands = cfg.get("HANDS", {})
    return HandsEvaluator(dataset_name, output_dir,
                          score_thresh=score_threshold(cfg),
                          iou_thresh=float(hands.get("EVAL_IOU_THRESH", 0.5)),
                          distributed=distributed)


def run_inference(cfg, model, dataset_name: str, output_dir: str | None = None,
                  evaluator: HandsEvaluator | None = None) -> HandsEvaluator:
    """Run ``model`` over ``dataset_name`` (detectron2's test loader) and evaluate.

    The model is put in eval mode for the run and restored afterwards, so this can be called
    in the middle of training.

    Args:
        cfg: The config the test loader is built from (``INPUT.MIN_SIZE_TEST`` ...).
        model: A detectron2 model.
        dataset_name: A registered dataset.
        output_dir: Folder for ``metrics.json``, ``per_image.csv`` and ``predictions.json``;
            None writes nothing.
        evaluator: Use this evaluator instead of ``build_hands_evaluator(cfg, ...)``.

    Returns:
        The evaluator after ``evaluate()``: ``evaluator.evaluation`` has the metrics and
        per-image results, ``evaluator.coco_results`` the predictions (main process only).

    """
    evaluator = evaluator or build_hands_evaluator(cfg, dataset_name, output_dir)
    loader = build_detection_test_loader(cfg, dataset_name)
    inference_on_dataset(model, loader, evaluator)
    return evaluator


def evaluate_model(cfg, model, dataset_name: str,
                   output_dir: str | None = None) -> dict[str, dict[str, float]]:
    """Evaluate a model on a registered dataset: COCO AP, hand and pixel metrics.

    Example (choosing a checkpoint on a validation set)::

        results = evaluate_model(cfg, trainer.model, "hands_val")
        score = results["hands"]["F1"]     # or results["segm"]["AP"], results["pixel"]["F1"]

    Args:
        cfg: The config (test-time input size and ``HANDS.EVAL_*`` thresholds).
        model: A detectron2 model (its train/eval mode is restored afterwards).
        dataset_name: A registered dataset with masks.
        output_dir: Also write ``metrics.json``, ``per_image.csv`` and ``predictions.json``.

    Returns:
        ``{"bbox": {AP...}, "segm": {AP...}, "hands": {TtlHnd, TP, FP, FN, IoU, Acc, F1, TPH,
        TPH_pct}, "pixel": {precision, recall, F1, hand_IoU, mIoU, per_image_F1}}`` as floats
        (AP in percent, NaN where undefined); ``{}`` on non-main processes.

    """
    evaluator = run_inference(cfg, model, dataset_name, output_dir)
    if evaluator.evaluation is None:
        return {}
    return to_detectron2_results(evaluator.evaluation.metrics)
