"""Model-based evaluation: HandsEvaluator, evaluate_model, train_net --eval-only, tools/evaluate.py
model modes (a tiny model trained for 4 iterations in the tests), and their bad inputs."""

import csv
import importlib.util
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT, tool_env
from pycocotools import mask as mask_utils

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")
TOOL = ROOT / "tools" / "evaluate.py"
HAND_KEYS = {"TtlHnd", "TP", "FP", "FN", "IoU", "Acc", "F1", "TPH", "TPH_pct"}
PIXEL_KEYS = {"precision", "recall", "F1", "hand_IoU", "mIoU", "per_image_F1"}
AP_KEYS = {"AP", "AP50", "AP75", "APs", "APm", "APl"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def one_thread_env():
    return dict(tool_env(), OMP_NUM_THREADS="1")


def load_script(name):
    spec = importlib.util.spec_from_file_location(f"{name}_tool", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def register_opts(toy_sets):
    (synth_json, synth_images), (real_json, real_images) = toy_sets["synth"], toy_sets["real"]
    register = [["evm_synth", str(synth_json), str(synth_images)],
                ["evm_real", str(real_json), str(real_images)]]
    return ["DATASETS.REGISTER", json.dumps(register), "DATASETS.TRAIN", '("evm_synth",)',
            "DATASETS.TEST", '("evm_real",)']


@pytest.fixture(scope="module")
def tiny_weights(toy_sets, tmp_path_factory):
    """A tiny Mask R-CNN trained for 4 iterations on the toy set (its scores are ~0.25)."""
    from d2hands.engine import HandsTrainer, build_cfg

    out = tmp_path_factory.mktemp("tiny_model")
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # module-scoped: one_torch_thread (per test) has not run yet
    cfg = build_cfg(TINY, register_opts(toy_sets) + [
        "SOLVER.MAX_ITER", "4", "SOLVER.CHECKPOINT_PERIOD", "100", "OUTPUT_DIR", str(out)])
    trainer = HandsTrainer(cfg)
    trainer.resume_or_load(resume=False)
    trainer.train()
    torch.set_num_threads(before)
    return out / "model_final.pth"


def same_numbers(a, b):
    """Compare detectron2-style results (NaN equals NaN)."""
    assert a.keys() == b.keys()
    for task in a:
        assert a[task].keys() == b[task].keys(), task
        for key, value in a[task].items():
            other = b[task][key]
            assert (math.isnan(value) and math.isnan(other)) or value == pytest.approx(other), \
                (task, key, value, other)


def test_hands_evaluator_scores_perfect_outputs(toy_sets, tmp_path):
    """Fake model outputs equal to the ground truth: every hand found, ids mapped back."""
    from detectron2.structures import Boxes, Instances

    from d2hands.data import register_hands_dataset
    from d2hands.evaluation import EvaluationInputError, HandsEvaluator

    real_json, real_images = toy_sets["real"]
    register_hands_dataset("evm_perfect", real_json, real_images)
    gt = json.loads(real_json.read_text())
    evaluator = HandsEvaluator("evm_perfect", str(tmp_path), distributed=False)
    evaluator.reset()
    for image in gt["images"]:
        anns = [a for a in gt["annotations"] if a["image_id"] == image["id"]]
        masks = np.stack([mask_utils.decode(a["segmentation"]) for a in anns]).astype(bool)
        boxes = [[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in anns)]
        instances = Instances((image["height"], image["width"]), pred_masks=torch.tensor(masks),
                              pred_boxes=Boxes(torch.tensor(boxes, dtype=torch.float32)),
                              scores=torch.full((len(anns),), 0.9),
                              pred_classes=torch.zeros(len(anns), dtype=torch.int64))
        evaluator.process([{"image_id": image["id"]}], [{"instances": instances}])
    results = evaluator.evaluate()
    assert set(results) == {"bbox", "segm", "hands", "pixel"}
    hands = len(gt["annotations"])
    assert results["hands"] == {"TtlHnd": hands, "TP": hands, "FP": 0, "FN": 0, "IoU": 1.0,
                                "Acc": 1.0, "F1": 1.0, "TPH": 4, "TPH_pct": 100.0}
    assert results["pixel"]["F1"] == 1.0 and results["segm"]["AP"] == pytest.approx(100.0)
    assert all(isinstance(v, float) for task in results.values() for v in task.values())
    saved = json.loads((tmp_path / "predictions.json").read_text())
    assert len(saved) == hands and {r["category_id"] for r in saved} == {1}
    assert set(json.loads((tmp_path / "metrics.json").read_text())["hands"]) == HAND_KEYS

    evaluator.reset()
    evaluator.process([{"image_id": 999}], [{"instances": instances[:0]}])
    with pytest.raises(EvaluationInputError, match="image_id 999"):
        evaluator.evaluate()


@pytest.mark.slow
def test_evaluator_equals_predictions_mode(tiny_weights, toy_sets, tmp_path):
    from d2hands.engine import build_cfg
    from d2hands.evaluation import evaluate_model, load_model, to_detectron2_results

    cfg = build_cfg(TINY, register_opts(toy_sets) + ["HANDS.EVAL_SCORE_THRESH", "0.1"])
    model = load_model(cfg, tiny_weights)
    results = evaluate_model(cfg, model, "evm_real", str(tmp_path / "ev"))
    assert not model.training
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["settings"]["num_predictions_kept"] > 0  # the comparison is not trivial
    rc = load_script("evaluate").main([
        "--predictions", str(tmp_path / "ev" / "predictions.json"),
        "--coco", str(toy_sets["real"][0]), "--output-dir", str(tmp_path / "file"),
        "--score-thresh", "0.1", "--quiet"])
    assert rc == 0
    from_file = json.loads((tmp_path / "file" / "metrics.json").read_text())
    assert from_file["hands"] == metrics["hands"] and from_file["pixel"] == metrics["pixel"]
    same_numbers(results, to_detectron2_results(from_file))
    assert (tmp_path / "ev" / "per_image.csv").read_text() == \
        (tmp_path / "file" / "per_image.csv").read_text()


@pytest.mark.slow
def test_train_net_eval_only_returns_hand_metrics(tiny_weights, toy_sets, tmp_path):
    from detectron2.engine import default_argument_parser

    train_net = load_script("train_net")
    args = default_argument_parser().parse_args(
        ["--config-file", TINY, "--eval-only", *register_opts(toy_sets),
         "MODEL.WEIGHTS", str(tiny_weights), "OUTPUT_DIR", str(tmp_path)])
    results = train_net.main(args)
    assert set(results) == {"bbox", "segm", "hands", "pixel"}
    assert set(results["hands"]) == HAND_KEYS and set(results["pixel"]) == PIXEL_KEYS
    assert set(results["segm"]) == AP_KEYS
    folder = tmp_path / "inference" / "evm_real"
    assert {"metrics.json", "per_image.csv", "predictions.json"} <= {
        p.name for p in folder.iterdir()}
    assert json.loads((folder / "metrics.json").read_text())["settings"]["score_thresh"] == 0.7


@pytest.mark.slow
def test_images_and_masks_end_to_end(tiny_weights, real_data, tmp_path):
    """The tool on the 50 real photos through --images/--masks, as a user runs it."""
    folder = real_data / "own_hands_50"
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(TOOL), "--config-file", TINY, "--weights", str(tiny_weights),
         "--images", str(folder / "images"), "--masks", str(folder / "masks"),
         "--output-dir", str(out), "--save-vis", "2", "--score-thresh", "0.1",
         "MODEL.DEVICE", "cpu"],
        capture_output=True, text=True, env=one_thread_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "TPH_pct" in proc.stdout
    m = json.loads((out / "metrics.json").read_text())
    assert set(m) == {"coco", "hands", "pixel", "settings"}
    assert set(m["coco"]) == {"bbox", "segm"}
    assert set(m["coco"]["bbox"]) == AP_KEYS and set(m["coco"]["segm"]) == AP_KEYS
    assert set(m["hands"]) == HAND_KEYS and set(m["pixel"]) == PIXEL_KEYS
    assert m["hands"]["TtlHnd"] == 50 and m["settings"]["num_images"] == 50
    assert m["settings"]["weights"] == str(tiny_weights)
    with open(out / "per_image.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 50 and {r["hands"] for r in rows} == {"1"}
    gt = json.loads((out / "ground_truth.json").read_text())
    predictions = json.loads((out / "predictions.json").read_text())
    assert len(gt["images"]) == 50 and isinstance(predictions, list) and predictions
    assert {p["image_id"] for p in predictions} <= {i["id"] for i in gt["images"]}
    assert len(list((out / "vis").glob("*.png"))) == 2
    # The saved files score to the same numbers without the model.
    rc = load_script("evaluate").main([
        "--predictions", str(out / "predictions.json"), "--coco", str(out / "ground_truth.json"),
        "--output-dir", str(tmp_path / "again"), "--score-thresh", "0.1", "--quiet"])
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert rc == 0 and {k: again[k] for k in ("coco", "hands", "pixel")} == {
        k: m[k] for k in ("coco", "hands", "pixel")}


def run_tool(argv, capsys):
    """Run tools/evaluate.py in-process; return (exit status, stderr)."""
    try:
        rc = load_script("evaluate").main(argv)
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


def test_bad_model_options_exit_2_before_anything(toy_sets, tmp_path, capsys):
    json_path, images = (str(p) for p in toy_sets["real"])
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"")
    model = ["--config-file", TINY, "--weights", str(weights), "--output-dir", str(tmp_path / "o")]
    cases = [
        (["--config-file", TINY, "--weights", str(tmp_path / "none.pth"), "--output-dir",
          str(tmp_path / "o"), "--coco", json_path, "--image-root", images],
         "--weights " + str(tmp_path / "none.pth") + ": no such file"),
        (model + ["--dataset", "x", "--coco", json_path, "--image-root", images],
         "got --dataset and --coco"),
        (model, "one of --dataset NAME"),
        (model + ["--coco", json_path], "--coco needs --image-root"),
        (model + ["--images", images], "--images needs --masks"),
        (model[2:] + ["--dataset", "x"], "or both --config-file CFG and --weights W"),
        (model + ["--predictions", json_path, "--coco", json_path, "--image-root", images],
         "does not go with"),
        (model + ["--dataset", "x", "MODEL.DEVICE"], "KEY VALUE pairs"),
        (["--predictions", json_path, "--coco", json_path, "--output-dir", str(tmp_path / "o"),
          "MODEL.DEVICE", "cpu"], "needs a model"),
    ]
    for argv, words in cases:
        rc, err = run_tool(argv, capsys)
        assert rc == 2, argv
        assert err.startswith("error: ") and err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content", [b"not a checkpoint", None])
def test_unusable_weights_are_clear_errors(toy_sets, tmp_path, capsys, content):
    weights = tmp_path / "w.pth"
    if content is None:  # a readable checkpoint without this model's parameters
        torch.save({"model": {"unrelated.weight": torch.zeros(1)}}, weights)
    else:
        weights.write_bytes(content)
    json_path, images = (str(p) for p in toy_sets["real"])
    rc, err = run_tool(["--config-file", TINY, "--weights", str(weights), "--coco", json_path,
                        "--image-root", images, "--output-dir", str(tmp_path / "o")], capsys)
    assert rc == 2
    words = "cannot load weights" if content else "do not fit the model"
    assert err.startswith("error: ") and words in err and err.count("\n") == 1, err
    assert not (tmp_path / "o").exists()


def test_unregistered_dataset_one_line_in_a_subprocess(tmp_path):
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, str(TOOL), "--config-file", TINY, "--weights", str(weights),
         "--dataset", "nowhere", "--output-dir", str(tmp_path / "o")],
        capture_output=True, text=True, env=one_thread_env(), timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "'nowhere' is not registered" in proc.stderr and "DATASETS.REGISTER" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_ground_truth_from_dataset_dicts_without_json_file():
    """A dataset registered by hand (no json_file): ground truth built from its dicts."""
    from detectron2.data import DatasetCatalog, MetadataCatalog
    from detectron2.structures import BoxMode

    from d2hands.evaluation import dataset_ground_truth
    from d2hands.evaluation.dataset_gt import category_mapping

    square = np.zeros((8, 10), np.uint8, order="F")
    square[2:6, 2:6] = 1
    rle = mask_utils.encode(square)
    rle["counts"] = rle["counts"].decode()
    dicts = [{"file_name": "a.png", "image_id": 7, "height": 8, "width": 10, "annotations": [
        {"bbox": [2, 2, 6, 6], "bbox_mode": BoxMode.XYXY_ABS, "category_id": 0,
         "segmentation": rle},
        {"bbox": [0, 0, 2, 2], "bbox_mode": BoxMode.XYWH_ABS, "category_id": 0,
         "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]]}]},
        {"file_name": "b.png", "image_id": 8, "height": 8, "width": 10, "annotations": []}]
    if "evm_plain" in DatasetCatalog.list():
        DatasetCatalog.remove("evm_plain")
    DatasetCatalog.register("evm_plain", lambda: dicts)
    MetadataCatalog.get("evm_plain").set(thing_classes=["hand"])
    assert category_mapping("evm_plain") == {0: 0}
    gt = dataset_ground_truth("evm_plain")
    assert list(gt.images) == [7, 8] and gt.images[7].file_name == "a.png"
    assert [len(gt.hands[i]) for i in (7, 8)] == [2, 0]
    assert float(mask_utils.area(gt.hands[7][0])) == 16
    assert gt.dataset["annotations"][0]["bbox"] == [2.0, 2.0, 4.0, 4.0]


def test_bad_override_and_missing_gpu_are_clear_errors(toy_sets, tmp_path, capsys):
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"")
    json_path, images = (str(p) for p in toy_sets["real"])
    base = ["--config-file", TINY, "--weights", str(weights), "--coco", json_path,
            "--image-root", images, "--output-dir", str(tmp_path / "o")]
    rc, err = run_tool(base + ["MODEL.NOPE", "1"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "Non-existent key: MODEL.NOPE" in err, err
    if not torch.cuda.is_available():
        rc, err = run_tool(base + ["MODEL.DEVICE", "cuda"], capsys)
        assert rc == 2 and "add 'MODEL.DEVICE cpu'" in err, err
    assert not (tmp_path / "o").exists()
