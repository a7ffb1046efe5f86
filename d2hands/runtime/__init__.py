"""Run an exported hands model with numpy, OpenCV and ONNX Runtime only: no detectron2.

    from d2hands.runtime import ExportedPredictor
    predictor = ExportedPredictor("hands.onnx")       # from tools/export_model.py --format onnx
    hands = predictor(cv2.imread("photo.jpg"))        # hands.masks, hands.boxes, hands.scores

The pre- and post-processing here (resizing, mask pasting, connected components) are the same
arithmetic as detectron2's, so an exported model finds the masks the PyTorch model finds.
"""

from .exported import ExportedPredictor, ExportError
from .hands import Hands

__all__ = ["ExportError", "ExportedPredictor", "Hands"]
