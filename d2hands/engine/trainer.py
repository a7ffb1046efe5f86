"""The trainer: detectron2's DefaultTrainer with replicated datasets and COCO evaluation."""

from __future__ import annotations

import os

from detectron2.engine import DefaultTrainer, hooks

from ..data.replication import build_replicated_train_loader
from ..evaluation.inference import build_hands_evaluator
from ..modeling.loading import load_checked
from .early_stopping import EarlyStopping, TrainingStopped
from .optimizer import build_optimizer


class HandsTrainer(DefaultTrainer):
    """DefaultTrainer whose loader mixes all training sets with per-dataset replication.

    Also: ``SOLVER.OPTIMIZER`` (SGD, Adam, AdamW) and ``HANDS.EARLY_STOP`` (a hook after the
    periodic checkpointer: it stops training and restores the best weights).
    """

    def build_hooks(self):
        """detectron2's hooks, plus early stopping right after the periodic checkpointer."""
        built = super().build_hooks()
        if self.cfg.HANDS.EARLY_STOP.ENABLED:
            after = next(i for i, hook in enumerate(built)
                         if isinstance(hook, hooks.PeriodicCheckpointer))
            built.insert(after + 1, EarlyStopping(self.cfg, self.checkpointer))
        return built

    def train(self):
        """Train to ``SOLVER.MAX_ITER``, or until early stopping ends it.

        After an early stop the restored best weights are evaluated on ``DATASETS.TEST`` as
        the end of a full run is (when ``TEST.EVAL_PERIOD`` > 0).
        """
        try:
            return super().train()
        except TrainingStopped:
            if self.cfg.TEST.EVAL_PERIOD > 0 and self.cfg.DATASETS.TEST:
                self._last_eval_results = self.test(self.cfg, self.model)
            return None

    @classmethod
    def build_optimizer(cls, cfg, model):
        """``SOLVER.OPTIMIZER``: SGD (detectron2's), Adam or AdamW."""
        return build_optimizer(cfg, model)

    def resume_or_load(self, resume: bool = True) -> None:
        """Load the last checkpoint of ``OUTPUT_DIR`` (resuming) or ``MODEL.WEIGHTS``, checked.

        detectron2's rule, with the load checked like ``load_model``'s. A checkpoint that does
        not fit the model is refused with a ``ModelLoadError``, unless
        ``HANDS.PARTIAL_WEIGHTS`` says ``MODEL.WEIGHTS`` initialises only part of it (an
        ImageNet backbone); a resumed checkpoint must always fit. No weights: random init.
        """
        checkpointer = self.checkpointer
        resuming = resume and checkpointer.has_checkpoint()
        if resuming:
            load_checked(checkpointer, checkpointer.get_checkpoint_file())
            self.start_iter = self.iter + 1
        elif self.cfg.MODEL.WEIGHTS:
            load_checked(checkpointer, self.cfg.MODEL.WEIGHTS, checkpointables=[],
                         partial=self.cfg.HANDS.PARTIAL_WEIGHTS,
                         must_load=self.cfg.HANDS.PARTIAL_WEIGHTS_MUST_LOAD)

    @classmethod
    def build_train_loader(cls, cfg):
        """Training loader over ``DATASETS.TRAIN`` with ``DATASETS.REPLICATION`` factors."""
        return build_replicated_train_loader(cfg)

    @classmethod
    def build_evaluator(cls, cfg, dataset_name, output_folder=None):
        """COCO bbox + segm AP, hand metrics and pixel metrics for one registered test set.

        The ``HandsEvaluator`` writes ``metrics.json``, ``per_image.csv`` and
        ``predictions.json`` to ``output_folder`` (default ``OUTPUT_DIR/inference/<name>``);
        thresholds come from ``HANDS.SCORE_THRESH`` and ``HANDS.EVAL_IOU_THRESH``.
        """
        output_folder = output_folder or os.path.join(cfg.OUTPUT_DIR, "inference", dataset_name)
        return build_hands_evaluator(cfg, dataset_name, output_folder, distributed=True)
