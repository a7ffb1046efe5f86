"""d2hands' config keys, added to detectron2's defaults the way its projects do it."""

from __future__ import annotations

from detectron2.config import CfgNode as CN


def add_hands_config(cfg: CN) -> None:
    """Add d2hands' keys to a detectron2 config (in place).

    Keys:
        INPUT.MASK_FORMAT: ``bitmask`` (detectron2's default is ``polygon``): d2hands datasets
            store RLE masks. The training loader switches a ``polygon`` config to bitmasks by
            itself when a training set stores RLE.
        DATASETS.REGISTER: ``[[name, annotations.json, image_root], ...]`` registered by every
            tool and every spawned worker before training; relative paths resolve against the
            working directory.
        DATASETS.REPLICATION: ``[[name, factor], ...]``: each image of a training set is drawn
            ``factor`` times as often (stochastic rounding of fractional factors).
        HANDS.SUBSET: ``[index, count, seed]`` trains on subset ``index`` (0-based) of ``count``
            seeded random subsets of ``HANDS.SUBSET_DATASET`` (default: the first training set);
            the other training sets are used whole. Empty: every set whole. Repetitive training
            sets this per session.
        HANDS.TRAINABLE_REGEX: if set, exactly the parameters whose names match it are trained
            (the ``re:`` layer spec of repetitive training); empty: ``FREEZE_AT`` decides.
        HANDS.EVAL_SCORE_THRESH: minimum score of a prediction for the hand and pixel metrics
            of ``HandsEvaluator`` (default 0.7, the paper's); COCO AP uses every prediction
            that ``MODEL.ROI_HEADS.SCORE_THRESH_TEST`` lets through.
        HANDS.EVAL_IOU_THRESH: minimum mask IoU of a prediction matched to a hand (default
            0.5). See docs/METRICS.md.
        HANDS.PARTIAL_WEIGHTS: ``MODEL.WEIGHTS`` initialises only part of the model (e.g. an
            ImageNet backbone) when training starts: its missing and unused parameters are
            expected. Off (default): any checkpoint that does not fit the model is refused.
        MODEL.MOBILENET.OUT_FEATURES: stages of the MobileNetV2 body returned to the FPN
            (``stem`` stride 2, ``m2`` .. ``m5`` strides 4 .. 32); see d2hands/modeling.
        MODEL.MOBILENET.NORM: ``FrozenBN`` (default, for ImageNet weights), ``BN`` or ``GN``.
        MODEL.MOBILENET.WIDTH_MULT: torchvision's channel multiplier; ImageNet weights are 1.0.
    """
    # Renders and converted photos store RLE masks; detectron2 rasterises polygons either way.
    cfg.INPUT.MASK_FORMAT = "bitmask"
    cfg.DATASETS.REGISTER = []
    cfg.DATASETS.REPLICATION = []
    cfg.HANDS = CN()
    cfg.HANDS.SUBSET = []
    cfg.HANDS.SUBSET_DATASET = ""
    cfg.HANDS.EVAL_SCORE_THRESH = 0.7
    cfg.HANDS.EVAL_IOU_THRESH = 0.5
    cfg.HANDS.TRAINABLE_REGEX = ""
    cfg.HANDS.PARTIAL_WEIGHTS = False
    cfg.MODEL.MOBILENET = CN()
    cfg.MODEL.MOBILENET.OUT_FEATURES = ["m2", "m3", "m4", "m5"]
    cfg.MODEL.MOBILENET.NORM = "FrozenBN"
    cfg.MODEL.MOBILENET.WIDTH_MULT = 1.0
