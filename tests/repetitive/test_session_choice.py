"""Choosing a finished run's session again on more validation sets (tools/choose_session.py)."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, tool_env

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")
TOOL = str(ROOT / "tools" / "choose_session.py")


def choose(args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True,
                          env=tool_env(), timeout=600)


def counts(metrics_path):
    hands = json.loads(metrics_path.read_text())["hands"]
    return hands["TP"], hands["FP"], hands["FN"]


@pytest.mark.slow
def test_every_session_is_scored_on_every_set_and_the_choice_is_used(toy_sets, tmp_path):
    from d2hands.engine import build_cfg
    from d2hands.repetitive import PlanRequest, run_chain

    (synth_json, synth_images), (real_json, real_images) = toy_sets["synth"], toy_sets["real"]
    register = json.dumps([["toy_synth", str(synth_json), str(synth_images)],
                           ["toy_real", str(real_json), str(real_images)]])
    opts = ["DATASETS.REGISTER", register, "DATASETS.TRAIN", '("toy_synth",)',
            "DATASETS.TEST", '("toy_real",)']
    run = tmp_path / "run"
    plan = PlanRequest(subsets=2, schedule=["all", "heads"], iters=[2])
    run_chain(build_cfg(TINY, opts), plan, run, config_file=TINY, opts=opts, select="val",
              select_metric="hands/F1")
    before = json.loads((run / "manifest.json").read_text())
    # A set the run never registered, added by a trailing REGISTER (the run's own stay).
    extra = ["DATASETS.REGISTER", json.dumps([["toy_extra", str(synth_json), str(synth_images)]])]

    proc = choose(["--run", str(run), "--datasets", "toy_real,toy_extra", "--test-sizes", "64,96",
                   *extra])

    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "chose session" in proc.stdout and "Traceback" not in proc.stderr
    assert "scored sessions [0, 1] on toy_real+toy_extra" in proc.stdout
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["validation"] == ["toy_real", "toy_extra"]
    assert manifest["select_metric"] == "hands/F1_best,segm/AP"
    for old, new in zip(before["sessions"], manifest["sessions"], strict=True):
        assert new["val_on"] == ["toy_real", "toy_extra"]
        assert new["val_history"][0]["val"] == old["val"], "the first validation is kept"
        curve = {float(t): f1 for t, f1 in new["val_thresholds"].items()}
        assert new["val"]["hands/F1_best"] == pytest.approx(max(curve.values()))
    best = manifest["sessions"][manifest["best_session"]]
    keys = [(s["val"]["hands/F1_best"], s["val"]["segm/AP"]) for s in manifest["sessions"]]
    assert keys[manifest["best_session"]] == max(keys)
    assert manifest["best_session"] == max(i for i, k in enumerate(keys) if k == max(keys))
    assert manifest["final_weights"] == best["final_weights"]

    # The chosen session was scored at both test sizes; the best (ties: the config's 96) is kept.
    key = f"session {manifest['best_session']} on toy_real+toy_extra"
    curves = manifest["test_size_curves"][key]
    assert sorted(curves) == ["64", "96"] and curves["64"]["max"] == 85  # 128 * 64 / 96
    assert curves["96"]["curve"] == best["val_thresholds"], "the config's own size: reused"
    best_f1 = {s: max(c["curve"].values()) for s, c in curves.items()}
    size = 96 if best_f1["96"] == max(best_f1.values()) else 64
    assert manifest["test_size"] == {"session": manifest["best_session"], "min": size,
                                     "max": 128 if size == 96 else 85}
    curve = curves[str(size)]["curve"]

    # The curve pools both sets: at the chosen threshold, evaluate.py's counts on each set,
    # added up, give the recorded F1; and evaluate.py --run uses that threshold and size.
    thresh = manifest["score_thresh"]
    totals = [0, 0, 0]
    for name, (json_path, images) in (("real", toy_sets["real"]), ("synth", toy_sets["synth"])):
        out = tmp_path / f"eval_{name}"
        proc = subprocess.run([sys.executable, str(ROOT / "tools" / "evaluate.py"), "--run",
                               str(run), "--coco", str(json_path), "--image-root", str(images),
                               "--output-dir", str(out), "--quiet"],
                              capture_output=True, text=True, env=tool_env(), timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        settings = json.loads((out / "metrics.json").read_text())["settings"]
        assert (settings["score_thresh"], settings["min_size_test"]) == (thresh, size)
        totals = [a + b for a, b in zip(totals, counts(out / "metrics.json"), strict=True)]
    tp, fp, fn = totals
    expected = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    assert curve[str(thresh)] == pytest.approx(expected, abs=1e-6)

    # Scored on the same sets already: a second call evaluates nothing and chooses the same.
    proc = choose(["--run", str(run), "--datasets", "toy_real,toy_extra", "--test-sizes", "64,96",
                   *extra])
    assert proc.returncode == 0 and "every session was already scored" in proc.stdout
    assert "scoring" not in proc.stderr, "the test sizes' curves are reused too"
    assert json.loads((run / "manifest.json").read_text()) == manifest

    # The training command run again (nothing left to train) keeps the choice.
    run_chain(build_cfg(TINY, opts), plan, run, config_file=TINY, opts=opts, select="val",
              select_metric="hands/F1")
    again = json.loads((run / "manifest.json").read_text())
    assert {k: again.get(k) for k in ("best_session", "score_thresh", "test_size", "validation")} \
        == {k: manifest.get(k) for k in ("best_session", "score_thresh", "test_size", "validation")}

    proc = choose(["--run", str(run), "--datasets", "toy_real,nowhere"])
    assert proc.returncode != 0 and "nowhere" in proc.stderr and "not registered" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_input_is_one_error_line(tmp_path):
    proc = choose(["--run", str(tmp_path)])
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "no finished session" in proc.stderr
    proc = choose(["--run", str(tmp_path), "--test-sizes", "320,big"])
    assert proc.returncode == 2 and "--test-sizes" in proc.stderr
    proc = choose(["--run", str(tmp_path), "--select-metric", "hands/f1_best"])
    assert proc.returncode != 0 and "--select-metric" in proc.stderr
    assert "Traceback" not in proc.stderr
