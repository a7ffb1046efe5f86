"""The trainer: detectron2's DefaultTrainer with replicated datasets and COCO evaluation."""

from __future__ import annotations

import os

from detectron2.engine import DefaultTrainer
from detectron2.evaluation import COCOEvaluator

from ..data.replication import build_replicated_train_loader


class HandsTrainer(DefaultTrainer):
    """DefaultTrainer whose loader mixes all training sets with per-dataset replication."""

    @classmethod
    def build_train_loader(cls, cfg):
        """Training loader over ``DATASETS.TRAIN`` with ``DATASETS.REPLICATION`` factors."""
        return build_replicated_train_loader(cfg)

    @classmethod
    def build_evaluator(cls, cfg, dataset_name, output_folder=None):
        """COCO bbox + segm evaluation for one registered test set."""
        output_folder = output_folder or os.path.join(cfg.OUTPUT_DIR, "inference", dataset_name)
        return COCOEvaluator(dataset_name, tasks=("bbox", "segm"), distributed=True,
                             output_dir=output_folder)
