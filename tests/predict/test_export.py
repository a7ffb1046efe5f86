"""Exported models (ONNX, TorchScript) find the PyTorch model's masks, without detectron2."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import ROOT, tool_env

CONFIGS = ROOT / "configs"
EXPORT = ROOT / "tools" / "export_model.py"
DEFAULT = ROOT / "d2hands" / "model_zoo"


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def real_photos(real_data, count):
    own = sorted((real_data / "own_hands_50" / "images").glob("*.jpg"))[:count]
    fists = sorted((real_data / "fist_100" / "images").glob("*.jpg"))[:count]
    return [cv2.imread(str(p)) for p in own + fists]


def export(tmp_path, name, *args):
    out = tmp_path / name
    proc = subprocess.run([sys.executable, str(EXPORT), "--output", str(out), *map(str, args)],
                          capture_output=True, text=True, env=tool_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def default_exports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exported")
    model = ["--config-file", DEFAULT / "hands_default.yaml",
             "--weights", DEFAULT / "hands_default.pth", "--score-thresh", "0.3"]
    # No model named: export_model.py exports the default model, the same as naming it.
    return {"onnx": export(tmp, "hands.onnx", "--score-thresh", "0.3"),
            "torchscript": export(tmp, "hands.ts", *model)}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_exported_mask_rcnn_masks_match_pytorch_on_real_photos(real_data, default_exports, fmt):
    from d2hands import HandsPredictor

    eager = HandsPredictor.default(score_thresh=0.3)  # more hands to compare than at 0.7
    exported = HandsPredictor.from_exported(default_exports[fmt], score_thresh=0.3)
    compared = 0
    for image in real_photos(real_data, 3):
        want, got = eager(image), exported(image)
        assert len(got) == len(want)
        assert got.masks.shape == want.masks.shape
        np.testing.assert_allclose(got.scores, want.scores, atol=1e-4)
        np.testing.assert_allclose(got.boxes, want.boxes, atol=0.05)
        for k in range(len(want)):
            assert iou(got.masks[k], want.masks[k]) >= 0.99
        compared += len(want)
    assert compared >= 5


@pytest.mark.slow
def test_an_export_drops_contained_hands_like_the_pytorch_model(real_data, default_exports):
    from d2hands import HandsPredictor

    exported = HandsPredictor.from_exported(default_exports["onnx"], score_thresh=0.3)
    assert exported.exported.metadata["suppress_contained"] == 0.0  # the config's default
    exported.exported.metadata["suppress_contained"] = 0.5  # as an export with the key stores
    eager = HandsPredictor.default(["HANDS.SUPPRESS_CONTAINED", "0.5"], score_thresh=0.3)
    plain = HandsPredictor.from_exported(default_exports["onnx"], score_thresh=0.3)
    dropped = 0
    for image in real_photos(real_data, 3):
        want, got = eager(image), exported(image)
        assert len(got) == len(want)
        np.testing.assert_allclose(got.scores, want.scores, atol=1e-4)
        dropped += len(plain(image)) - len(got)
    assert dropped >= 1


@pytest.mark.slow
def test_the_onnx_path_imports_neither_torch_nor_detectron2(real_data, default_exports):
    photo = sorted((real_data / "own_hands_50" / "images").glob("*.jpg"))[0]
    code = ("import sys, cv2; from d2hands.runtime import ExportedPredictor; "
            f"model = ExportedPredictor({str(default_exports['onnx'])!r}, score_thresh=0.3); "
            f"hands = model(cv2.imread({str(photo)!r})); "
            "print(len(hands), [m for m in ('torch', 'detectron2') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=tool_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    count, loaded = proc.stdout.strip().split(" ", 1)
    assert loaded == "[]", proc.stdout
    assert int(count) >= 1


@pytest.mark.slow
def test_predict_runs_an_exported_model(real_data, default_exports, tmp_path):
    photo = sorted((real_data / "fist_100" / "images").glob("*.jpg"))[0]
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "predict.py"), "--weights",
                           str(default_exports["onnx"]), "--input", str(photo),
                           "--output-dir", str(tmp_path / "out")],
                          capture_output=True, text=True, env=tool_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for kind in ("overlay.jpg", "instances.png", "mask.png"):
        assert (tmp_path / "out" / f"{photo.stem}_{kind}").exists()
    assert json.loads((tmp_path / "out" / "predictions.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["onnx", "ts"])
def test_an_exported_semantic_model_matches_pytorch(real_data, tmp_path, suffix):
    import torch
    from detectron2.modeling import build_model

    from d2hands import HandsPredictor
    from d2hands.engine import build_cfg

    config = CONFIGS / "mobileunet_cpu.yaml"
    torch.manual_seed(0)
    model = build_model(build_cfg(str(config))).eval()  # seeded random weights
    photos = real_photos(real_data, 2)
    # Random weights predict ~0.47 everywhere; sharpen the map around its median so that the
    # hand mask has a structure worth comparing (only sameness of the two paths counts).
    head = model.sem_seg_head.predictor
    with torch.no_grad():
        head.weight *= 100
        head.bias *= 100
        probs = model([{"image": torch.as_tensor(photos[0].transpose(2, 0, 1).copy(),
                                                 dtype=torch.float32)}])[0]["sem_seg"][1]
        head.bias[1] -= torch.logit(probs.median())
    weights = tmp_path / "w.pth"
    torch.save({"model": model.state_dict()}, weights)
    exported = export(tmp_path, f"unet.{suffix}", "--config-file", config, "--weights", weights)
    eager = HandsPredictor.from_config(str(config), str(weights), score_thresh=0.0)
    runtime = HandsPredictor.from_exported(exported, score_thresh=0.0)
    for image in photos:
        want, got = eager(image), runtime(image)
        assert got.masks.shape[1:] == image.shape[:2]
        assert want.union().mean() > 0.05
        assert iou(got.union(), want.union()) >= 0.99
        assert abs(len(got) - len(want)) <= 1


@pytest.mark.parametrize("args, words", [
    (["--output", "x.onnx", "--format", "slim"], "--format slim writes a .pth"),
    (["--output", "x.bin"], "must end in .onnx, .ts or .pth"),
    (["--output", "x.onnx", "--half"], "--half applies to the slim"),
])
def test_export_options_that_cannot_work_are_one_error_line(args, words, tmp_path):
    proc = subprocess.run([sys.executable, str(EXPORT), *args, "--config-file", "c.yaml",
                           "--weights", "w.pth"], capture_output=True, text=True,
                          env=tool_env(), cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and words in proc.stderr, proc.stderr


@pytest.mark.slow
def test_an_export_refuses_a_threshold_under_the_one_it_was_made_for(default_exports):
    import yaml

    from d2hands.runtime import ExportedPredictor, ExportError

    own = yaml.safe_load((DEFAULT / "hands_default.yaml").read_text())["HANDS"]["SCORE_THRESH"]
    assert ExportedPredictor(default_exports["onnx"]).score_thresh == pytest.approx(own)
    with pytest.raises(ExportError, match="--score-thresh 0.2"):
        ExportedPredictor(default_exports["onnx"], score_thresh=0.2)


@pytest.mark.parametrize("content", [b"", b"not an onnx model", None])
def test_a_file_that_is_not_a_d2hands_export_is_refused(tmp_path, content):
    from d2hands.runtime import ExportedPredictor, ExportError

    path = tmp_path / "model.onnx"
    if content is None:  # a valid ONNX model, but not one d2hands wrote
        import onnx
        from onnx import TensorProto, helper

        graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
        content = helper.make_model(graph).SerializeToString()
        onnx.checker.check_model(onnx.load_from_string(content))
    path.write_bytes(content)
    with pytest.raises(ExportError, match="model.onnx"):
        ExportedPredictor(path)
