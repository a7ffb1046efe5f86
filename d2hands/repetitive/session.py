"""One training session of a chain: a fresh trainer, its per-step losses, its statistics."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
from detectron2.engine import HookBase
from detectron2.utils import comm
from detectron2.utils.env import seed_all_rng

from ..engine.progress import ProgressBar
from ..engine.trainer import HandsTrainer
from .layers import apply_regex, count_trainable
from .saturation import images_before, saturation_step

logger = logging.getLogger(__name__)
LOSSES = "losses.jsonl"
SESSION_SEED_STRIDE = 1009


class LossRecorder(HookBase):
    """Appends every step's total loss to ``losses.jsonl`` and times the training loop.

    On a resumed session the lines of steps at or after the restart are dropped first, since
    those steps are trained again.
    """

    def __init__(self, path: Path):
        self.path = path
        self.loop_seconds = 0.0
        self._handle = None

    def before_train(self):
        """Open the loss file, dropping steps that will be redone."""
        if comm.is_main_process():
            start = self.trainer.start_iter
            kept = [line for line in read_loss_lines(self.path) if line["iter"] < start]
            with open(self.path, "w") as handle:
                handle.writelines(json.dumps(line) + "\n" for line in kept)
            self._handle = open(self.path, "a")  # noqa: SIM115 - closed in after_train
        self._t0 = time.perf_counter()

    def after_step(self):
        """Record this step's loss."""
        if self._handle is not None:
            loss = self.trainer.storage.history("total_loss").latest()
            self._handle.write(json.dumps({"iter": self.trainer.iter, "loss": float(loss)}) + "\n")
            self._handle.flush()

    def after_train(self):
        """Close the file; keep the loop time."""
        self.loop_seconds = time.perf_counter() - self._t0
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_loss_lines(path: Path) -> list[dict]:
    """Read ``losses.jsonl``; a half-written last line (after a kill) is ignored."""
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            break
    return lines


class SessionTrainer(HandsTrainer):
    """HandsTrainer that applies a regex layer spec and records per-step losses."""

    @classmethod
    def build_model(cls, cfg):
        """Build the model; with ``HANDS.TRAINABLE_REGEX`` train only matching parameters."""
        model = super().build_model(cfg)
        if cfg.HANDS.TRAINABLE_REGEX:
            apply_regex(model, cfg.HANDS.TRAINABLE_REGEX)
        return model

    def build_hooks(self):
        """DefaultTrainer's hooks plus the loss recorder."""
        hooks = super().build_hooks()
        self.loss_recorder = LossRecorder(Path(self.cfg.OUTPUT_DIR) / LOSSES)
        hooks.insert(0, self.loss_recorder)
        hooks.append(ProgressBar(Path(self.cfg.OUTPUT_DIR).name))
        return hooks


def session_cfg(base_cfg, session: dict, plan: dict, session_dir: Path, init_weights: str):
    """The frozen config of one session: its subset, layers, steps, lr, ROIs and output dir."""
    cfg = base_cfg.clone()
    cfg.defrost()
    cfg.OUTPUT_DIR = str(session_dir)
    cfg.MODEL.WEIGHTS = init_weights
    # Only the chain's own start may be a partial (ImageNet) init; later sessions load a chain's.
    cfg.HANDS.PARTIAL_WEIGHTS = bool(base_cfg.HANDS.PARTIAL_WEIGHTS
                                     and init_weights == base_cfg.MODEL.WEIGHTS)
    cfg.MODEL.BACKBONE.FREEZE_AT = session["freeze_at"]
    cfg.HANDS.TRAINABLE_REGEX = session["regex"]
    if "train" in session:  # the session's own training sets (--session-data)
        cfg.DATASETS.TRAIN = tuple(session["train"])
        cfg.DATASETS.REPLICATION = [list(entry) for entry in session["replication"]]
        composited = [n for n in cfg.HANDS.COMPOSITE.DATASETS if n in cfg.DATASETS.TRAIN]
        if cfg.HANDS.COMPOSITE.DATASETS and not composited:
            cfg.HANDS.COMPOSITE.ENABLED = False  # none of its composited sets trains here
        cfg.HANDS.COMPOSITE.DATASETS = composited
    cfg.HANDS.SUBSET = [] if session["subset"] is None else [
        session["subset"], plan["num_subsets"], plan["seed"]]
    cfg.HANDS.SUBSET_DATASET = plan["subset_dataset"]
    cfg.SOLVER.MAX_ITER = session["iters"]
    cfg.SOLVER.BASE_LR = session["lr"]
    cfg.MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE = session["rois"]
    # Short sessions: warm up over at most a tenth of the steps, no lr drops beyond the end.
    cfg.SOLVER.WARMUP_ITERS = min(cfg.SOLVER.WARMUP_ITERS, max(1, session["iters"] // 10))
    cfg.SOLVER.STEPS = tuple(s for s in cfg.SOLVER.STEPS if s < session["iters"])
    if cfg.HANDS.EARLY_STOP.ENABLED and not cfg.HANDS.EARLY_STOP.DATASET and cfg.DATASETS.TEST:
        cfg.HANDS.EARLY_STOP.DATASET = cfg.DATASETS.TEST[0]  # each session stops on it
    cfg.DATASETS.TEST = ()  # sessions are evaluated by the chain, when it is asked to
    if cfg.SEED >= 0:  # each session its own seed, so it trains alike whether resumed or not
        cfg.SEED = base_cfg.SEED + SESSION_SEED_STRIDE * max(session["index"], 0)
    cfg.freeze()
    return cfg


def run_session(cfg, session: dict) -> dict:
    """Train one session (resuming from its last checkpoint) and return its statistics."""
    start = time.perf_counter()
    session_dir = Path(cfg.OUTPUT_DIR)
    session_dir.mkdir(parents=True, exist_ok=True)
    if cfg.SEED >= 0:
        seed_all_rng(cfg.SEED + comm.get_rank())
    trainer = SessionTrainer(cfg)
    trainer.resume_or_load(resume=True)
    trainable = count_trainable(trainer.model)
    logger.info("session %d: layers %s, %d trainable parameters, %d iterations from %s",
                session["index"], session["layers"], trainable, session["iters"],
                cfg.MODEL.WEIGHTS or "random init")
    trainer.train()
    wall = time.perf_counter() - start
    losses = [line["loss"] for line in read_loss_lines(session_dir / LOSSES)]
    steps_here = session["iters"] - trainer.start_iter
    loop = trainer.loss_recorder.loop_seconds
    tail = max(1, len(losses) // 10)
    sat = saturation_step(losses)
    return {
        "final_weights": str(session_dir / "model_final.pth"),
        "wall_time_s": round(wall, 3),
        "train_loop_s": round(loop, 3),
        "images_per_s": (round(steps_here * cfg.SOLVER.IMS_PER_BATCH / loop, 3)
                         if steps_here > 0 and loop > 0 else None),
        "avg_loss": float(np.mean(losses)) if losses else None,
        "final_loss": float(np.mean(losses[-tail:])) if losses else None,
        "trainable_params": trainable,
        "saturation_step": sat,
        "saturation_images_fraction": images_before(sat, cfg.SOLVER.IMS_PER_BATCH,
                                                    session["subset_images"]),
    }
