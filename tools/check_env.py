"""Check that the environment can run d2hands; print one clear line per problem.

Run by ``make setup`` after installation. Exit status 1 if anything is missing.
"""

from __future__ import annotations

import sys


def check_torchvision_ops() -> str | None:
    """Return an error message if torchvision's compiled ops cannot run, else None."""
    try:
        import torch
        import torchvision
        from torchvision.ops import nms
    except Exception as exc:  # noqa: BLE001 - any import failure is reported the same way
        return f"torch/torchvision do not import: {exc}"
    try:
        boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0]])
        nms(boxes, torch.tensor([0.9, 0.8]), 0.5)
    except Exception as exc:  # noqa: BLE001
        return (
            f"torchvision.ops.nms does not run (torch {torch.__version__}, torchvision "
            f"{torchvision.__version__}): {exc}. torch and torchvision must be builds made for "
            "each other: install both from PyPI, never a local '+cpu' torch wheel with PyPI's "
            "torchvision (make setup clears PIP_FIND_LINKS for this reason)."
        )
    return None


def check_import(module: str, hint: str) -> str | None:
    """Return an error message if ``module`` does not import, else None."""
    try:
        __import__(module)
    except Exception as exc:  # noqa: BLE001
        return f"{module} does not import ({exc}); {hint}"
    return None


def main() -> int:
    """Run every check; return the process exit status."""
    problems = [
        check_torchvision_ops(),
        check_import("detectron2.modeling", "run: python tools/install_detectron2.py --force"),
        check_import("pycocotools.mask", "pip install pycocotools"),
        check_import("cv2", "pip install opencv-python-headless"),
    ]
    problems = [p for p in problems if p]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print("environment ok: torch, torchvision ops, detectron2, pycocotools, OpenCV")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
