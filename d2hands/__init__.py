"""d2hands: Detectron2-based hand instance segmentation trained mostly on synthetic images.

    from d2hands import HandsPredictor
    hands = HandsPredictor.default()(cv2.imread("photo.jpg"))
"""

import logging
import warnings

from .lazy import lazy_getattr

__version__ = "0.1.0"
__all__ = ["Hands", "HandsPredictor"]

# detectron2 (2024) scripts a few functions with torch.jit, which new torch flags on every import.
warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated",
                        category=FutureWarning)
# detectron2's anchor generator calls torch.meshgrid without ``indexing`` (its result is the same).
warnings.filterwarnings("ignore", message=r"torch\.meshgrid: in an upcoming release",
                        category=UserWarning)
# torch warns on CPU-only machines that have a CUDA_HOME folder (detectron2's collect_env asks).
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
# torch notes, once per process, that detectron2's is_fx_tracing() covers torch.export too.
logging.getLogger("torch.fx._symbolic_trace").setLevel(logging.ERROR)

# Imported on first use: ``import d2hands`` stays free of torch and detectron2.
__getattr__ = lazy_getattr(__name__, {name: ".predict" for name in __all__})
