"""Run a network's inference through a frozen TorchScript graph, re-made when weights change.

On CPU, a MobileNetV2 or U-Net spends much of its time on batch-norm and activation ops that
eager PyTorch runs one by one. ``torch.jit.freeze`` + ``torch.jit.optimize_for_inference`` fold
the batch norms into the convolutions and fuse the activations (oneDNN), which is what makes
the MobileUNet run at video rate on 2 cores (``docs/BENCHMARKS.md``). The graph is traced per
input shape and dropped whenever a parameter or buffer changes (an optimizer step, a loaded
checkpoint, batch-norm statistics), so callers never see stale weights. Where tracing fails the
module runs eagerly, with one warning. Only inference without gradients, with every
submodule in eval mode, on CPU, goes through a graph; anything else runs eagerly.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import torch
from torch import nn

logger = logging.getLogger(__name__)


MAX_GRAPHS = 8  # input shapes kept; each graph holds its own copy of the weights


def weights_stamp(module: nn.Module) -> list[tuple[torch.Tensor, int]]:
    """Every parameter and buffer of ``module`` with its version counter.

    In-place updates (optimizer steps, ``load_state_dict``, batch-norm statistics) bump the
    counter; replaced tensors are new objects. Edits through ``.data`` are not seen.
    """
    return [(t, t._version) for t in (*module.parameters(), *module.buffers())]


def same_stamp(a: list | None, b: list) -> bool:
    """Whether two stamps name the same tensors at the same versions."""
    return a is not None and len(a) == len(b) and all(
        ta is tb and va == vb for (ta, va), (tb, vb) in zip(a, b, strict=True))


class FrozenInference:
    """A cache of frozen, inference-optimised graphs of ``function(module, x)``, one per shape.

    Args:
        module: the module whose weights ``function`` uses (traced in eval mode).
        function: ``(module, tensor) -> tensor``, pure tensor code.
    """

    def __init__(self, module: nn.Module, function: Callable[[nn.Module, torch.Tensor],
                                                             torch.Tensor]):
        self.module = module
        self.function = function
        self.graphs: dict[tuple, torch.jit.ScriptModule] = {}
        self.stamp: list | None = None
        self.failed = False

    def __getstate__(self) -> dict:
        """Pickle without the graphs (TorchScript modules do not pickle); they are re-made."""
        return {**self.__dict__, "graphs": {}, "stamp": None}

    def usable(self, x: torch.Tensor) -> bool:
        """Whether ``x`` may go through a frozen graph: CPU, no gradients, every module in eval."""
        return (not self.failed and x.device.type == "cpu" and not torch.is_grad_enabled()
                and not any(m.training for m in self.module.modules()))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``function(module, x)``, through the frozen graph for ``x``'s shape when possible."""
        if not self.usable(x):
            return self.function(self.module, x)
        graph = self.graph_for(x)
        return self.function(self.module, x) if graph is None else graph(x)

    def graph_for(self, x: torch.Tensor) -> torch.jit.ScriptModule | None:
        """The current graph for ``x``'s shape (traced if needed), or ``None`` to run eagerly."""
        try:
            stamp = weights_stamp(self.module)
        except RuntimeError as error:  # e.g. weights made under inference_mode have no version
            return self.give_up(error)
        if not same_stamp(self.stamp, stamp):
            self.graphs.clear()
            self.stamp = stamp
        key = (tuple(x.shape), x.dtype)
        if key not in self.graphs:
            graph = self.trace(x)
            if graph is None:
                return None
            if len(self.graphs) >= MAX_GRAPHS:
                self.graphs.pop(next(iter(self.graphs)))
            self.graphs[key] = graph
        return self.graphs[key]

    def trace(self, x: torch.Tensor) -> torch.jit.ScriptModule | None:
        """Trace, freeze and optimise ``function`` for ``x``; ``None`` (and eager) if it fails."""
        wrapper = _Bound(self.module, self.function)
        wrapper.training = False  # the module is in eval mode already (usable); freeze checks
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")  # trace and deprecation warnings
                graph = torch.jit.trace(wrapper, x, check_trace=False)
                return torch.jit.optimize_for_inference(torch.jit.freeze(graph))
        except Exception as error:  # noqa: BLE001  (any failure: run eagerly instead)
            return self.give_up(error)

    def give_up(self, error: Exception) -> None:
        """Run eagerly from now on, after one warning."""
        self.failed = True
        logger.warning("running %s eagerly: freezing its graph failed (%s)",
                       type(self.module).__name__, error)


class _Bound(nn.Module):
    """``function(module, x)`` as a module, so that TorchScript can trace and freeze it."""

    def __init__(self, module: nn.Module, function: Callable):
        super().__init__()
        self.inner = module
        self.function = function

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.function(self.inner, x)
