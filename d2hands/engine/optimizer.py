"""``SOLVER.OPTIMIZER``: detectron2's SGD, or Adam / AdamW (the U-Net paper trains with Adam)."""

from __future__ import annotations

import torch
from detectron2.solver import build_optimizer as build_sgd
from detectron2.solver.build import get_default_optimizer_params, maybe_add_gradient_clipping

from ..errors import HandsError

OPTIMIZERS = ("SGD", "ADAM", "ADAMW")


def build_optimizer(cfg, model: torch.nn.Module) -> torch.optim.Optimizer:
    """The optimizer of ``SOLVER.OPTIMIZER`` over the model's trainable parameters.

    SGD is detectron2's own (momentum, Nesterov, per-group weight decay). Adam and AdamW take
    ``BASE_LR`` and ``WEIGHT_DECAY`` with detectron2's per-group settings (norm and bias decay,
    bias lr factor) and its gradient clipping.

    Raises:
        HandsError: for an unknown optimizer name.
    """
    name = str(cfg.SOLVER.OPTIMIZER).upper()
    if name not in OPTIMIZERS:
        raise HandsError(f"SOLVER.OPTIMIZER must be one of {', '.join(OPTIMIZERS)}, got "
                         f"{cfg.SOLVER.OPTIMIZER!r}")
    if name == "SGD":
        return build_sgd(cfg, model)
    params = get_default_optimizer_params(
        model, base_lr=cfg.SOLVER.BASE_LR, weight_decay_norm=cfg.SOLVER.WEIGHT_DECAY_NORM,
        bias_lr_factor=cfg.SOLVER.BIAS_LR_FACTOR, weight_decay_bias=cfg.SOLVER.WEIGHT_DECAY_BIAS)
    optimizer = torch.optim.Adam if name == "ADAM" else torch.optim.AdamW
    return maybe_add_gradient_clipping(
        cfg, optimizer(params, lr=cfg.SOLVER.BASE_LR, weight_decay=cfg.SOLVER.WEIGHT_DECAY))
