"""Use a trained model: ``HandsPredictor`` (Python) and what ``tools/predict.py`` writes."""

from ..runtime.hands import Hands
from .predictor import HandsPredictor

__all__ = ["Hands", "HandsPredictor"]
