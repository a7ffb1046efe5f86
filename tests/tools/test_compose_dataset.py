"""tools/compose_dataset.py writes a valid COCO set of multi-hand composites."""

import subprocess
import sys

import cv2
import numpy as np
from conftest import ROOT, tool_env
from pycocotools.coco import COCO

TOOL = str(ROOT / "tools" / "compose_dataset.py")


def test_composites_hold_one_to_four_visible_hands_each(toy_sets, tmp_path):
    json_path, images = toy_sets["synth"]
    out = tmp_path / "multi"
    args = [sys.executable, TOOL, "--coco", str(json_path), "--image-root", str(images),
            "--backgrounds", "procedural", "--num-images", "8", "--hands", "1,4", "--seed", "5",
            "--output-dir", str(out), "HANDS.COMPOSITE.SIZE", "[96, 128]"]
    result = subprocess.run(args, capture_output=True, text=True, env=tool_env())
    assert result.returncode == 0, result.stderr[-2000:]
    coco = COCO(str(out / "annotations.json"))
    assert len(coco.getImgIds()) == 8
    counts = [len(coco.getAnnIds(imgIds=i)) for i in coco.getImgIds()]
    assert all(0 <= c <= 4 for c in counts) and sum(counts) >= 8
    for image_id in coco.getImgIds():
        info = coco.loadImgs(image_id)[0]
        assert cv2.imread(str(out / info["file_name"])).shape[:2] == (96, 128)
        masks = [coco.annToMask(a) for a in coco.loadAnns(coco.getAnnIds(imgIds=image_id))]
        if len(masks) > 1:  # occlusion leaves the visible parts: no pixel belongs to two hands
            assert np.stack(masks).sum(axis=0).max() == 1
    again = subprocess.run(args[:-3] + [str(tmp_path / "again"), "HANDS.COMPOSITE.SIZE",
                                         "[96, 128]"], capture_output=True, text=True,
                           env=tool_env())
    assert again.returncode == 0
    assert (tmp_path / "again" / "annotations.json").read_bytes() == (
        out / "annotations.json").read_bytes()


def test_bad_arguments_are_one_line(toy_sets, tmp_path):
    json_path, images = toy_sets["synth"]
    for extra, message in ((["--hands", "x"], "--hands is MIN,MAX"),
                           (["SOLVER.BASE_LR", "0.1"], "only HANDS.COMPOSITE"),
                           (["--hands", "3,1"], "HANDS_PER_IMAGE")):
        result = subprocess.run(
            [sys.executable, TOOL, "--coco", str(json_path), "--image-root", str(images),
             "--backgrounds", "procedural", "--output-dir", str(tmp_path / "x"), *extra],
            capture_output=True, text=True, env=tool_env())
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1
