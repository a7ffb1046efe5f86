"""Real detectron2 training steps on a tiny Mask R-CNN over a mixed synthetic + replicated set."""

import itertools
import json
import subprocess
import sys

import pytest
import torch
from conftest import ROOT, tool_env

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")


def dataset_opts(toy_sets, replication):
    (synth_json, synth_images), (real_json, real_images) = toy_sets["synth"], toy_sets["real"]
    register = [["toy_synth", str(synth_json), str(synth_images)],
                ["toy_real", str(real_json), str(real_images)]]
    return ["DATASETS.REGISTER", json.dumps(register),
            "DATASETS.TRAIN", '("toy_synth", "toy_real")',
            "DATASETS.TEST", '("toy_real",)',
            "DATASETS.REPLICATION", json.dumps([["toy_real", replication]])]


def real_draw_rate(cfg, draws=40000):
    """Draws per real image / draws per synthetic image from the trainer's sampler."""
    from detectron2.data.samplers import RepeatFactorTrainingSampler

    from d2hands.data import train_dicts_with_factors

    dicts, factors = train_dicts_with_factors(cfg)
    sampler = RepeatFactorTrainingSampler(factors, shuffle=True, seed=0)
    counts = torch.zeros(len(dicts))
    for index in itertools.islice(iter(sampler), draws):
        counts[index] += 1
    is_real = torch.tensor([d["dataset_name"] == "toy_real" for d in dicts])
    return (counts[is_real].mean() / counts[~is_real].mean()).item()


def test_replication_rate_from_sampler(toy_sets):
    from d2hands.engine import build_cfg

    plain = build_cfg(TINY, dataset_opts(toy_sets, 1.0))
    replicated = build_cfg(TINY, dataset_opts(toy_sets, 10.0))
    fractional = build_cfg(TINY, dataset_opts(toy_sets, 2.5))
    assert real_draw_rate(plain) == pytest.approx(1.0, rel=0.1)
    assert real_draw_rate(replicated) == pytest.approx(10.0, rel=0.1)
    assert real_draw_rate(fractional) == pytest.approx(2.5, rel=0.1)


def test_building_a_config_reads_no_data_and_the_loader_picks_bitmasks(toy_sets, tmp_path):
    from detectron2.structures import BitMasks

    from d2hands.data import DatasetError, build_replicated_train_loader
    from d2hands.engine import build_cfg

    missing = tmp_path / "nowhere.json"  # registered by name; only a loader would read it
    cfg = build_cfg(TINY, ["DATASETS.REGISTER", json.dumps([["gone", str(missing), "."]]),
                           "DATASETS.TRAIN", '("gone",)'])
    assert cfg.INPUT.MASK_FORMAT == "bitmask"  # d2hands' default: its datasets store RLE
    with pytest.raises(DatasetError, match="nowhere.json has 1 problem: file not found"):
        build_replicated_train_loader(cfg)
    cfg = build_cfg(TINY, dataset_opts(toy_sets, 10.0) + ["INPUT.MASK_FORMAT", "polygon"])
    assert cfg.INPUT.MASK_FORMAT == "polygon"  # the config is left as written
    batch = next(iter(build_replicated_train_loader(cfg)))  # the toy sets store RLE
    assert all(isinstance(d["instances"].gt_masks, BitMasks) for d in batch)


@pytest.mark.slow
def test_tiny_training_mixes_both_sets(toy_sets, tmp_path):
    from d2hands.data.replication import build_replicated_train_loader
    from d2hands.engine import HandsTrainer, build_cfg

    cfg = build_cfg(TINY, dataset_opts(toy_sets, 10.0) + [
        "SOLVER.MAX_ITER", "4", "OUTPUT_DIR", str(tmp_path), "SOLVER.CHECKPOINT_PERIOD", "100"])
    seen = []

    class RecordingTrainer(HandsTrainer):
        @classmethod
        def build_train_loader(cls, cfg):
            for batch in build_replicated_train_loader(cfg):
                seen.extend(d["file_name"] for d in batch)
                yield batch

    trainer = RecordingTrainer(cfg)
    trainer.resume_or_load(resume=False)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.train()
    assert len(seen) >= 4 * cfg.SOLVER.IMS_PER_BATCH
    losses = [value for value, _ in trainer.storage.history("total_loss").values()]
    assert len(losses) == 4 and torch.isfinite(torch.tensor(losses)).all()
    after = trainer.model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert (tmp_path / "model_final.pth").exists()


@pytest.mark.slow
def test_train_net_cli_then_eval_only(toy_sets, tmp_path):
    opts = dataset_opts(toy_sets, 5.0)
    train = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train_net.py"), "--config-file", TINY, *opts,
         "SOLVER.MAX_ITER", "2", "OUTPUT_DIR", str(tmp_path)],
        capture_output=True, text=True, env=tool_env(), timeout=600)
    assert train.returncode == 0, train.stderr[-3000:]
    weights = tmp_path / "model_final.pth"
    assert weights.exists()
    evaluate = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train_net.py"), "--config-file", TINY,
         "--eval-only", *opts, "MODEL.WEIGHTS", str(weights), "OUTPUT_DIR", str(tmp_path / "ev")],
        capture_output=True, text=True, env=tool_env(), timeout=600)
    assert evaluate.returncode == 0, evaluate.stderr[-3000:]
    assert "copypaste: Task: segm" in evaluate.stdout + evaluate.stderr
    # The same checkpoint under the MobileNetV2 config: refused, not evaluated with random init.
    mnv2 = str(ROOT / "configs" / "hands_mnv2_tiny_cpu.yaml")
    wrong = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train_net.py"), "--config-file", mnv2,
         "--eval-only", *opts, "MODEL.WEIGHTS", str(weights), "OUTPUT_DIR", str(tmp_path / "w")],
        capture_output=True, text=True, env=tool_env(), timeout=600)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "do not fit the model" in wrong.stderr and "copypaste" not in wrong.stdout


def test_train_net_bad_dataset_is_one_clear_line(tmp_path):
    (tmp_path / "bad.json").write_text("[1, 2")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train_net.py"), "--config-file", TINY,
         "DATASETS.REGISTER", json.dumps([["bad", str(tmp_path / "bad.json"), str(tmp_path)]]),
         "DATASETS.TRAIN", '("bad",)', "OUTPUT_DIR", str(tmp_path / "o")],
        capture_output=True, text=True, env=tool_env(), timeout=300)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bad.json has 1 problem: invalid JSON" in result.stderr


def test_unregistered_name_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train_net.py"), "--config-file", TINY,
         "DATASETS.TRAIN", '("nowhere",)', "OUTPUT_DIR", str(tmp_path)],
        capture_output=True, text=True, env=tool_env(), timeout=300)
    assert result.returncode == 2
    assert "nowhere" in result.stderr and "DATASETS.REGISTER" in result.stderr


@pytest.mark.slow
def test_a_diverged_training_is_one_line_and_keeps_its_checkpoint(toy_sets, tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train_net.py"), "--config-file", TINY,
         *dataset_opts(toy_sets, 1.0), "SOLVER.BASE_LR", "1e12", "SOLVER.WARMUP_ITERS", "0",
         "SOLVER.MAX_ITER", "30", "SOLVER.CHECKPOINT_PERIOD", "1", "TEST.EVAL_PERIOD", "0",
         "OUTPUT_DIR", str(tmp_path)],
        capture_output=True, text=True, env=tool_env(), timeout=600)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: training diverged at iteration "), line
    assert "SOLVER.BASE_LR" in line
    kept = sorted(tmp_path.glob("model_*.pth"))
    assert kept and str(kept[-1]) in line  # the resume point it names exists
