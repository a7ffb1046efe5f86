"""Run a network's inference through a frozen TorchScript graph, re-made when weights change.

On CPU, a MobileNetV2 or U-Net spends much of its time on batch-norm and activation ops that
eager PyTorch runs one by one. ``torch.jit.freeze`` + ``torch.jit.optimize_for_inference`` fold
the batch norms into the convolutions and fuse the activations (oneDNN), which is what makes
the MobileUNet run at video rate on 2 cores (``docs/BENCHMARKS.md``). The graph is traced per
input shape and dropped whenever a parameter or buffer changes (an optimizer step, a loaded
checkpoint, batch-norm statistics), so callers never see stale weights. Where tracing fails the
module runs eagerly, with one warning.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import torch
from torch import nn

logger = logging.getLogger(__name__)


def weights_stamp(module: nn.Module) -> tuple:
    """What changes whenever any parameter or buffer of ``module`` is modified or replaced."""
    tensors = [*module.parameters(), *module.buffers()]
    return tuple((t.data_ptr(), t._version) for t in tensors)


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
        self.stamp: tuple | None = None
        self.failed = False

    def usable(self, x: torch.Tensor) -> bool:
        """Whether ``x`` may go through a frozen graph: eval mode and no gradients wanted."""
        return (not self.failed and not self.module.training and x.device.type == "cpu"
                and not (torch.is_grad_enabled() and x.requires_grad))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``function(module, x)``, through the frozen graph for ``x``'s shape when possible."""
        if not self.usable(x):
            return self.function(self.module, x)
        stamp = weights_stamp(self.module)
        if stamp != self.stamp:
            self.graphs.clear()
            self.stamp = stamp
        key = (tuple(x.shape), x.dtype)
        graph = self.graphs.get(key)
        if graph is None:
            graph = self.trace(x)
            if graph is None:
                return self.function(self.module, x)
            self.graphs[key] = graph
        return graph(x)

    def trace(self, x: torch.Tensor) -> torch.jit.ScriptModule | None:
        """Trace, freeze and optimise ``function`` for ``x``; ``None`` (and eager) if it fails."""
        wrapper = _Bound(self.module, self.function).eval()
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")  # trace and deprecation warnings
                graph = torch.jit.trace(wrapper, x, check_trace=False)
                return torch.jit.optimize_for_inference(torch.jit.freeze(graph))
        except Exception as error:  # noqa: BLE001  (any failure: run eagerly instead)
            self.failed = True
            logger.warning("running %s eagerly: freezing its graph failed (%s)",
                           type(self.module).__name__, error)
            return None


class _Bound(nn.Module):
    """``function(module, x)`` as a module, so that TorchScript can trace and freeze it."""

    def __init__(self, module: nn.Module, function: Callable):
        super().__init__()
        self.inner = module
        self.function = function

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.function(self.inner, x)
