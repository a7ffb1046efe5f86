"""The error analysis on a constructed case whose every error is known by construction."""

import csv
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import ROOT, tool_env
from pycocotools import mask as mask_utils

SIZE = 100


def rect(x0, x1, y0, y1):
    """A compressed RLE of the rectangle x0..x1, y0..y1 (inclusive) on a 100x100 image."""
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[y0:y1 + 1, x0:x1 + 1] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


HANDS = {1: {"A": rect(10, 39, 10, 39),     # 900 px (9%: medium), found
             "B": rect(70, 99, 60, 99),     # 1,200 px (12%: large), at the border: missed
             "C": rect(45, 51, 80, 86)},    # 49 px (small): only a prediction under 0.5 finds it
         2: {"D": rect(10, 29, 10, 29),     # two medium hands whose boxes overlap, both missed
             "E": rect(28, 47, 10, 29)}}
PREDICTIONS = [
    (1, rect(10, 39, 10, 39), 0.95),  # A exactly: the one true positive
    (1, rect(12, 41, 10, 39), 0.90),  # A again (IoU 840/960): duplicate
    (1, rect(12, 21, 12, 21), 0.85),  # 100 px wholly inside A (IoU 0.11): part
    (1, rect(60, 79, 60, 99), 0.80),  # half on B (IoU 400/1600): mislocalised
    (1, rect(0, 9, 60, 69), 0.75),    # on nothing: background
    (1, rect(45, 51, 80, 86), 0.30),  # C exactly, under the 0.5 threshold
]


def write_case(folder):
    images, annotations = [], []
    for image_id, hands in HANDS.items():
        images.append({"id": image_id, "file_name": f"{image_id}.png", "height": SIZE,
                       "width": SIZE})
        cv2.imwrite(str(folder / f"{image_id}.png"), np.full((SIZE, SIZE, 3), 90, np.uint8))
        for rle in hands.values():
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": 1, "segmentation": rle, "iscrowd": 0,
                                "area": float(mask_utils.area(rle)),
                                "bbox": mask_utils.toBbox(rle).tolist()})
    gt = folder / "gt.json"
    gt.write_text(json.dumps({"images": images, "annotations": annotations,
                              "categories": [{"id": 1, "name": "hand"}]}))
    results = folder / "results.json"
    results.write_text(json.dumps([{"image_id": i, "category_id": 1, "segmentation": r,
                                    "score": s} for i, r, s in PREDICTIONS]))
    return gt, results


def f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn)


def test_every_error_gets_the_type_it_was_built_to_have(tmp_path):
    from d2hands.evaluation import compute_metrics
    from d2hands.evaluation.pipeline import analyse_errors

    gt, results = write_case(tmp_path)
    evaluation = compute_metrics(str(gt), str(results), score_thresh=0.5, iou_thresh=0.5,
                                 with_coco=False)
    files = dict(analyse_errors(evaluation, tmp_path))
    errors = evaluation.metrics["errors"]
    assert (errors["tp"], errors["false_detections"], errors["misses"]) == (1, 4, 4)
    assert errors["false_by_type"] == {"duplicate": 1, "part": 1, "mislocalised": 1,
                                       "background": 1}
    assert errors["misses_by_attribute"] == {"small": 1, "medium": 2, "large": 1,
                                             "truncated": 1, "touching": 2,
                                             "below_threshold": 1}
    gains = errors["f1_if_fixed"]
    base = f1(1, 4, 4)
    assert errors["f1"] == pytest.approx(base, abs=1e-4)
    assert gains["background"] == pytest.approx(f1(1, 3, 4) - base, abs=1e-4)
    assert gains["miss_medium"] == pytest.approx(f1(3, 4, 2) - base, abs=1e-4)
    assert gains["miss_below_threshold"] == pytest.approx(f1(2, 4, 3) - base, abs=1e-4)
    rows = list(csv.DictReader(files["errors/errors.csv"].decode().splitlines()))
    assert sorted(r["labels"] for r in rows) == sorted(
        ["duplicate", "part", "mislocalised", "background", "large+truncated",
         "small+below_threshold", "medium+touching", "medium+touching"])
    background = next(r for r in rows if r["labels"] == "background")
    assert float(background["centre_x"]) == pytest.approx(5 / SIZE)
    assert float(background["area_fraction"]) == pytest.approx(100 / SIZE**2)
    assert float(background["value"]) == pytest.approx(90, abs=1)  # the gray image's
    below = next(r for r in rows if r["labels"] == "small+below_threshold")
    assert float(below["score"]) == pytest.approx(0.30)
    assert {"errors/false_detections.jpg", "errors/misses.jpg"} <= set(files)


def test_evaluate_errors_writes_the_analysis(tmp_path):
    gt, results = write_case(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "evaluate.py"), "--predictions",
                           str(results), "--coco", str(gt), "--image-root", str(tmp_path),
                           "--output-dir", str(out), "--score-thresh", "0.5", "--errors"],
                          capture_output=True, text=True, env=tool_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "4 false detections, 4 missed hands" in proc.stdout
    assert json.loads((out / "metrics.json").read_text())["errors"]["false_by_type"][
        "background"] == 1
    sheet = cv2.imread(str(out / "errors" / "false_detections.jpg"))
    assert sheet is not None and sheet.shape[0] > 100
