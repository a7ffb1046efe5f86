"""Synthetic hand renders (runs inside Blender's Python; never imports torch or detectron2)."""
