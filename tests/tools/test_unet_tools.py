"""train_net.py, evaluate.py and visualize_video.py end to end on a tiny U-Net, and misfits."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, read_video, tool_env

BASE = str(ROOT / "configs" / "unet_base.yaml")
TINY_MASKRCNN = str(ROOT / "configs" / "hands_tiny_cpu.yaml")


def tool(name, *args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / name), *map(str, args)],
                          capture_output=True, text=True, env=tool_env(), timeout=900)


@pytest.fixture(scope="module")
def unet_run(toy_sets, tmp_path_factory):
    out = tmp_path_factory.mktemp("unet_run")
    synth_json, synth_images = toy_sets["synth"]
    register = [["toy_synth", str(synth_json), str(synth_images)],
                ["toy_val", str(synth_json), str(synth_images)]]  # same look: it learns
    result = tool("train_net.py", "--config-file", BASE, "DATASETS.REGISTER",
                  json.dumps(register), "DATASETS.TRAIN", '("toy_synth",)', "DATASETS.TEST",
                  '("toy_val",)', "MODEL.UNET.WIDTH", "8", "SOLVER.IMS_PER_BATCH", "2",
                  "SOLVER.MAX_ITER", "80", "HANDS.EARLY_STOP.PERIOD", "20",
                  "HANDS.EARLY_STOP.PATIENCE", "3", "INPUT.MIN_SIZE_TRAIN", "(96,)",
                  "INPUT.MAX_SIZE_TRAIN", "128", "INPUT.MIN_SIZE_TEST", "96",
                  "INPUT.MAX_SIZE_TEST", "128", "OUTPUT_DIR", out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.mark.slow
def test_train_evaluate_and_visualize_a_unet(unet_run, toy_sets, tmp_path):
    from d2hands.testing.toy_clip import write_toy_clip

    for name in ("model_final.pth", "model_best.pth", "early_stop.json", "config.yaml"):
        assert (unet_run / name).is_file(), name
    synth_json, synth_images = toy_sets["synth"]
    result = tool("evaluate.py", "--run", unet_run, "--coco", synth_json, "--image-root",
                  synth_images, "--output-dir", tmp_path / "eval", "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["hands"]["TtlHnd"] > 0 and metrics["pixel"]["F1"] > 0.5  # it learned
    assert "segm" in metrics["coco"]
    clip = write_toy_clip(tmp_path / "clip", frames=6, size=(160, 120), fps=6.0)
    result = tool("visualize_video.py", "--run", unet_run, "--input", clip, "--output",
                  tmp_path / "out.mp4", "--save-predictions", tmp_path / "pred.json")
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(read_video(tmp_path / "out.mp4")[1]) == 6


@pytest.mark.slow
def test_checkpoints_of_the_other_model_are_refused(unet_run, toy_sets, tmp_path):
    synth_json, synth_images = toy_sets["synth"]
    for config in (TINY_MASKRCNN,):
        result = tool("evaluate.py", "--config-file", config, "--weights",
                      unet_run / "model_final.pth", "--coco", synth_json, "--image-root",
                      synth_images, "--output-dir", tmp_path / "eval")
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: weights")
        assert "do not fit the model" in lines[0]
        assert not (tmp_path / "eval").exists()


@pytest.mark.slow
def test_a_repetitive_chain_of_unet_sessions(toy_sets, tmp_path):
    synth_json, synth_images = toy_sets["synth"]
    real_json, real_images = toy_sets["real"]
    register = [["toy_synth", str(synth_json), str(synth_images)],
                ["toy_val", str(real_json), str(real_images)]]
    result = tool("repetitive_train.py", "--config-file", BASE, "--subsets", "2", "--schedule",
                  "all,heads", "--iters", "10", "--select", "val", "--output-dir", tmp_path,
                  "DATASETS.REGISTER", json.dumps(register), "DATASETS.TRAIN", '("toy_synth",)',
                  "DATASETS.TEST", '("toy_val",)', "MODEL.UNET.WIDTH", "8",
                  "SOLVER.IMS_PER_BATCH", "2", "INPUT.MIN_SIZE_TRAIN", "(96,)",
                  "INPUT.MAX_SIZE_TRAIN", "128", "INPUT.MIN_SIZE_TEST", "96",
                  "INPUT.MAX_SIZE_TEST", "128", "HANDS.EARLY_STOP.PERIOD", "5")
    assert result.returncode == 0, result.stderr[-3000:]
    for session in ("session_00", "session_01"):
        record = json.loads((tmp_path / session / "early_stop.json").read_text())
        assert record["dataset"] == "toy_val" and [e["iter"] for e in record["history"]] == [5, 10]
    frozen = torch_frozen(tmp_path / "session_01" / "model_final.pth",
                          tmp_path / "session_00" / "model_final.pth")
    assert frozen  # 'heads' froze the encoder: its weights are the first session's


def torch_frozen(later, earlier):
    import torch

    a = torch.load(later, map_location="cpu")["model"]
    b = torch.load(earlier, map_location="cpu")["model"]
    return all(torch.equal(a[k], b[k]) for k in a if k.startswith("backbone."))
