import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "real"
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def toy_sets(tmp_path_factory):
    """Two generated COCO sets: 'synthetic' (white, 12 images) and 'real' (noise, 4 images)."""
    from d2hands.testing.toy import write_toy_coco

    base = tmp_path_factory.mktemp("toy")
    synth = write_toy_coco(base / "synth", num_images=12, seed=0, prefix="synth")
    real = write_toy_coco(base / "real", num_images=4, background="noise", seed=1, prefix="real")
    return {"synth": (synth, synth.parent / "images"), "real": (real, real.parent / "images")}


def toy_train_cfg(toy_sets, *extra):
    """The tiny config training on both toy sets (``toy_synth``, ``toy_real``), plus opts."""
    from d2hands.engine import build_cfg

    (synth_json, synth_images), (real_json, real_images) = toy_sets["synth"], toy_sets["real"]
    register = [["toy_synth", str(synth_json), str(synth_images)],
                ["toy_real", str(real_json), str(real_images)]]
    return build_cfg("configs/hands_tiny_cpu.yaml", [
        "DATASETS.REGISTER", json.dumps(register), "DATASETS.TRAIN", '("toy_synth", "toy_real")',
        *extra])


@pytest.fixture
def real_data():
    """The shared real photos; tests that need them skip where the folder is absent."""
    if not (REAL_DATA / "own_hands_50").is_dir():
        pytest.skip(f"real photos not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture
def one_torch_thread():
    """One intra-op torch thread: on the shared 2-core machine, two threads spin and run 3x
    slower (MobileNetV2's many small ops up to 20x). Use with ``pytest.mark.usefixtures``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def read_video(path):
    """(fps, list of BGR frames) of a video, read with OpenCV."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return fps, frames


def tool_env():
    """Environment for running tools/ scripts as subprocesses."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="session")
def tiny_run(toy_sets, tmp_path_factory):
    """A train_net.py run folder (config.yaml + model_final.pth), 4 steps on the toy set."""
    json_path, images = toy_sets["synth"]
    out = tmp_path_factory.mktemp("run") / "tiny"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train_net.py"), "--config-file",
         str(ROOT / "configs" / "hands_tiny_cpu.yaml"),
         "DATASETS.REGISTER", json.dumps([["p_synth", str(json_path), str(images)]]),
         "DATASETS.TRAIN", '("p_synth",)', "DATASETS.TEST", "()", "SOLVER.MAX_ITER", "4",
         "SOLVER.CHECKPOINT_PERIOD", "100", "OUTPUT_DIR", str(out)],
        capture_output=True, text=True, env=tool_env(), timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out
