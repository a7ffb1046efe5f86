"""Build a frozen config from a file plus ``KEY VALUE`` opts, register its datasets."""

from __future__ import annotations

import logging

from detectron2.config import get_cfg
from detectron2.engine import default_setup

from .. import modeling  # noqa: F401  (registers the MobileNetV2 backbones)
from ..config import add_hands_config
from ..data.registration import choose_mask_format, register_datasets_from_cfg

logger = logging.getLogger(__name__)


def build_cfg(config_file: str = "", opts: list[str] | None = None, freeze: bool = True):
    """Return detectron2's defaults + d2hands' keys, merged with a file and opts.

    The datasets the config declares are registered and validated here, and
    ``INPUT.MASK_FORMAT`` becomes ``bitmask`` when any of them stores RLE masks.

    Args:
        config_file: a yacs YAML file (may use ``_BASE_``); empty for the defaults.
        opts: trailing ``KEY VALUE`` pairs, as detectron2's tools take them.
        freeze: freeze the returned config.

    """
    cfg = get_cfg()
    add_hands_config(cfg)
    if config_file:
        cfg.merge_from_file(config_file)
    cfg.merge_from_list(list(opts or []))
    register_datasets_from_cfg(cfg)
    mask_format = choose_mask_format(cfg)
    if mask_format != cfg.INPUT.MASK_FORMAT:
        logger.info("INPUT.MASK_FORMAT set to %s: the datasets store RLE masks", mask_format)
        cfg.INPUT.MASK_FORMAT = mask_format
    if freeze:
        cfg.freeze()
    return cfg


def setup(args):
    """Config for a tool run from detectron2-style ``args`` (also logging and the output dir)."""
    cfg = build_cfg(args.config_file, args.opts)
    default_setup(cfg, args)
    return cfg
