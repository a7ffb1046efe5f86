"""Lazy exports (torch-free): a package names what it offers without importing it yet.

A package whose heavy parts (torch, detectron2) should load only on first use sets::

    __getattr__ = lazy_getattr(__name__, {"load_hands_coco": ".coco_hands"})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_getattr(package: str, exports: dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports each exported name from its module on first use.

    Args:
        package: the package's ``__name__``; relative module names are resolved against it.
        exports: exported name -> module that defines it (``".coco_hands"``).

    Returns:
        The function to assign to the package's ``__getattr__`` (PEP 562); any other name
        raises ``AttributeError`` as a plain module would.
    """

    def __getattr__(name: str) -> object:
        if name in exports:
            return getattr(importlib.import_module(exports[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
