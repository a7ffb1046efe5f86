"""Training entry points: config set-up and the DefaultTrainer subclass."""

from .setup import build_cfg, setup
from .trainer import HandsTrainer

__all__ = ["HandsTrainer", "build_cfg", "setup"]
