"""d2hands' models: importing this package registers its backbones with detectron2."""

from .mobilenet import (
    STAGES,
    MobileNetV2Body,
    build_mobilenetv2_backbone,
    build_mobilenetv2_fpn_backbone,
)
from .mobilenet_weights import WeightsConversionError, convert_state_dict, unwrap_state_dict

__all__ = ["STAGES", "MobileNetV2Body", "WeightsConversionError", "build_mobilenetv2_backbone",
           "build_mobilenetv2_fpn_backbone", "convert_state_dict", "unwrap_state_dict"]
