"""tools/evaluate.py --predictions: files, keys, hand-computed values, COCO AP, bad input."""

import contextlib
import copy
import csv
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "evaluate.py"
H, W = 10, 10


def load_tool():
    spec = importlib.util.spec_from_file_location("evaluate_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def box(y0, y1, x0, x1, shape=(H, W)):
    a = np.zeros(shape, dtype=np.uint8, order="F")
    a[y0:y1, x0:x1] = 1
    r = mask_utils.encode(a)
    return {"size": r["size"], "counts": r["counts"].decode()}


def write_case(tmp_path):
    """Three images: two touching hands + 3 predictions, an empty image, a missed hand."""
    gt = {
        "images": [{"id": i, "file_name": f"im{i}.png", "height": H, "width": W}
                   for i in (1, 2, 3)],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": box(0, 5, 0, 4)},
            {"id": 2, "image_id": 1, "category_id": 1, "segmentation": box(0, 5, 4, 8)},
            {"id": 3, "image_id": 3, "category_id": 1,
             "segmentation": [[2, 2, 4, 2, 4, 4, 2, 4]], "iscrowd": 0},
        ],
        "categories": [{"id": 1, "name": "hand"}],
    }
    results = [
        {"image_id": 1, "category_id": 1, "segmentation": box(0, 5, 2, 10), "score": 0.9},
        {"image_id": 1, "category_id": 1, "segmentation": box(0, 2, 0, 2), "score": 0.8},
        {"image_id": 1, "category_id": 1, "segmentation": box(8, 10, 8, 10), "score": 0.5},
    ]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(results))
    for i in (1, 2, 3):
        cv2.imwrite(str(tmp_path / f"im{i}.png"), np.full((H, W, 3), 90, np.uint8))
    return tmp_path / "gt.json", tmp_path / "res.json"


def test_end_to_end_values_files_and_overlays(tmp_path, capsys):
    gt, res = write_case(tmp_path)
    out = tmp_path / "out"
    rc = load_tool().main(["--predictions", str(res), "--coco", str(gt), "--output-dir", str(out),
                           "--save-vis", "2", "--image-root", str(tmp_path)])
    assert rc == 0
    assert "TPH_pct" in capsys.readouterr().out
    m = json.loads((out / "metrics.json").read_text())
    assert set(m) == {"coco", "hands", "pixel", "settings"}
    assert set(m["coco"]) == {"bbox", "segm"}
    for t in ("bbox", "segm"):
        assert set(m["coco"][t]) == {"AP", "AP50", "AP75", "APs", "APm", "APl"}
    # Image 1: the 0.9 prediction covers hand 2 (IoU 20/40 = 0.5 -> TP) and 10 px of hand 1
    # (IoU 10/50); the 0.8 one has IoU 4/20 with hand 1 (FP); the 0.5 one is dropped.
    # Image 3: one missed hand (the polygon rasterizes to rows 2-3, cols 2-3: 4 px).
    assert m["hands"] == {"TtlHnd": 3, "TP": 1, "FP": 1, "FN": 2, "IoU": 0.5, "Acc": 0.25,
                          "F1": 0.4, "TPH": 1, "TPH_pct": 50.0}
    # Pixels: image 1 TP 34 FP 10 FN 6 TN 50; image 2 TN 100; image 3 FN 4 TN 96.
    tp, fp, fn, tn = 34, 10, 10, 246
    assert m["pixel"]["precision"] == pytest.approx(tp / (tp + fp))
    assert m["pixel"]["recall"] == pytest.approx(tp / (tp + fn))
    assert m["pixel"]["F1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert m["pixel"]["hand_IoU"] == pytest.approx(tp / (tp + fp + fn))
    assert m["pixel"]["mIoU"] == pytest.approx((tp / (tp + fp + fn) + tn / (tn + fp + fn)) / 2)
    assert m["pixel"]["per_image_F1"] == pytest.approx((68 / 84 + 1 + 0) / 3)
    assert m["settings"]["score_thresh"] == 0.7 and m["settings"]["iou_thresh"] == 0.5
    rows = list(csv.DictReader((out / "per_image.csv").open()))
    assert [r["file"] for r in rows] == ["im1.png", "im2.png", "im3.png"]
    assert rows[0] == {"file": "im1.png", "image_id": "1", "hands": "2", "TP": "1",
                            "FP": "1", "FN": "1", "mean_IoU": "0.500000",
                            "pixel_F1": f"{68 / 84:.6f}", "top_score": "0.900000",
                            "top_is_TP": "1"}
    assert rows[1]["pixel_F1"] == "1.000000" and rows[1]["top_score"] == ""
    vis = sorted(p.name for p in (out / "vis").iterdir())
    assert vis == ["001_im3.png", "002_im1.png"]  # pixel F1 0, then 68/84
    assert cv2.imread(str(out / "vis" / vis[0])).shape == (H, W, 3)
    assert not [p for p in out.rglob(".tmp-*")]


def test_empty_predictions_are_valid(tmp_path):
    gt, res = write_case(tmp_path)
    res.write_text("[]")
    assert load_tool().main(["--predictions", str(res), "--coco", str(gt), "--output-dir",
                             str(tmp_path / "out"), "--quiet"]) == 0
    m = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert m["hands"] == {"TtlHnd": 3, "TP": 0, "FP": 0, "FN": 3, "IoU": 0.0, "Acc": 0.0,
                          "F1": 0.0, "TPH": 0, "TPH_pct": 0.0}
    assert m["pixel"]["F1"] == 0.0 and m["pixel"]["per_image_F1"] == pytest.approx(1 / 3)
    assert m["coco"]["segm"]["AP"] == 0.0 and m["coco"]["segm"]["APm"] is None


@pytest.mark.parametrize(
    ("results", "words"),
    [
        ('[{"image_id": 9, "category_id": 1, "segmentation": {"size": [10, 10], '
         '"counts": "0;"}, "score": 0.9}]', "entry 0 (image_id 9): image_id is not an image"),
        ('[{"image_id": 1, "category_id": 1, "segmentation": {"size": [10, 10], '
         '"counts": "0;"}, "score": NaN}]', "entry 0 (image_id 1): score"),
        ('[{"image_id": 1, "category_id": 1, "segmentation": {"size": [10, 10], '
         '"counts": "0;0"}, "score": 0.9}]', "entry 0 (image_id 1): invalid segmentation"),
        ("[{", "not valid JSON"),
    ],
)
def test_bad_input_one_error_line_exit_2_nothing_written(tmp_path, results, words):
    gt, res = write_case(tmp_path)
    res.write_text(results)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(TOOL), "--predictions", str(res), "--coco", str(gt),
         "--output-dir", str(out)], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == "" and not out.exists()


def test_bad_options_exit_2(tmp_path, capsys):
    gt, res = write_case(tmp_path)
    tool = load_tool()
    base = ["--predictions", str(res), "--coco", str(gt), "--output-dir", str(tmp_path / "o")]
    for extra, words in ([["--save-vis", "1"], "--image-root"],
                         [["--iou-thresh", "0"], "IoU threshold"],
                         [["--save-vis", "3", "--image-root", str(tmp_path / "nope")],
                          "not a folder"]):
        with pytest.raises(SystemExit) as info:
            rc = tool.main(base + extra)
            raise SystemExit(rc)
        assert info.value.code == 2
        assert words in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    (tmp_path / "im1.png").unlink()  # overlay image missing: fails before writing anything
    assert tool.main(base + ["--save-vis", "3", "--image-root", str(tmp_path)]) == 2
    assert "cannot read image" in capsys.readouterr().err and not (tmp_path / "o").exists()


def random_case(tmp_path, with_bbox):
    """30 images with random elliptic hands and jittered predictions (mixed sizes)."""
    rng = np.random.default_rng(1)
    h, w = 240, 320
    images, anns, results = [], [], []
    for i in range(1, 31):
        images.append({"id": i, "file_name": f"{i}.png", "height": h, "width": w})
        for _ in range(int(rng.integers(0, 4))):
            cx, cy = (int(v) for v in rng.integers(40, 200, 2))
            ax, ay = (int(v) for v in rng.integers(3, 80, 2))
            a = np.zeros((h, w), np.uint8)
            cv2.ellipse(a, (cx, cy), (ax, ay), 0, 0, 360, 1, -1)
            r = mask_utils.encode(np.asfortranarray(a))
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": 1, "iscrowd": 0,
                         "segmentation": {"size": [h, w], "counts": r["counts"].decode()},
                         "area": float(mask_utils.area(r)),
                         "bbox": [float(v) for v in mask_utils.toBbox(r)]})
            for _ in range(int(rng.integers(0, 3))):
                b = np.zeros((h, w), np.uint8)
                jx, jy = (int(v) for v in rng.integers(-6, 7, 2))
                cv2.ellipse(b, (cx + jx, cy + jy), (ax + 2, ay), 10, 0, 360, 1, -1)
                rb = mask_utils.encode(np.asfortranarray(b))
                res = {"image_id": i, "category_id": 1, "score": float(rng.uniform(0.05, 1)),
                       "segmentation": {"size": [h, w], "counts": rb["counts"].decode()}}
                if with_bbox:  # a detector's own box: close to, not equal to, the mask's box
                    res["bbox"] = [float(v) + float(rng.uniform(-3, 3))
                                   for v in mask_utils.toBbox(rb)]
                    res["bbox"][2:] = [max(v, 1.0) for v in res["bbox"][2:]]
                results.append(res)
    gt = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "hand"}]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(results))
    return tmp_path / "gt.json", tmp_path / "res.json"


def direct_cocoeval(gt_path, results, iou_type):
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(gt_path))
        e = COCOeval(coco_gt, coco_gt.loadRes(results), iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return [float(v) * 100 if v >= 0 else None for v in e.stats[:6]]


@pytest.mark.parametrize("with_bbox", [False, True])
def test_coco_ap_equals_cocoeval_run_directly(tmp_path, with_bbox):
    gt, res = random_case(tmp_path, with_bbox)
    assert load_tool().main(["--predictions", str(res), "--coco", str(gt), "--output-dir",
                             str(tmp_path / "out"), "--quiet"]) == 0
    coco = json.loads((tmp_path / "out" / "metrics.json").read_text())["coco"]
    keys = ["AP", "AP50", "AP75", "APs", "APm", "APl"]
    results = json.loads(res.read_text())
    bbox = direct_cocoeval(gt, str(res), "bbox")
    assert [coco["bbox"][k] for k in keys] == bbox
    # detectron2 drops the boxes for segm so that detection areas come from the masks; with
    # boxes in the file, plain loadRes takes areas from the boxes, which only matters for
    # APs/APm/APl.
    no_boxes = [{k: v for k, v in r.items() if k != "bbox"} for r in copy.deepcopy(results)]
    segm = direct_cocoeval(gt, no_boxes, "segm")
    assert [coco["segm"][k] for k in keys] == segm
    assert [coco["segm"][k] for k in keys[:3]] == direct_cocoeval(gt, str(res), "segm")[:3]
    assert 0 < segm[0] < 100 and all(v is not None for v in segm)
