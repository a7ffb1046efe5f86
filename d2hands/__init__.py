"""d2hands: Detectron2-based hand instance segmentation trained mostly on synthetic images."""

__version__ = "0.1.0"

import warnings

# detectron2 (2024) scripts a few functions with torch.jit, which new torch flags on every import.
warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated",
                        category=FutureWarning)
