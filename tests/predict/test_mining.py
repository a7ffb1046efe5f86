"""Mined negatives: crops around false detections (tools/mine_negatives.py)."""

import copy
import json
import subprocess
import sys

import cv2
import numpy as np
from conftest import ROOT, tool_env
from pycocotools import mask as mask_utils

from d2hands.predict.mining import MiningSource, context_window, false_detections, mine_negatives
from d2hands.runtime.hands import Hands


def rect(top, bottom, left, right, shape=(100, 120)):
    mask = np.zeros(shape, bool)
    mask[top:bottom, left:right] = True
    return mask


def hands_of(masks, scores):
    boxes = []
    for mask in masks:
        ys, xs = np.nonzero(mask)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    return Hands(masks=np.array(masks), boxes=np.array(boxes, np.float32),
                 scores=np.array(scores, np.float32))


HAND = rect(20, 50, 20, 50)
DETECTIONS = [HAND, rect(60, 80, 80, 110), rect(35, 65, 35, 50), rect(55, 65, 10, 20)]
SCORES = [0.9, 0.8, 0.7, 0.6]  # the hand; off it; half on it; off it, beside it


def test_false_detections_are_those_off_the_hands():
    found = hands_of(DETECTIONS, SCORES)
    assert false_detections(found, [HAND]) == [1, 3]
    assert false_detections(found, []) == [0, 1, 2, 3]  # a hand-free image: every one


def test_context_windows_stay_inside_the_image():
    assert context_window(np.array([80, 60, 110, 80]), 2.0, 100, 120) == (56, 36, 120, 100)
    assert context_window(np.array([40, 40, 60, 60]), 2.0, 100, 120, min_side=8) == (
        30, 30, 70, 70)
    assert context_window(np.array([0, 0, 100, 90]), 3.0, 100, 120) == (0, 0, 120, 100)


class FixedPredictor:
    def __call__(self, image):
        return hands_of(DETECTIONS, SCORES)


CROWD = rect(80, 90, 0, 10)


def test_crops_are_written_with_the_hands_inside_them(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (100, 120, 3), dtype=np.uint8)
    source = MiningSource("a", image, [HAND], [CROWD])
    path, crops, mined = mine_negatives(FixedPredictor(), [source], tmp_path)
    coco = json.loads(path.read_text())
    assert (crops, mined) == (2, 1)
    first, second = coco["images"]  # by score: detection 1, then detection 3
    # Each side at least half the photo's shorter side (50 px), else twice the box's.
    assert (first["width"], first["height"]) == (60, 50)
    assert np.array_equal(cv2.imread(str(tmp_path / first["file_name"])), image[45:95, 60:120])
    assert np.array_equal(cv2.imread(str(tmp_path / second["file_name"])), image[35:85, 0:50])
    hand, crowd = coco["annotations"]  # only the second crop holds part of the hand, the crowd
    assert hand["image_id"] == crowd["image_id"] == second["id"]
    assert (hand["iscrowd"], crowd["iscrowd"]) == (0, 1)
    assert np.array_equal(mask_utils.decode(hand["segmentation"]).astype(bool), HAND[35:85, 0:50])
    assert np.array_equal(mask_utils.decode(crowd["segmentation"]).astype(bool),
                          CROWD[35:85, 0:50])


def test_coco_sources_need_masks(toy_sets):
    import pytest

    from d2hands.data import load_hands_coco
    from d2hands.errors import UsageError
    from d2hands.predict.mining import check_minable, coco_sources

    json_path, images = toy_sets["real"]
    records = load_hands_coco(json_path, images)
    check_minable(records)
    sources = list(coco_sources(records))
    assert [len(s.hands) for s in sources] == [len(r["annotations"]) for r in records]
    bare = copy.deepcopy(records)
    for record in bare:
        for ann in record["annotations"]:
            ann.pop("segmentation")
    with pytest.raises(UsageError, match="without a mask"):
        check_minable(bare)


def mine(*args):
    tool = str(ROOT / "tools" / "mine_negatives.py")
    proc = subprocess.run([sys.executable, tool, *map(str, args)], capture_output=True, text=True,
                          env=tool_env(), timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_mining_a_coco_set_with_a_trained_run(tiny_run, toy_sets, tmp_path):
    from d2hands.data import load_hands_coco

    json_path, images = toy_sets["real"]
    out = tmp_path / "mined"
    rc, stdout, stderr = mine("--run", tiny_run, "--coco", json_path, "--image-root", images,
                              "--output-dir", out, "--score-thresh", "0.0", "--max-per-image", "2")
    assert rc == 0, stderr[-2000:]
    records = load_hands_coco(out / "annotations.json", out)
    assert f"{len(records)} false detections" in stdout and 0 < len(records) <= 2 * 4
    for record in records:
        assert min(record["height"], record["width"]) >= 48  # half the 96 px photos
    rc, _, stderr = mine("--run", tiny_run, "--images", images, "--output-dir", out)
    assert rc == 2 and "already holds a mined set" in stderr and "Traceback" not in stderr


def test_bad_arguments_are_one_error_line(tiny_run, toy_sets, tmp_path):
    json_path, images = toy_sets["real"]
    for args in (["--images", images, "--coco", json_path, "--image-root", images],
                 ["--coco", json_path],
                 ["--images", images, "--context", "0.5"],
                 ["--images", images, "--context", "nan"],
                 ["--images", images, "--output-dir", images]):
        out = [] if "--output-dir" in args else ["--output-dir", tmp_path / "x"]
        rc, _, stderr = mine("--run", tiny_run, *args, *out)
        assert rc == 2 and stderr.count("error:") == 1 and "Traceback" not in stderr, stderr
