"""d2hands' config keys, added to detectron2's defaults the way its projects do it."""

from __future__ import annotations

import logging

from detectron2.config import CfgNode as CN

from .defaults import DEFAULT_SCORE_THRESH

logger = logging.getLogger(__name__)

# Meta-architectures that predict one hand/background mask per image (trained on ``sem_seg``).
SEMANTIC_ARCHITECTURES = ("HandsSemanticSegmentor", "SemanticSegmentor")


def is_semantic(cfg) -> bool:
    """Whether the config's model is a semantic (hand/background) segmenter."""
    return cfg.MODEL.META_ARCHITECTURE in SEMANTIC_ARCHITECTURES


def add_hands_config(cfg: CN) -> None:
    r"""Add d2hands' keys to a detectron2 config (in place).

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
        HANDS.SCORE_THRESH: the score from which a prediction is a hand (default 0.7, the
            paper's): the hand and pixel metrics of evaluation, ``HandsPredictor``,
            ``tools/predict.py`` and videos all use it (:func:`score_threshold`). COCO AP uses
            every prediction that ``MODEL.ROI_HEADS.SCORE_THRESH_TEST`` lets through.
        HANDS.FLIP_TTA: test-time augmentation for Mask R-CNN (detectron2's
            ``GeneralizedRCNNWithTTA`` at the test size, with a horizontal flip): boxes of both
            passes merged by NMS, masks averaged; about twice the inference time.
        HANDS.SUPPRESS_CONTAINED: a hand whose mask lies at least this fraction inside the
            masks of higher-scoring hands is dropped (a second detection or a fragment of a
            hand that box NMS kept); 0.0 (default): off. Every model-running tool and the ONNX
            and TorchScript runtimes apply it; see docs/METRICS.md.
        HANDS.EVAL_SCORE_THRESH: deprecated spelling of ``HANDS.SCORE_THRESH``; where set
            (not None) it still wins, with a note in the log.
        HANDS.EVAL_IOU_THRESH: minimum mask IoU of a prediction matched to a hand (default
            0.5). See docs/METRICS.md.
        HANDS.PARTIAL_WEIGHTS: ``MODEL.WEIGHTS`` initialises only part of the model (e.g. an
            ImageNet backbone) when training starts: its missing and unused parameters are
            expected. Off (default): any checkpoint that does not fit the model is refused.
        HANDS.PARTIAL_WEIGHTS_MUST_LOAD: with ``PARTIAL_WEIGHTS``, a regex of the model's
            parameter names that the weights must all set (default ``^backbone\.bottom_up\.``,
            the backbone's body): a checkpoint that loads less (another architecture's, with a
            few matching biases) is refused. Empty: at least one parameter must load.
        HANDS.CHECKPOINTS_KEPT: periodic checkpoints kept while a run or session trains
            (default 2, the last ones: what a resume needs); a finished one keeps none, only
            ``model_final.pth``.
        HANDS.KEEP_TRAINING_STATE: keep the optimizer state in ``model_final.pth`` (default
            off: a finished run keeps its weights, iteration and hook state, half the size).
        HANDS.COMPOSITE.*: compositing in the training loader (off by default): each image of
            the composited training sets becomes a background plus 0..K hands cut out of the
            training sets by their masks, each jittered; see d2hands/data/compositing and
            docs/COMPOSITING.md for every key.
        HANDS.SCALE_JITTER.*: large scale jitter (detectron2's ``ResizeScale`` +
            ``FixedSizeCrop``) in place of ``ResizeShortestEdge`` for training (off by default).
        MODEL.MOBILENET.OUT_FEATURES: stages of the MobileNetV2 body returned to the FPN
            (``stem`` stride 2, ``m2`` .. ``m5`` strides 4 .. 32); see d2hands/modeling.
        MODEL.MOBILENET.NORM: ``FrozenBN`` (default, for ImageNet weights), ``BN`` or ``GN``.
        MODEL.MOBILENET.WIDTH_MULT: torchvision's channel multiplier; ImageNet weights are 1.0.
        MODEL.UNET.*, HANDS.AUGMENT.*, HANDS.EARLY_STOP.*: the semantic models (U-Net,
            MobileUNet), the U-Net paper's augmentation set and early stopping; see
            :func:`add_unet_config` and docs/SEMANTIC.md.
    """
    # Renders and converted photos store RLE masks; detectron2 rasterises polygons either way.
    cfg.INPUT.MASK_FORMAT = "bitmask"
    cfg.DATASETS.REGISTER = []
    cfg.DATASETS.REPLICATION = []
    cfg.HANDS = CN()
    cfg.HANDS.SUBSET = []
    cfg.HANDS.SUBSET_DATASET = ""
    cfg.HANDS.SCORE_THRESH = DEFAULT_SCORE_THRESH
    cfg.HANDS.EVAL_SCORE_THRESH = None  # deprecated: HANDS.SCORE_THRESH
    cfg.HANDS.FLIP_TTA = False  # Mask R-CNN: also predict on the mirrored image and merge
    cfg.HANDS.SUPPRESS_CONTAINED = 0.0  # drop hands lying this much inside higher-scored ones
    cfg.HANDS.EVAL_IOU_THRESH = 0.5
    cfg.HANDS.TRAINABLE_REGEX = ""
    cfg.HANDS.PARTIAL_WEIGHTS = False
    cfg.HANDS.PARTIAL_WEIGHTS_MUST_LOAD = r"^backbone\.bottom_up\."
    cfg.HANDS.CHECKPOINTS_KEPT = 2
    cfg.HANDS.KEEP_TRAINING_STATE = False
    add_composite_config(cfg)
    add_unet_config(cfg)
    cfg.MODEL.MOBILENET = CN()
    cfg.MODEL.MOBILENET.OUT_FEATURES = ["m2", "m3", "m4", "m5"]
    cfg.MODEL.MOBILENET.NORM = "FrozenBN"
    cfg.MODEL.MOBILENET.WIDTH_MULT = 1.0


def score_threshold(cfg) -> float:
    """The score from which a prediction counts as a hand (``HANDS.SCORE_THRESH``).

    The deprecated ``HANDS.EVAL_SCORE_THRESH`` wins where a config or opts still set it.
    """
    hands = cfg.get("HANDS", {})
    old = hands.get("EVAL_SCORE_THRESH")
    if old is not None:
        logger.warning("HANDS.EVAL_SCORE_THRESH is deprecated: use HANDS.SCORE_THRESH")
        return float(old)
    return float(hands.get("SCORE_THRESH", DEFAULT_SCORE_THRESH))


def add_composite_config(cfg: CN) -> None:
    """Add ``HANDS.COMPOSITE``, ``HANDS.HARD_NEGATIVES`` and ``HANDS.SCALE_JITTER``.

    All three are documented in docs/COMPOSITING.md.
    """
    c = cfg.HANDS.COMPOSITE = CN()
    c.ENABLED = False
    c.PROB = 1.0  # share of the composited sets' images that become composites
    c.DATASETS = []  # training sets whose images are composited (empty: all)
    c.HAND_SOURCES = []  # training sets whose hands are pasted (empty: the composited sets)
    c.BACKGROUNDS = ["procedural"]  # folders, "procedural", "inpainted:<dataset>"
    c.SIZE = [320, 448]  # canvas height, width
    c.HANDS_PER_IMAGE = [1, 3]  # min, max pasted hands
    c.NEGATIVE_PROB = 0.1  # share of composites with no hand at all
    c.HAND_SIZE = [0.15, 0.6]  # longer side of a hand's box, as a fraction of the image height
    c.CLOSE_UP_PROB = 0.0  # per paste (hands and distractors): size from CLOSE_UP_SIZE instead
    c.CLOSE_UP_SIZE = [0.6, 0.95]  # like HAND_SIZE: a box's longer side / the image height
    c.ROTATION = [-90.0, 90.0]  # degrees
    c.FLIP_PROB = 0.5
    c.OUTSIDE = 0.3  # at most this fraction of a hand's box may lie outside the frame
    c.HUE = 8.0  # degrees, +-
    c.SATURATION = 0.25  # relative, +-
    c.BRIGHTNESS = 0.25  # relative, +-
    c.CONTRAST = 0.25  # relative, +-
    c.BLUR_PROB = 0.2  # per hand
    c.BLUR_SIGMA = [0.5, 1.5]
    c.FEATHER = 1.0  # sigma (px) of the pasted edge; 0: hard edges
    c.MIN_AREA = 64  # visible fragments below this many pixels are dropped
    c.NOISE_PROB = 0.3  # per image
    c.NOISE_SIGMA = [2.0, 8.0]
    c.JPEG_PROB = 0.3
    c.JPEG_QUALITY = [40, 95]
    c.GRAY_PROB = 0.05
    c.DISTRACTORS = [0, 0]  # min, max unlabelled non-hand cut-outs pasted like the hands
    c.DISTRACTOR_KINDS = ["blob", "silhouette", "skin blob"]  # drawn uniformly per distractor
    c.BLEND_MODES = ["feather"]  # per paste, drawn from: none, feather, gaussian, poisson
    c.MATCH_LIGHT = [0.0, 0.0]  # min, max share of the way a hand's lightness moves to its
    # surroundings' (and a third of that for its colour): 0 keeps the cut-out as it is
    n = cfg.HANDS.HARD_NEGATIVES = CN()
    n.DATASETS = []  # training sets whose records become hand-free crops of their photos
    n.CROP = [0.3, 0.6]  # min, max crop side (sqrt of w x h) / the photo's shorter side, >= 0.1
    n.MARGIN = 0.03  # gap kept around every hand, as a fraction of the photo's shorter side
    j = cfg.HANDS.SCALE_JITTER = CN()
    j.ENABLED = False
    j.MIN_SCALE = 0.3
    j.MAX_SCALE = 2.0
    j.SIZE = [320, 448]  # output height, width (crop or pad)


def add_unet_config(cfg: CN) -> None:
    """Add ``MODEL.UNET``, ``HANDS.AUGMENT`` and ``HANDS.EARLY_STOP`` (docs/SEMANTIC.md).

    Keys:
        SOLVER.OPTIMIZER: ``SGD`` (detectron2's, the default), ``ADAM`` or ``ADAMW``.
        MODEL.UNET.DEPTH / WIDTH / CONVS_PER_LEVEL: poolings, channels of the first level and
            3x3 convs per level of the U-Net encoder (the decoder mirrors it).
        MODEL.UNET.NORM / DROPOUT: norm after each conv (``""``, ``BN``, ``GN``) and dropout
            after each conv's ReLU, in encoder and decoder (the MobileUNet's decoder too).
        MODEL.UNET.MASK_THRESHOLD / MIN_INSTANCE_AREA / MIN_INSTANCE_FRACTION: inference
            turns the pixels whose hand probability exceeds the threshold into instances, one
            per connected component of at least ``MIN_INSTANCE_AREA`` pixels and at least
            ``MIN_INSTANCE_FRACTION`` of the image's area (chosen on the validation photos by
            ``experiments/choose_min_instance_fraction.py``).
        MODEL.UNET.FROZEN_INFERENCE: on CPU, run inference through a frozen, oneDNN-optimised
            TorchScript graph (same outputs; the MobileUNet 1.4-1.6x faster), re-made when
            the weights change.
        HANDS.AUGMENT.*: the U-Net paper's augmentation set, each transform applied with
            ``PROB``: random crop (keeping at least ``CROP`` of each side), rotation within
            +-``ROTATION`` degrees, Gaussian noise (``NOISE_SIGMA``, 0-255 scale) and Gaussian
            blur (``BLUR_SIGMA`` range); the flip is ``INPUT.RANDOM_FLIP``'s.
        HANDS.EARLY_STOP.*: every ``PERIOD`` iterations the validation loss on ``DATASET``
            (empty: the first of ``DATASETS.TEST``); training stops after ``PATIENCE``
            evaluations without an improvement of more than ``MIN_DELTA``, and the weights of
            the lowest loss are restored (``model_best.pth``, then ``model_final.pth``).
    """
    cfg.SOLVER.OPTIMIZER = "SGD"  # or "ADAM", "ADAMW" (d2hands.engine.optimizer)
    u = cfg.MODEL.UNET = CN()
    u.DEPTH = 4
    u.WIDTH = 32
    u.CONVS_PER_LEVEL = 2
    u.NORM = ""
    u.DROPOUT = 0.0
    u.MASK_THRESHOLD = 0.5
    u.MIN_INSTANCE_AREA = 0
    u.MIN_INSTANCE_FRACTION = 0.02  # chosen on val5: experiments/choose_min_instance_fraction.py
    u.FROZEN_INFERENCE = True
    a = cfg.HANDS.AUGMENT = CN()
    a.ENABLED = False
    a.PROB = 0.5
    a.CROP = 0.8
    a.ROTATION = 15.0
    a.NOISE_SIGMA = 10.0
    a.BLUR_SIGMA = [0.5, 1.5]
    e = cfg.HANDS.EARLY_STOP = CN()
    e.ENABLED = False
    e.DATASET = ""
    e.PERIOD = 100
    e.PATIENCE = 5
    e.MIN_DELTA = 0.0
