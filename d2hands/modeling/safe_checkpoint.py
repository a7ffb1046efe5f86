"""Read checkpoint files without running code from them.

``.pth`` (and pycls ``.pyth``) files go through ``torch.load(weights_only=True)``; detectron2's
``.pkl`` model-zoo files through an unpickler that builds numpy arrays, numbers, strings and
plain containers only (what those files hold). Anything else in a ``.pkl`` (a function to call,
a class to build) is refused before it runs. detectron2's own ``_load_file`` uses
``pickle.load`` for ``.pkl`` files, so every load goes through :func:`read_checkpoint` instead.
"""

from __future__ import annotations

import io
import pickle
import re

import torch

from ..errors import ModelLoadError, UnsafeFileError

# (module, name) a model-zoo .pkl may name: numpy's array and dtype rebuilders, OrderedDict,
# and _codecs.encode, which Python 3 pickles of bytes use (protocol 2).
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("collections", "OrderedDict"), ("_codecs", "encode"),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers; refuses every other global."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise UnsafeFileError(f"it names the Python object {module}.{name}")
        if module == "collections":
            import collections
            return getattr(collections, name)
        if module == "_codecs":
            import _codecs
            return getattr(_codecs, name)
        import numpy
        if name in ("ndarray", "dtype"):
            return getattr(numpy, name)
        from numpy.core import multiarray  # numpy 2 keeps numpy.core as an alias
        return getattr(multiarray, name)


def load_pickled_arrays(data: bytes):
    """Unpickle ``data`` admitting only numpy arrays, numbers, strings and containers.

    Raises:
        UnsafeFileError: If the pickle names any other Python object (nothing of it runs).

    """
    return _ArraysOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


def _zoo_pkl(filename: str) -> dict:
    """detectron2's reading of a ``.pkl`` (model zoo or Caffe2 format), minus ``pickle.load``."""
    with open(filename, "rb") as handle:
        raw = handle.read()
    try:
        data = load_pickled_arrays(raw)
    except UnsafeFileError as exc:
        raise UnsafeFileError(
            f"checkpoint {filename} was refused: {exc}, and loading it could run code. A .pkl "
            "checkpoint may hold only numpy arrays, numbers and strings in dicts and lists, as "
            "detectron2's model-zoo files do; a .pth file written by torch.save loads safely"
        ) from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"checkpoint {filename} holds a {type(data).__name__}, not a dict "
                             "of weights")
    if "model" in data and "__author__" in data:
        return data
    if "blobs" in data:
        data = data["blobs"]
    if not isinstance(data, dict):
        raise ModelLoadError(f"checkpoint {filename}: its 'blobs' are not a dict of weights")
    data = {k: v for k, v in data.items() if not str(k).endswith("_momentum")}
    return {"model": data, "__author__": "Caffe2", "matching_heuristics": True}


def read_checkpoint(filename: str) -> dict:
    """Read a checkpoint file as detectron2's checkpointer would, but never run code from it.

    Returns:
        A dict with ``"model"`` (a state dict of tensors or arrays) and any other entries.

    Raises:
        UnsafeFileError: A ``.pkl`` that names a Python object other than a numpy array, or a
            ``.pth`` that torch's weights-only loader refuses for the same reason.
        ModelLoadError: A file that is not a checkpoint.

    """
    if filename.endswith(".pkl"):
        return _zoo_pkl(filename)
    try:
        loaded = torch.load(filename, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if found is None:  # not a pickle at all, or a corrupt one
            raise ModelLoadError(f"cannot load weights {filename}: it is not a checkpoint torch "
                                 "can read") from None
        raise UnsafeFileError(
            f"checkpoint {filename} was refused: it names the Python object {found.group(1)}, "
            "and loading it could run code (torch's weights-only loader admits tensors, "
            "numbers and plain containers)") from None
    if not isinstance(loaded, dict):
        raise ModelLoadError(f"checkpoint {filename} holds a {type(loaded).__name__}, not a "
                             "dict of weights")
    if filename.endswith(".pyth"):  # pycls
        if "model_state" not in loaded:
            raise ModelLoadError(f"pycls checkpoint {filename} has no 'model_state'")
        state = {k: v for k, v in loaded["model_state"].items()
                 if not k.endswith("num_batches_tracked")}
        return {"model": state, "__author__": "pycls", "matching_heuristics": True}
    if "model" not in loaded:
        loaded = {"model": loaded}
    return loaded
