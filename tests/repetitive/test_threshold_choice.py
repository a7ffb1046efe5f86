"""The score threshold chosen on validation: counted right, recorded in the run, used by tools."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, tool_env
from pycocotools import mask as mask_utils

from d2hands.evaluation import compute_metrics
from d2hands.evaluation.threshold import choose_threshold, f1_curve
from d2hands.repetitive.manifest import select_best
from d2hands.repetitive.trained_run import read_trained_run

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")


def square(x, y, side=20, size=100):
    mask = np.zeros((size, size), np.uint8)
    mask[y:y + side, x:x + side] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def test_the_f1_curve_and_its_best_threshold():
    hands = {1: [square(0, 0), square(50, 50)], 2: [square(0, 0), square(50, 50)]}
    gt = {"images": [{"id": i, "file_name": f"{i}.png", "height": 100, "width": 100}
                     for i in hands],
          "annotations": [{"id": 10 * i + k, "image_id": i, "category_id": 1, "iscrowd": 0,
                           "segmentation": r, "area": 400.0, "bbox": [0, 0, 20, 20]}
                          for i, rles in hands.items() for k, r in enumerate(rles)],
          "categories": [{"id": 1, "name": "hand"}]}
    results = [{"image_id": i, "category_id": 1, "segmentation": r, "score": s} for i, r, s in [
        (1, hands[1][0], 0.9), (1, hands[1][1], 0.6), (2, hands[2][0], 0.4),
        (1, square(25, 75), 0.8), (2, square(75, 0), 0.35)]]
    images = compute_metrics(gt, results, with_coco=False).images
    curve = f1_curve(images, 0.5)
    # Counted by hand: which predictions pass each threshold, and what TP/FP/FN follow.
    assert curve[0.85] == pytest.approx(2 / 5)    # 0.9: TP 1, FP 0, FN 3
    assert curve[0.7] == pytest.approx(2 / 6)     # + the 0.8 false detection
    assert curve[0.5] == pytest.approx(4 / 7)     # + the 0.6 hand
    assert curve[0.4] == pytest.approx(6 / 8)     # + the 0.4 hand
    assert curve[0.3] == pytest.approx(6 / 9)     # + the 0.35 false detection
    assert choose_threshold(curve) == 0.4


def test_ties_keep_the_threshold_nearest_the_default():
    assert choose_threshold({0.5: 0.8, 0.7: 0.8, 0.9: 0.8}) == 0.7
    assert choose_threshold({0.6: 0.8, 0.8: 0.8, 0.3: 0.1}) == 0.8


def write_run(folder, curves, best_f1):
    """A finished run whose sessions carry validation metrics and F1 curves."""
    import torch
    from detectron2.modeling import build_model

    from d2hands.engine import build_cfg

    folder.mkdir()
    weights = folder / "model.pth"
    torch.manual_seed(0)
    torch.save({"model": build_model(build_cfg(TINY)).state_dict()}, weights)
    sessions = [{"index": k, "status": "done", "final_weights": str(weights),
                 "val": {"hands/F1": f1}, "val_thresholds": curve}
                for k, (curve, f1) in enumerate(zip(curves, best_f1, strict=True))]
    manifest = {"version": 1, "kind": "repetitive", "config_file": TINY, "opts": [],
                "select": "val", "sessions": sessions}
    select_best(manifest, "hands/F1")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder, manifest


def test_the_chosen_threshold_is_recorded_and_every_tool_uses_it(tmp_path, toy_sets):
    from d2hands import HandsPredictor

    curves = [{"0.5": 0.2, "0.7": 0.3}, {"0.3": 0.9, "0.7": 0.5}, {"0.9": 0.95}]
    folder, manifest = write_run(tmp_path / "run", curves, [0.1, 0.6, 0.2])
    stored = json.loads((folder / "manifest.json").read_text())
    assert [s["val_thresholds"] for s in stored["sessions"]] == curves  # every session's
    assert manifest["best_session"] == 1 and manifest["score_thresh"] == 0.3
    assert read_trained_run(folder).opts[-2:] == ["HANDS.SCORE_THRESH", "0.3"]
    assert read_trained_run(folder, session=2).opts[-2:] == ["HANDS.SCORE_THRESH", "0.9"]
    assert HandsPredictor.from_run(folder).score_thresh == 0.3
    assert HandsPredictor.from_run(folder, score_thresh=0.6).score_thresh == 0.6
    json_path, images = toy_sets["real"]
    out = tmp_path / "eval"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "evaluate.py"), "--run",
                           str(folder), "--coco", str(json_path), "--image-root", str(images),
                           "--output-dir", str(out), "--quiet"],
                          capture_output=True, text=True, env=tool_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((out / "metrics.json").read_text())["settings"]["score_thresh"] == 0.3
