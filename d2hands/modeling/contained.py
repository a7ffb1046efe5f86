"""Drop detections that lie inside higher-scoring ones (``HANDS.SUPPRESS_CONTAINED``).

Box NMS keeps a second box on a hand when the boxes differ enough: a detection of the palm or
of two fingers inside a detection of the whole hand. Their masks say what the boxes do not:
the smaller one lies inside the larger. The filter is the numpy one of
:meth:`d2hands.runtime.hands.Hands.without_contained`, so that a PyTorch model and its ONNX
or TorchScript export keep the same hands.
"""

from __future__ import annotations

from torch import nn

from ..errors import ConfigError
from ..runtime.hands import Hands, is_contained_fraction


def contained_fraction(cfg) -> float:
    """``HANDS.SUPPRESS_CONTAINED`` of ``cfg`` (0 where the config has none).

    Raises:
        ConfigError: If it is not a number in [0, 1].

    """
    value = cfg.get("HANDS", {}).get("SUPPRESS_CONTAINED", 0.0)
    if not is_contained_fraction(value):
        raise ConfigError(f"HANDS.SUPPRESS_CONTAINED must be a number in [0, 1] (0.0: off), "
                          f"got {value!r}")
    return float(value)


def suppress_contained(instances, fraction: float):
    """``instances`` (detectron2, one image) less the hands inside higher-scoring ones."""
    if fraction <= 0 or len(instances) < 2 or not instances.has("pred_masks"):
        return instances
    on_cpu = instances.to("cpu")
    kept = Hands.from_instances(on_cpu).without_contained(fraction)
    if len(kept) == len(instances):
        return instances
    # from_instances sorted by score; the kept Instances come back in that order
    return kept.instances.to(instances.pred_masks.device)


class SuppressContained(nn.Module):
    """A model whose outputs' ``instances`` are passed through :func:`suppress_contained`.

    Args:
        model: A detectron2 model in eval mode (or a test-time augmentation wrapper).
        fraction: ``HANDS.SUPPRESS_CONTAINED``, in (0, 1].

    """

    def __init__(self, model: nn.Module, fraction: float):
        super().__init__()
        self.model = model
        self.fraction = fraction

    def forward(self, batched_inputs):  # noqa: D102 - the wrapped model's
        outputs = self.model(batched_inputs)
        if self.training:
            return outputs
        for out in outputs:
            if "instances" in out:
                out["instances"] = suppress_contained(out["instances"], self.fraction)
        return outputs

    def __getattr__(self, name):
        """Attributes the wrapped model has (``roi_heads``, ``device``, ...) pass through."""
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(super().__getattr__("model"), name)

