"""The trainer: detectron2's DefaultTrainer with replicated datasets and COCO evaluation."""

from __future__ import annotations

import io
import os
import re

import torch
from detectron2.engine import DefaultTrainer, hooks
from detectron2.utils import comm

from ..data.replication import build_replicated_train_loader
from ..errors import TrainingDiverged
from ..evaluation.inference import build_hands_evaluator
from ..io_utils import write_bytes_atomic
from ..modeling.loading import load_checked
from .early_stopping import EarlyStopping, TrainingStopped
from .optimizer import build_optimizer

FINAL = "model_final.pth"
PERIODIC = re.compile(r"model_\d{7}\.pth")
# The optimizer's state (momentum: as large as the weights) serves only to continue training.
TRAINING_STATE_KEYS = ("optimizer", "scheduler")


def finish_checkpoints(output_dir: str, keep_training_state: bool = False) -> None:
    """After a finished run: drop the periodic checkpoints and slim ``model_final.pth``.

    Only once ``last_checkpoint`` names ``model_final.pth`` (the run ended normally): the
    periodic ones served to resume, which a finished run no longer needs.
    """
    if not comm.is_main_process():
        return
    pointer = os.path.join(output_dir, "last_checkpoint")
    try:
        with open(pointer, encoding="utf-8") as handle:
            last = handle.read().strip()
    except OSError:
        return
    if last != FINAL:
        return
    for name in os.listdir(output_dir):
        if PERIODIC.fullmatch(name):
            os.remove(os.path.join(output_dir, name))
    if not keep_training_state:
        slim_final_checkpoint(os.path.join(output_dir, FINAL))


def _without_training_state(state):
    if not isinstance(state, dict):
        return state
    return {k: _without_training_state(v) for k, v in state.items()
            if k not in TRAINING_STATE_KEYS}


def _fill_missing(state: dict, fresh: dict) -> None:
    """Add to ``state`` (in place) the entries of ``fresh`` that it lacks, at every depth."""
    for key, value in fresh.items():
        if key not in state:
            state[key] = value
        elif isinstance(state[key], dict) and isinstance(value, dict):
            _fill_missing(state[key], value)


def _key_count(state) -> int:
    if not isinstance(state, dict):
        return 0
    return len(state) + sum(_key_count(v) for v in state.values())


def slim_final_checkpoint(path: str) -> None:
    """Drop the optimizer state from a finished run's ``model_final.pth`` (atomically).

    The model, its iteration and the hooks' state stay, so the file still loads everywhere
    (and ``--resume`` of a finished run still stops at once).
    """
    if not comm.is_main_process() or not os.path.isfile(path):
        return
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    # detectron2 nests the optimizer state: checkpoint["trainer"]["_trainer"]["optimizer"].
    slim = _without_training_state(checkpoint)
    if _key_count(slim) == _key_count(checkpoint):
        return
    buffer = io.BytesIO()
    torch.save(slim, buffer)
    write_bytes_atomic(path, buffer.getvalue())


class HandsTrainer(DefaultTrainer):
    """DefaultTrainer whose loader mixes all training sets with per-dataset replication.

    Also: ``SOLVER.OPTIMIZER`` (SGD, Adam, AdamW) and ``HANDS.EARLY_STOP`` (a hook after the
    periodic checkpointer: it stops training and restores the best weights).
    """

    def build_hooks(self):
        """detectron2's hooks, plus early stopping right after the periodic checkpointer.

        The periodic checkpointer keeps the last ``HANDS.CHECKPOINTS_KEPT`` checkpoints (all
        a resume needs), not every one.
        """
        built = super().build_hooks()
        for hook in built:
            if isinstance(hook, hooks.PeriodicCheckpointer):
                hook.max_to_keep = max(1, int(self.cfg.HANDS.CHECKPOINTS_KEPT))
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
            results = super().train()
        except FloatingPointError as exc:  # detectron2's "Training has diverged" / NaN loss
            raise TrainingDiverged(self._diverged_message(exc)) from None
        except TrainingStopped:
            if self.cfg.TEST.EVAL_PERIOD > 0 and self.cfg.DATASETS.TEST:
                self._last_eval_results = self.test(self.cfg, self.model)
            results = None
        finish_checkpoints(self.cfg.OUTPUT_DIR, self.cfg.HANDS.KEEP_TRAINING_STATE)
        return results

    def _diverged_message(self, exc: FloatingPointError) -> str:
        last = self.checkpointer.get_checkpoint_file() if self.checkpointer.has_checkpoint() \
            else None
        kept = (f"its last checkpoint, {last}, is kept: run the command again to resume from "
                "it (train_net.py with --resume; repetitive_train.py resumes by itself), or"
                if last else "no checkpoint was written yet:")
        return (f"training diverged at iteration {self.iter} ({str(exc).splitlines()[0]}); "
                f"{kept} lower SOLVER.BASE_LR, raise SOLVER.WARMUP_ITERS or set "
                "SOLVER.CLIP_GRADIENTS.ENABLED True")

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
            load_checked(checkpointer, checkpointer.get_checkpoint_file(),
                         complete=self._with_training_state)
            self.start_iter = self.iter + 1
        elif self.cfg.MODEL.WEIGHTS:
            load_checked(checkpointer, self.cfg.MODEL.WEIGHTS, checkpointables=[],
                         partial=self.cfg.HANDS.PARTIAL_WEIGHTS,
                         must_load=self.cfg.HANDS.PARTIAL_WEIGHTS_MUST_LOAD)

    def _with_training_state(self, checkpoint: dict) -> dict:
        """A slim ``model_final.pth`` (no optimizer state) resumes with a fresh optimizer."""
        if isinstance(checkpoint.get("trainer"), dict):
            _fill_missing(checkpoint["trainer"], self.state_dict())
        return checkpoint

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
