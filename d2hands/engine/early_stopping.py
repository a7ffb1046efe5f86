"""Early stopping as a detectron2 hook: stop when the validation loss stops falling.

Every ``HANDS.EARLY_STOP.PERIOD`` iterations the hook computes the model's loss on the
validation set (in eval mode: no dropout, BatchNorm's running statistics). A loss lower than the
best so far by more than ``MIN_DELTA`` saves ``model_best.pth``; after ``PATIENCE`` evaluations
without one, training stops. Whether it stops early or reaches ``SOLVER.MAX_ITER``, the best
weights are put back into the model and saved as ``model_final.pth``, so everything after
training (the final evaluation, the repetitive chain's next session) uses them. The history of
losses is ``early_stop.json``; a resumed run (``--resume``) continues it.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import os

import torch
from detectron2.data import DatasetCatalog, build_detection_test_loader
from detectron2.data import detection_utils as utils
from detectron2.engine import HookBase
from detectron2.utils import comm

from ..data.train_mapper import HandsTrainMapper, check_masks
from ..errors import HandsError
from ..io_utils import write_bytes_atomic, write_json_atomic

HISTORY_FILE = "early_stop.json"
BEST_NAME = "model_best"
logger = logging.getLogger(__name__)


class TrainingStopped(BaseException):  # noqa: N818 - a control-flow signal, like StopIteration
    """Raised by the hook to end detectron2's training loop early.

    A ``BaseException`` on purpose: detectron2's loop logs every ``Exception`` as a crash
    before re-raising it; this one only runs the hooks' ``after_train`` on its way out.
    """


def early_stop_dataset(cfg) -> str:
    """The validation set of ``HANDS.EARLY_STOP``, checked against the config.

    Raises:
        HandsError: for settings that cannot work (no or unregistered validation set, a set
            that is also trained on, a period or patience below 1, a period beyond
            ``SOLVER.MAX_ITER``).
    """
    stop = cfg.HANDS.EARLY_STOP
    if stop.PERIOD < 1 or stop.PATIENCE < 1 or stop.MIN_DELTA < 0:
        raise HandsError(f"HANDS.EARLY_STOP needs PERIOD >= 1, PATIENCE >= 1, MIN_DELTA >= 0; "
                         f"got {stop.PERIOD}, {stop.PATIENCE}, {stop.MIN_DELTA}")
    if stop.PERIOD > cfg.SOLVER.MAX_ITER:
        raise HandsError(f"HANDS.EARLY_STOP.PERIOD {stop.PERIOD} exceeds SOLVER.MAX_ITER "
                         f"{cfg.SOLVER.MAX_ITER}: the validation loss would never be computed")
    name = stop.DATASET or (cfg.DATASETS.TEST[0] if cfg.DATASETS.TEST else "")
    if not name:
        raise HandsError("HANDS.EARLY_STOP needs a validation set: set HANDS.EARLY_STOP.DATASET "
                         "or DATASETS.TEST")
    if name not in DatasetCatalog.list():
        raise HandsError(f"early-stopping set {name!r} is not registered (DATASETS.REGISTER)")
    if name in cfg.DATASETS.TRAIN:
        raise HandsError(f"early-stopping set {name!r} is also a training set: its loss keeps "
                         "falling, so it cannot tell when to stop")
    return name


class EarlyStopping(HookBase):
    """Validation loss every ``PERIOD`` steps; stop after ``PATIENCE`` without improvement."""

    def __init__(self, cfg, checkpointer):
        """Build the hook (checks the settings and the validation set).

        Args:
            cfg: the training config.
            checkpointer: the trainer's ``DetectionCheckpointer`` (saves ``model_best``).
        """
        stop = cfg.HANDS.EARLY_STOP
        self.dataset = early_stop_dataset(cfg)
        records = DatasetCatalog.get(self.dataset)
        check_masks(records, f"the early-stopping set {self.dataset!r}")
        mapper = HandsTrainMapper(cfg, augmentations=utils.build_augmentation(cfg, False))
        self.loader = build_detection_test_loader(records, mapper=mapper, num_workers=0)
        self.period, self.patience, self.min_delta = stop.PERIOD, stop.PATIENCE, stop.MIN_DELTA
        self.checkpointer = checkpointer
        self.history_path = os.path.join(cfg.OUTPUT_DIR, HISTORY_FILE)
        self.history: list[dict] = []
        self.best_state: dict | None = None
        self.stopped_at: int | None = None
        self.can_stop = stop.PERIOD * (stop.PATIENCE + 1) <= cfg.SOLVER.MAX_ITER
        if not self.can_stop:
            logger.warning("HANDS.EARLY_STOP: PERIOD x (PATIENCE + 1) = %d > SOLVER.MAX_ITER %d, "
                           "so training cannot stop early; the best weights are still restored "
                           "at the end", stop.PERIOD * (stop.PATIENCE + 1), cfg.SOLVER.MAX_ITER)

    @property
    def best(self) -> dict | None:
        """The history entry of the best weights (the last improvement), or None."""
        return next((e for e in reversed(self.history) if e["improved"]), None)

    def _stale(self) -> int:
        best = self.best
        return 0 if best is None else sum(e["iter"] > best["iter"] for e in self.history)

    def _model(self):
        return getattr(self.trainer.model, "module", self.trainer.model)

    def validation_loss(self) -> float:
        """Mean per-image loss over the validation set (the model's mode is restored)."""
        model = self._model()
        if not hasattr(model, "validation_loss"):
            raise HandsError(f"HANDS.EARLY_STOP needs a model with a validation loss "
                             f"(HandsSemanticSegmentor); {type(model).__name__} has none")
        was_training = model.training
        model.eval()
        try:
            losses = [model.validation_loss(batch) for batch in self.loader]
        finally:
            model.train(was_training)
        return sum(losses) / max(len(losses), 1)

    def before_train(self):
        """Continue the history of a resumed run (entries up to the checkpoint it resumes)."""
        start = self.trainer.start_iter
        if start > 0 and os.path.isfile(self.history_path):
            with open(self.history_path, encoding="utf-8") as handle:
                saved = json.load(handle).get("history", [])
            self.history = [e for e in saved if e["iter"] <= start]  # steps done: start

    def after_step(self):
        """Validate every ``PERIOD`` steps; save the best; stop when patience runs out."""
        iteration = self.trainer.iter + 1
        last = iteration >= self.trainer.max_iter
        if iteration % self.period == 0:
            loss = self.validation_loss()
            best = self.best
            improved = best is None or loss < best["loss"] - self.min_delta
            self.history.append({"iter": iteration, "loss": loss, "improved": improved})
            self.trainer.storage.put_scalar("validation_loss", loss, smoothing_hint=False)
            if improved:
                self.best_state = copy.deepcopy(self._model().state_dict())
                self._save_best(iteration)
            self._write()
            if self._stale() >= self.patience and not last:
                self.stopped_at = iteration
                self.restore()
                raise TrainingStopped(iteration)
        if last:
            self.restore()

    def restore(self) -> None:
        """Put the best weights back and save them as ``model_final``."""
        best = self.best
        if best is None:
            return
        if self.best_state is None:  # resumed: the best weights are on disk
            saved = torch.load(self.best_path, map_location="cpu", weights_only=True)
            if saved.get("iteration") != best["iter"]:  # killed between two saves
                logger.warning("early stopping: %s holds iteration %s, the history's best is "
                               "%d; restoring it anyway", self.best_path, saved.get("iteration"),
                               best["iter"])
            self.best_state = saved["model"]
        self._model().load_state_dict(self.best_state)
        self.checkpointer.save("model_final", iteration=self.trainer.iter)
        self._write()
        logger.info("early stopping: restored the weights of iteration %d (validation loss "
                    "%.4f)%s", best["iter"], best["loss"],
                    f", stopped at {self.stopped_at}" if self.stopped_at else "")

    @property
    def best_path(self) -> str:
        """Where the best weights are saved."""
        return os.path.join(self.checkpointer.save_dir, BEST_NAME + ".pth")

    def _save_best(self, iteration: int) -> None:
        # Written directly (not by the checkpointer, which would tag it as the checkpoint to
        # resume from) and atomically, like every checkpoint that matters.
        if not comm.is_main_process():
            return
        buffer = io.BytesIO()
        torch.save({"model": self.best_state, "iteration": iteration}, buffer)
        write_bytes_atomic(self.best_path, buffer.getvalue())

    def _write(self) -> None:
        if not comm.is_main_process():
            return
        best = self.best
        write_json_atomic(self.history_path, {
            "dataset": self.dataset, "period": self.period, "patience": self.patience,
            "min_delta": self.min_delta, "history": self.history,
            "best_iter": best and best["iter"], "best_loss": best and best["loss"],
            "stopped_at": self.stopped_at})
