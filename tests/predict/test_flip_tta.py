"""Flip test-time augmentation (``HANDS.FLIP_TTA``): mirror-consistent, Mask R-CNN only."""

import cv2
import numpy as np
import pytest
from conftest import ROOT


@pytest.mark.slow
def test_flip_tta_finds_the_same_hands_in_an_image_and_its_mirror(real_data):
    from d2hands import HandsPredictor

    predictor = HandsPredictor.default(["HANDS.FLIP_TTA", "True"], score_thresh=0.5)
    photo = cv2.imread(str(sorted((real_data / "fist_100" / "images").glob("*.jpg"))[0]))
    found = predictor(photo).union()
    mirrored = predictor(np.ascontiguousarray(photo[:, ::-1])).union()[:, ::-1]
    assert found.any()
    # Both passes see the image and its mirror; only resize rounding may differ.
    assert (found & mirrored).sum() / (found | mirrored).sum() >= 0.95


def test_flip_tta_is_refused_for_a_semantic_model(tmp_path):
    import torch
    from detectron2.modeling import build_model

    from d2hands import HandsPredictor
    from d2hands.engine import build_cfg
    from d2hands.errors import ConfigError

    config = str(ROOT / "configs" / "mobileunet_cpu.yaml")
    torch.save({"model": build_model(build_cfg(config)).state_dict()}, tmp_path / "w.pth")
    with pytest.raises(ConfigError, match="FLIP_TTA works for Mask R-CNN models only"):
        HandsPredictor.from_config(config, str(tmp_path / "w.pth"), ["HANDS.FLIP_TTA", "True"])
