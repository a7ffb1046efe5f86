"""Defaults shared by the torch-free and the detectron2 sides (no imports)."""

# What counts as a hand: the paper's score threshold, for evaluation, videos and predict alike
# (``HANDS.SCORE_THRESH``; ``d2hands.config.score_threshold`` reads it from a config).
DEFAULT_SCORE_THRESH = 0.7
