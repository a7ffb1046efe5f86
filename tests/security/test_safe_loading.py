"""A crafted checkpoint or config runs nothing: not through the API, a tool, or a --run folder.

Each crafted file, if loaded the unsafe way, creates a marker file; every test asserts the
marker never appears and the tool says one ``error:`` line with exit status 2.
"""

import json
import pickle
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from conftest import ROOT, tool_env

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")


class _Payload:
    """Unpickling it calls ``open(marker, "w")``: code from the file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def crafted_pkl(path, marker):
    with open(path, "wb") as handle:
        pickle.dump({"model": {"w": _Payload(marker)}, "__author__": "x"}, handle)
    return path


def crafted_pth(path, marker):
    torch.save({"model": {"w": _Payload(marker)}}, path)
    return path


def crafted_yaml(path, marker, base=None):
    lines = [f"_BASE_: {base}"] if base else []
    lines += ["MODEL:", "  DEVICE: cpu", f"  WEIGHTS: !!python/object/apply:builtins.open "
              f"['{marker}', 'w']"]
    path.write_text("\n".join(lines) + "\n")
    return path


def run(argv):
    proc = subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True,
                          env=tool_env(), timeout=600)
    return proc.returncode, proc.stderr


def assert_refused(result, words, marker):
    rc, err = result
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in err, err
    assert not marker.exists(), "code from the file ran"


def test_build_cfg_refuses_a_python_tag_in_the_file_and_in_its_base(tmp_path):
    from d2hands.engine import build_cfg
    from d2hands.errors import UnsafeFileError

    marker = tmp_path / "ran"
    evil = crafted_yaml(tmp_path / "evil.yaml", marker)
    with pytest.raises(UnsafeFileError, match=r"evil\.yaml, line 3: .*python/object/apply"):
        build_cfg(str(evil))
    child = tmp_path / "child.yaml"
    child.write_text(f"_BASE_: {evil.name}\nSOLVER:\n  MAX_ITER: 3\n")
    with pytest.raises(UnsafeFileError, match=r"evil\.yaml, line 3"):
        build_cfg(str(child))
    assert not marker.exists()


def test_bad_config_files_are_one_config_error(tmp_path):
    from d2hands.engine import build_cfg
    from d2hands.errors import ConfigError

    cases = {
        "list.yaml": ("- 1\n- 2\n", "not a mapping"),
        "syntax.yaml": ("MODEL: [\n", "is not valid YAML"),
        "unknown.yaml": ("MODEL:\n  NOT_A_KEY: 1\n", "NOT_A_KEY"),
        "loop.yaml": ("_BASE_: loop.yaml\n", "includes itself"),
        "nobase.yaml": ("_BASE_: gone.yaml\n", "does not exist"),
        "deep.yaml": ("MODEL: " + "[" * 5000 + "]" * 5000 + "\n", "cannot be parsed"),
    }
    for name, (text, words) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ConfigError, match=words):
            build_cfg(str(tmp_path / name))
    with pytest.raises(ConfigError, match="does not exist"):
        build_cfg(str(tmp_path / "absent.yaml"))
    with pytest.raises(ConfigError, match="SOLVER.NOPE"):
        build_cfg(TINY, ["SOLVER.NOPE", "1"])


def test_a_zoo_style_pkl_loads_and_a_crafted_one_runs_nothing(tmp_path):
    from d2hands.engine import build_cfg
    from d2hands.errors import UnsafeFileError
    from d2hands.modeling.loading import load_model

    cfg = build_cfg(TINY, ["MODEL.DEVICE", "cpu"])
    model = load_model_random(cfg)
    state = {k: v.numpy() + 1.0 for k, v in model.state_dict().items()}
    good = tmp_path / "zoo.pkl"
    with open(good, "wb") as handle:
        pickle.dump({"model": state, "__author__": "test"}, handle, protocol=2)
    loaded = load_model(cfg, good).state_dict()
    assert all(np.allclose(loaded[k].numpy(), v) for k, v in state.items())

    marker = tmp_path / "ran"
    for evil in (crafted_pkl(tmp_path / "evil.pkl", marker),
                 crafted_pth(tmp_path / "evil.pth", marker)):
        with pytest.raises(UnsafeFileError, match="could run code"):
            load_model(cfg, evil)
    assert not marker.exists()


def load_model_random(cfg):
    from detectron2.modeling import build_model
    return build_model(cfg)


@pytest.fixture
def crafted(tmp_path, toy_sets):
    """Crafted files, a train_net-style and a repetitive-style --run folder using them."""
    marker = tmp_path / "ran"
    pkl = crafted_pkl(tmp_path / "evil.pkl", marker)
    config = crafted_yaml(tmp_path / "evil.yaml", marker, base=TINY)
    run_config = tmp_path / "run_cfg"
    run_config.mkdir()
    crafted_yaml(run_config / "config.yaml", marker, base=TINY)
    torch.save({"model": {}}, run_config / "model_final.pth")
    run_weights = tmp_path / "run_pkl"
    run_weights.mkdir()
    (run_weights / "manifest.json").write_text(json.dumps({
        "config_file": TINY, "opts": [], "final_weights": str(pkl),
        "sessions": [{"index": 1, "status": "done", "final_weights": str(pkl)}]}))
    json_path, images = toy_sets["real"]
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 5, (64, 48))
    for _ in range(2):
        writer.write(np.full((48, 64, 3), 128, np.uint8))
    writer.release()
    return {"marker": marker, "pkl": pkl, "config": config, "run_config": run_config,
            "run_weights": run_weights, "json": json_path, "images": images, "clip": clip,
            "out": tmp_path / "out"}


def tool_calls(c):
    """(argv, words) for every tool that reads a config or a checkpoint."""
    tools = ROOT / "tools"
    data = ["--coco", c["json"], "--image-root", c["images"], "--output-dir", c["out"]]
    video = ["--input", c["clip"], "--output", c["out"].parent / "o.mp4"]
    return [
        ([tools / "evaluate.py", "--config-file", TINY, "--weights", c["pkl"], *data],
         "could run code"),
        ([tools / "evaluate.py", "--config-file", c["config"], "--weights", c["pkl"], *data],
         "python/object/apply"),
        ([tools / "evaluate.py", "--run", c["run_config"], *data], "python/object/apply"),
        ([tools / "evaluate.py", "--run", c["run_weights"], *data], "could run code"),
        ([tools / "visualize_video.py", "--config-file", TINY, "--weights", c["pkl"], *video],
         "could run code"),
        ([tools / "visualize_video.py", "--run", c["run_config"], *video],
         "python/object/apply"),
        ([tools / "visualize_video.py", "--run", c["run_weights"], *video], "could run code"),
        ([tools / "train_net.py", "--config-file", c["config"], "OUTPUT_DIR", c["out"]],
         "python/object/apply"),
        ([tools / "train_net.py", "--config-file", TINY, "--eval-only", "MODEL.WEIGHTS",
          c["pkl"], "OUTPUT_DIR", c["out"]], "could run code"),
        ([tools / "repetitive_train.py", "--config-file", c["config"], "--output-dir",
          c["out"]], "python/object/apply"),
        ([tools / "visualize_data.py", "--source", "annotation", "--config-file", c["config"],
          "--output-dir", c["out"]], "python/object/apply"),
        ([tools / "inspect_dataset.py", "some_registered_set", "--config-file", c["config"]],
         "python/object/apply"),
        ([tools / "predict.py", "--input", c["clip"], "--output-dir", c["out"],
          "--config-file", TINY, "--weights", c["pkl"]], "could run code"),
        ([tools / "predict.py", "--input", c["clip"], "--output-dir", c["out"], "--run",
          c["run_config"]], "python/object/apply"),
        ([tools / "export_model.py", "--config-file", TINY, "--weights", c["pkl"], "--output",
          c["out"].parent / "x.pth"], "could run code"),
    ]


@pytest.mark.slow
def test_no_tool_runs_code_from_a_crafted_file(crafted):
    for argv, words in tool_calls(crafted):
        assert_refused(run(argv), words, crafted["marker"])


@pytest.mark.slow
def test_training_refuses_a_crafted_initial_checkpoint(crafted, toy_sets):
    json_path, images = toy_sets["synth"]
    opts = ["DATASETS.REGISTER", json.dumps([["s", str(json_path), str(images)]]),
            "DATASETS.TRAIN", '("s",)', "DATASETS.TEST", "()", "SOLVER.MAX_ITER", "2",
            "MODEL.WEIGHTS", crafted["pkl"]]
    assert_refused(run([ROOT / "tools" / "train_net.py", "--config-file", TINY, *opts,
                        "OUTPUT_DIR", crafted["out"]]), "could run code", crafted["marker"])
    assert not (crafted["out"] / "model_final.pth").exists()
