"""A detectron2 ``DatasetEvaluator`` reporting COCO AP, the hand metrics and pixel metrics."""

from __future__ import annotations

import itertools
import logging
import os

from detectron2.evaluation import DatasetEvaluator
from detectron2.evaluation.coco_evaluation import instances_to_coco_json
from detectron2.utils import comm

from ..defaults import DEFAULT_SCORE_THRESH
from ..io_utils import write_json_atomic
from .dataset_gt import category_mapping, dataset_ground_truth
from .errors import EvaluationInputError
from .pipeline import Evaluation, check_thresholds, compute_metrics
from .report import format_table, to_detectron2_results, write_outputs

logger = logging.getLogger(__name__)

PREDICTIONS_FILE = "predictions.json"


class HandsEvaluator(DatasetEvaluator):
    """Collect a model's instance predictions and score them with ``compute_metrics``.

    ``evaluate()`` returns ``{"bbox": {...}, "segm": {...}, "hands": {...}, "pixel": {...}}``
    (floats; COCO AP in percent, undefined values NaN), so it replaces detectron2's
    ``COCOEvaluator`` (its COCO AP is computed the same way). With ``output_dir`` set it also
    writes ``metrics.json``, ``per_image.csv`` and ``predictions.json`` (the COCO results list,
    which ``tools/evaluate.py --predictions`` scores to the same numbers) there.

    After ``evaluate()`` on the main process, ``evaluation`` holds the full ``Evaluation``
    (metrics dict and per-image results) and ``coco_results`` the gathered results list.

    Args:
        dataset_name: Registered dataset whose ground truth is used (see
            ``dataset_ground_truth``); the model's inputs must carry its ``image_id`` values.
        output_dir: Folder for the files above; None writes nothing.
        score_thresh: Minimum score of a prediction for the hand and pixel metrics.
        iou_thresh: Minimum mask IoU of a hand match.
        distributed: Gather the predictions of all processes on the main one.

    Raises:
        EvaluationInputError: If a threshold is out of range.

    """

    def __init__(self, dataset_name: str, output_dir: str | None = None,
                 score_thresh: float = DEFAULT_SCORE_THRESH, iou_thresh: float = 0.5,
                 distributed: bool = True):
        check_thresholds(score_thresh, iou_thresh)
        self.dataset_name = dataset_name
        self.output_dir = output_dir
        self.score_thresh = score_thresh
        self.iou_thresh = iou_thresh
        self.distributed = distributed
        self.evaluation: Evaluation | None = None
        self.coco_results: list[dict] = []
        self._to_dataset_id: dict[int, int] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the predictions of a previous run."""
        self._results: list[dict] = []
        self._image_ids: list = []

    def process(self, inputs, outputs) -> None:
        """Convert one batch of model outputs to COCO results with dataset category ids.

        Args:
            inputs: The model's inputs (each with ``image_id``).
            outputs: The model's outputs (each with ``instances`` holding ``pred_masks``).

        Raises:
            EvaluationInputError: If the model predicts no masks.

        """
        if self._to_dataset_id is None:
            self._to_dataset_id = category_mapping(self.dataset_name)
        for inp, out in zip(inputs, outputs, strict=True):
            self._image_ids.append(inp["image_id"])
            if "instances" not in out:
                continue
            instances = out["instances"].to("cpu")
            if len(instances) and not instances.has("pred_masks"):
                raise EvaluationInputError(
                    "the model predicts no masks (MODEL.MASK_ON is off?); hand evaluation "
                    "needs instance masks")
            for result in instances_to_coco_json(instances, inp["image_id"]):
                result["category_id"] = self._to_dataset_id.get(
                    result["category_id"], result["category_id"])
                self._results.append(result)

    def _gathered(self) -> tuple[list[dict], list] | None:
        if not self.distributed:
            return self._results, self._image_ids
        comm.synchronize()
        gathered = comm.gather((self._results, self._image_ids), dst=0)
        if not comm.is_main_process():
            return None
        results = list(itertools.chain.from_iterable(r for r, _ in gathered))
        image_ids = list(itertools.chain.from_iterable(i for _, i in gathered))
        return results, image_ids

    def evaluate(self) -> dict[str, dict[str, float]]:
        """Score everything processed against the dataset's ground truth.

        Returns:
            detectron2-style results on the main process; ``{}`` on the others.

        Raises:
            EvaluationInputError: If the ground truth is unusable or an input's ``image_id``
                is not in it.

        """
        gathered = self._gathered()
        if gathered is None:
            return {}
        results, image_ids = gathered
        gt = dataset_ground_truth(self.dataset_name)
        unknown = [i for i in image_ids if i not in gt.images]
        if unknown:
            raise EvaluationInputError(
                f"dataset {self.dataset_name}: the model ran on image_id {unknown[0]!r}, which "
                f"is not an image of its ground truth {gt.source or '(from the dataset dicts)'}")
        if len(set(image_ids)) < len(gt.images):
            logger.warning("%s: the model ran on %d of the %d images of the ground truth; the "
                           "others count as missed hands", self.dataset_name,
                           len(set(image_ids)), len(gt.images))
        evaluation = compute_metrics(gt, results, self.score_thresh, self.iou_thresh)
        evaluation.metrics["settings"]["dataset"] = self.dataset_name
        evaluation.metrics["settings"]["num_images_evaluated"] = len(set(image_ids))
        self.evaluation, self.coco_results = evaluation, results
        if self.output_dir:
            evaluation.metrics["settings"]["predictions"] = os.path.join(
                self.output_dir, PREDICTIONS_FILE)
            os.makedirs(self.output_dir, exist_ok=True)
            write_json_atomic(os.path.join(self.output_dir, PREDICTIONS_FILE), results)
            write_outputs(self.output_dir, evaluation)
        logger.info("Hand evaluation of %s:\n%s", self.dataset_name,
                    format_table(evaluation.metrics))
        return to_detectron2_results(evaluation.metrics)
