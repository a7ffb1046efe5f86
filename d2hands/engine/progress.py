"""A progress bar over a trainer's steps (tqdm; shown on a terminal, silent in logs and CI)."""

from __future__ import annotations

from detectron2.engine import HookBase
from tqdm import tqdm


class ProgressBar(HookBase):
    """One tqdm bar per training run, with the latest total loss."""

    def __init__(self, description: str = "train"):
        self.description = description
        self._bar = None

    def before_train(self):
        """Open the bar at the step training starts (or resumes) from."""
        trainer = self.trainer
        self._bar = tqdm(total=trainer.max_iter, initial=trainer.start_iter,
                         desc=self.description, unit="step", leave=False, disable=None,
                         dynamic_ncols=True)

    def after_step(self):
        """Advance by one step; show the loss every 20 steps."""
        self._bar.update(1)
        if self.trainer.iter % 20 == 0:
            history = self.trainer.storage.history("total_loss")
            if history.values():
                self._bar.set_postfix(loss=f"{history.latest():.3f}", refresh=False)

    def after_train(self):
        """Close the bar."""
        if self._bar is not None:
            self._bar.close()
