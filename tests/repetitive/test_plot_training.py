import json
import subprocess
import sys

import numpy as np
from conftest import ROOT, tool_env
from PIL import Image


def fake_run(folder, kind, sessions, steps):
    plan = {"kind": kind, "sessions": [{"index": k, "layers": "all"} for k in range(sessions)]}
    manifest = {"kind": kind, "plan": plan, "sessions": []}
    rng = np.random.default_rng(sessions)
    for k in range(sessions):
        session_dir = folder / f"session_{k:02d}"
        session_dir.mkdir(parents=True)
        losses = 1.0 / (1 + np.arange(steps) / 10) + rng.normal(0, 0.01, steps)
        session_dir.joinpath("losses.jsonl").write_text(
            "".join(json.dumps({"iter": i, "loss": float(v)}) + "\n" for i, v in enumerate(losses)))
        manifest["sessions"].append({"index": k, "status": "done", "saturation_step": steps // 2})
    folder.joinpath("manifest.json").write_text(json.dumps(manifest))


def test_plot_training_writes_both_figures(tmp_path):
    fake_run(tmp_path / "rep", "repetitive", 3, 40)
    fake_run(tmp_path / "conv", "conventional", 1, 120)
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "plot_training.py"),
                             str(tmp_path / "rep"), str(tmp_path / "conv")],
                            capture_output=True, text=True, env=tool_env())
    assert result.returncode == 0, result.stderr
    for name in ("avg_loss.png", "loss_curves.png"):
        with Image.open(tmp_path / "rep" / "plots" / name) as img:
            assert img.width > 400 and img.height > 200


def test_plot_training_not_a_run(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "plot_training.py"),
                             str(tmp_path)], capture_output=True, text=True, env=tool_env())
    assert result.returncode == 2
    assert "no manifest.json" in result.stderr and "Traceback" not in result.stderr
