"""d2hands' models: importing this package registers its backbones, heads and architectures."""

from .components import component_instances
from .mobilenet import (
    STAGES,
    MobileNetV2Body,
    MobileNetV2Encoder,
    build_mobilenetv2_backbone,
    build_mobilenetv2_encoder_backbone,
    build_mobilenetv2_fpn_backbone,
)
from .mobilenet_weights import WeightsConversionError, convert_state_dict, unwrap_state_dict
from .semantic import HandsSemanticSegmentor
from .unet import UNetEncoder, build_unet_backbone
from .unet_head import UNetHead

__all__ = ["STAGES", "HandsSemanticSegmentor", "MobileNetV2Body", "MobileNetV2Encoder",
           "UNetEncoder", "UNetHead", "WeightsConversionError", "build_mobilenetv2_backbone",
           "build_mobilenetv2_encoder_backbone",
           "build_mobilenetv2_fpn_backbone", "build_unet_backbone", "component_instances",
           "convert_state_dict", "unwrap_state_dict"]
