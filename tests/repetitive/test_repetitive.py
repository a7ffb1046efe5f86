"""Repetitive training on a tiny CPU Mask R-CNN: weights hand-off, freezing, resume, baseline."""

import importlib.util
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from conftest import ROOT, tool_env

from d2hands.repetitive import PlanRequest

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")
TOOL = str(ROOT / "tools" / "repetitive_train.py")


def opts_for(toy_sets, extra=()):
    (synth_json, synth_images), (real_json, real_images) = toy_sets["synth"], toy_sets["real"]
    register = [["toy_synth", str(synth_json), str(synth_images)],
                ["toy_real", str(real_json), str(real_images)]]
    return ["DATASETS.REGISTER", json.dumps(register), "DATASETS.TRAIN",
            '("toy_synth", "toy_real")', "DATASETS.REPLICATION", '[["toy_real", 5.0]]',
            "SOLVER.CHECKPOINT_PERIOD", "2", *extra]


def run_tool(args, out_dir, toy_sets, **kwargs):
    return subprocess.Popen(
        [sys.executable, TOOL, "--config-file", TINY, "--output-dir", str(out_dir), *args,
         *opts_for(toy_sets)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=tool_env(), **kwargs)


def load_weights(path):
    return torch.load(path, map_location="cpu", weights_only=False)["model"]


# --- real training ----------------------------------------------------------------------


@pytest.mark.slow
def test_chain_hand_off_freezing_and_subsets(toy_sets, tmp_path, monkeypatch):
    from d2hands.data import train_dicts_with_factors
    from d2hands.engine import build_cfg
    from d2hands.repetitive import run_chain
    from d2hands.repetitive.session import SessionTrainer, session_cfg

    starts = []
    original = SessionTrainer.resume_or_load

    def recording_resume(self, resume=True):
        original(self, resume=resume)
        starts.append({k: v.detach().clone() for k, v in self.model.state_dict().items()})

    monkeypatch.setattr(SessionTrainer, "resume_or_load", recording_resume)
    cfg = build_cfg(TINY, opts_for(toy_sets))
    request = PlanRequest(subsets=3, schedule=["all", "4+", "heads"], iters=[2])
    manifest = run_chain(cfg, request, tmp_path)
    assert [s["status"] for s in manifest["sessions"]] == ["done"] * 3
    finals = [load_weights(s["final_weights"]) for s in manifest["sessions"]]
    for k in (1, 2):
        assert manifest["sessions"][k]["init_weights"] == manifest["sessions"][k - 1][
            "final_weights"]
        for name, value in finals[k - 1].items():
            assert torch.equal(starts[k][name], torch.as_tensor(value)), name
    frozen_prefixes = {1: ("backbone.bottom_up.stem", "backbone.bottom_up.res2",
                           "backbone.bottom_up.res3"),
                       2: ("backbone.bottom_up.",)}
    for k, prefixes in frozen_prefixes.items():
        model = SessionTrainer.build_model(session_cfg(cfg, manifest["plan"]["sessions"][k],
                                                       manifest["plan"], tmp_path / "x", ""))
        trainable = {n for n, p in model.named_parameters() if p.requires_grad}
        params = {n for n, _ in model.named_parameters()}
        for name in params:
            same = torch.equal(torch.as_tensor(finals[k - 1][name]),
                               torch.as_tensor(finals[k][name]))
            if name.startswith(prefixes):
                assert name not in trainable and same, name
            else:
                assert name in trainable and not same, name
        assert manifest["sessions"][k]["trainable_params"] == sum(
            p.numel() for p in model.parameters() if p.requires_grad)
    # The three sessions' subsets are disjoint and cover the synthetic set.
    seen = []
    for k in range(3):
        scfg = session_cfg(cfg, manifest["plan"]["sessions"][k], manifest["plan"], tmp_path, "")
        dicts, _ = train_dicts_with_factors(scfg)
        seen.append({d["file_name"] for d in dicts if d["dataset_name"] == "toy_synth"})
        assert any(d["dataset_name"] == "toy_real" for d in dicts)
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])
    assert len(seen[0] | seen[1] | seen[2]) == 12


@pytest.mark.slow
def test_killed_in_session_two_resumes(toy_sets, tmp_path):
    out = tmp_path / "run"
    args = ["--subsets", "3", "--schedule", "all,3+,all", "--iters", "6"]
    proc = run_tool(args, out, toy_sets)
    checkpoint = out / "session_01" / "last_checkpoint"
    deadline = time.time() + 400
    while not checkpoint.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = json.loads((out / "manifest.json").read_text())
    assert [s["status"] for s in killed["sessions"]] == ["done", "running", "pending"]
    first_final = out / "session_00" / "model_final.pth"
    mtime = first_final.stat().st_mtime_ns

    proc = run_tool(args, out, toy_sets)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-3000:]
    resumed = json.loads((out / "manifest.json").read_text())
    assert resumed["plan"] == killed["plan"]
    assert [s["status"] for s in resumed["sessions"]] == ["done"] * 3
    assert first_final.stat().st_mtime_ns == mtime  # session 1 was not redone
    losses = [json.loads(line) for line in (out / "session_01" / "losses.jsonl").open()]
    assert [line["iter"] for line in losses] == list(range(6))
    assert resumed["best_session"] is not None and resumed["final_weights"]

    changed = run_tool(["--subsets", "2", "--schedule", "all,all", "--iters", "6"], out,
                       toy_sets)
    _, stderr = changed.communicate(timeout=300)
    assert changed.returncode == 2
    assert "different plan" in stderr and "--force-new" in stderr and "Traceback" not in stderr


@pytest.mark.slow
def test_conventional_baseline_same_total_steps(toy_sets, tmp_path):
    proc = run_tool(["--subsets", "3", "--schedule", "all,3+,all", "--iters", "1,2,1",
                     "--conventional"], tmp_path, toy_sets)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-3000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["kind"] == "conventional"
    assert manifest["plan"]["sessions"][0]["iters"] == 4
    losses = (tmp_path / "session_00" / "losses.jsonl").read_text().splitlines()
    assert len(losses) == 4
    assert set(manifest["sessions"][0]) >= {"status", "init_weights", "final_weights",
                                            "wall_time_s", "images_per_s", "avg_loss",
                                            "final_loss", "trainable_params", "saturation_step"}

    # --run names the run: the same metrics as its config, opts and final weights spelled out
    real_json, real_images = (str(p) for p in toy_sets["real"])
    spec = importlib.util.spec_from_file_location("evaluate_tool", ROOT / "tools" / "evaluate.py")
    evaluate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evaluate)
    data = ["--coco", real_json, "--image-root", real_images, "--quiet"]
    assert evaluate.main(["--run", str(tmp_path), *data, "--output-dir",
                          str(tmp_path / "by_run")]) == 0
    assert evaluate.main(["--config-file", TINY, "--weights", manifest["final_weights"], *data,
                          "--output-dir", str(tmp_path / "spelled"), *opts_for(toy_sets)]) == 0
    by_run, spelled = (json.loads((tmp_path / d / "metrics.json").read_text())
                       for d in ("by_run", "spelled"))
    assert {k: by_run[k] for k in ("coco", "hands", "pixel")} == {
        k: spelled[k] for k in ("coco", "hands", "pixel")}


def test_schedule_shorter_than_subsets_cli_error(toy_sets, tmp_path):
    proc = run_tool(["--subsets", "4", "--schedule", "all,all"], tmp_path, toy_sets)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert "2 entries for 4 subsets" in stderr and "Traceback" not in stderr


def test_misspelled_select_metric_cli_error(toy_sets, tmp_path):
    proc = run_tool(["--subsets", "2", "--select", "val", "--select-metric", "hands/f1"],
                    tmp_path, toy_sets)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2, stderr[-3000:]
    assert "hands/f1" in stderr and "hands/F1" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.slow
def test_select_val_and_auto_subsets(toy_sets, tmp_path):
    from d2hands.engine import build_cfg
    from d2hands.repetitive import run_chain

    opts = opts_for(toy_sets, ["DATASETS.TEST", '("toy_real",)'])
    cfg = build_cfg(TINY, opts)
    manifest = run_chain(cfg, PlanRequest(subsets=2, schedule=["all", "heads"], iters=[2]),
                         tmp_path / "val", select="val", select_metric="pixel/F1")
    values = [s["val"]["pixel/F1"] for s in manifest["sessions"]]
    assert all("hands/F1" in s["val"] and "segm/AP" in s["val"] for s in manifest["sessions"])
    assert manifest["best_session"] == len(values) - 1 - int(np.argmax(values[::-1]))  # ties: later
    assert all(s["val"]["hands/F1_best"] == max(s["val_thresholds"].values())
               for s in manifest["sessions"])
    assert manifest["select"] == "val"

    manifest = run_chain(cfg, PlanRequest(subsets=1, schedule=["all"], iters=[1]),
                         tmp_path / "auto", auto_probe_iters=12)
    info = manifest["auto_subsets"]
    assert info["probe_iters"] == 12 and info["images"] == 12
    expected = 1 if info["saturation_step"] is None else min(12, -(-12 // (
        (info["saturation_step"] + 1) * 2)))
    assert manifest["plan"]["num_subsets"] == info["subsets"] == expected
    assert len(manifest["sessions"]) == expected


def test_session_data_is_recorded_and_used(toy_sets, tmp_path, monkeypatch):
    from d2hands.data import replication
    from d2hands.engine import build_cfg
    from d2hands.repetitive import run_chain

    used = []
    original = replication.train_dicts_with_factors

    def recording(cfg):
        dicts, factors = original(cfg)
        used.append(({d["dataset_name"] for d in dicts}, set(factors.tolist())))
        return dicts, factors

    monkeypatch.setattr(replication, "train_dicts_with_factors", recording)
    cfg = build_cfg(TINY, opts_for(toy_sets))
    request = PlanRequest(subsets=2, schedule=["all", "heads"], iters=[2],
                          session_data={-1: [("toy_real", 2.0)]})
    manifest = run_chain(cfg, request, tmp_path)
    sessions = manifest["plan"]["sessions"]
    assert sessions[0]["train"] == ["toy_synth", "toy_real"]
    assert sessions[0]["replication"] == [["toy_real", 5.0]] and sessions[0]["subset"] == 0
    assert sessions[1]["train"] == ["toy_real"] and sessions[1]["replication"] == [
        ["toy_real", 2.0]]
    assert sessions[1]["subset"] is None  # its sets leave out the split set: all of them
    assert used == [({"toy_synth", "toy_real"}, {1.0, 5.0}), ({"toy_real"}, {2.0})]


def test_session_data_names_must_be_registered(toy_sets, tmp_path):
    from d2hands.engine import build_cfg
    from d2hands.repetitive import run_chain
    from d2hands.repetitive.plan import parse_session_data

    cfg = build_cfg(TINY, opts_for(toy_sets))
    request = PlanRequest(subsets=2, schedule=["all", "heads"], iters=[2],
                          session_data=parse_session_data(["1=nope:3"]))
    with pytest.raises(ValueError, match=r"\['nope'\], which are not registered"):
        run_chain(cfg, request, tmp_path)
    assert not (tmp_path / "session_00").exists()
    assert parse_session_data(["last=toy_real:2"]) == {-1: [("toy_real", 2.0)]}
    for bad in (["1"], ["x=toy_real"], ["1=toy_real:0"], ["1=a", "1=b"]):
        with pytest.raises(ValueError, match="--session-data"):
            parse_session_data(bad)


def test_a_resumed_session_trains_like_an_uninterrupted_one(toy_sets, tmp_path):
    from d2hands.engine import build_cfg
    from d2hands.repetitive import run_chain

    cfg = build_cfg(TINY, opts_for(toy_sets))
    request = PlanRequest(subsets=2, schedule=["all", "all"], iters=[3])
    whole = run_chain(cfg, request, tmp_path / "whole")
    again = tmp_path / "again"
    again.mkdir()
    manifest = json.loads((tmp_path / "whole" / "manifest.json").read_text())
    manifest["sessions"][1] = {"index": 1, "status": "pending"}
    manifest["final_weights"] = manifest["best_session"] = None
    (again / "manifest.json").write_text(json.dumps(manifest))
    np.random.rand(7), torch.rand(7)  # a fresh process's generators are elsewhere
    resumed = run_chain(cfg, request, again)
    a = load_weights(whole["sessions"][1]["final_weights"])
    b = load_weights(resumed["sessions"][1]["final_weights"])
    assert a.keys() == b.keys()
    assert all(torch.equal(torch.as_tensor(a[k]), torch.as_tensor(b[k])) for k in a)
