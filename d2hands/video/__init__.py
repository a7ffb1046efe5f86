"""Predictions on videos and image sequences: frame sources, safe writers, the annotate loop."""
