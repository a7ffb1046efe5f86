"""Repetitive training (Dadgar & Brunnett 2023): chained sessions on random subsets."""

from .chain import run_chain
from .layers import FREEZE_AT, count_trainable, parse_layer_spec
from .plan import PlanRequest, build_plan
from .saturation import saturation_step

__all__ = ["FREEZE_AT", "PlanRequest", "build_plan", "count_trainable", "parse_layer_spec",
           "run_chain", "saturation_step"]
