"""What a run leaves on disk: the last checkpoints while it trains, slim final weights after."""

import json

import torch
from conftest import ROOT

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")


def train(toy_sets, out, *extra):
    from d2hands.engine import HandsTrainer, build_cfg

    json_path, images = toy_sets["synth"]
    cfg = build_cfg(TINY, ["DATASETS.REGISTER", json.dumps([["d_synth", str(json_path),
                                                                str(images)]]),
                           "DATASETS.TRAIN", '("d_synth",)', "DATASETS.TEST", "()",
                           "SOLVER.MAX_ITER", "6", "SOLVER.CHECKPOINT_PERIOD", "1",
                           "OUTPUT_DIR", str(out), *extra])
    trainer = HandsTrainer(cfg)
    trainer.resume_or_load(resume=False)
    seen = []
    original = trainer.checkpointer.save

    def save(name, **kwargs):  # the periodic checkpoints left on disk between two saves
        seen.append(len(list(out.glob("model_0*.pth"))))
        original(name, **kwargs)

    trainer.checkpointer.save = save
    trainer.train()
    return seen


def walk_keys(state):
    for key, value in state.items():
        yield key
        if isinstance(value, dict) and key != "model":
            yield from walk_keys(value)


def test_a_finished_run_keeps_slim_final_weights_only(toy_sets, tmp_path):
    out = tmp_path / "run"
    seen = train(toy_sets, out)
    assert max(seen) <= 2 and len(seen) >= 6  # a checkpoint every step, two at most kept
    assert sorted(p.name for p in out.glob("*.pth")) == ["model_final.pth"]
    final = torch.load(out / "model_final.pth", map_location="cpu", weights_only=True)
    assert "optimizer" not in str(list(walk_keys(final)))
    assert final["trainer"]["iteration"] == 5 and final["model"]
    assert (out / "last_checkpoint").read_text().strip() == "model_final.pth"


def test_the_training_state_stays_when_asked(toy_sets, tmp_path):
    out = tmp_path / "run"
    train(toy_sets, out, "HANDS.KEEP_TRAINING_STATE", "True", "HANDS.CHECKPOINTS_KEPT", "3")
    final = torch.load(out / "model_final.pth", map_location="cpu", weights_only=True)
    assert "optimizer" in list(walk_keys(final))


def test_a_finished_slim_run_continues_when_resumed_with_more_steps(toy_sets, tmp_path):
    from d2hands.engine import HandsTrainer, build_cfg

    out = tmp_path / "run"
    train(toy_sets, out)
    json_path, images = toy_sets["synth"]
    cfg = build_cfg(TINY, ["DATASETS.REGISTER", json.dumps([["d_synth", str(json_path),
                                                                str(images)]]),
                           "DATASETS.TRAIN", '("d_synth",)', "DATASETS.TEST", "()",
                           "SOLVER.MAX_ITER", "8", "SOLVER.CHECKPOINT_PERIOD", "100",
                           "OUTPUT_DIR", str(out)])
    trainer = HandsTrainer(cfg)
    trainer.resume_or_load(resume=True)  # the slim final checkpoint has no optimizer state
    assert trainer.start_iter == 6
    trainer.train()
    final = torch.load(out / "model_final.pth", map_location="cpu", weights_only=True)
    assert final["trainer"]["iteration"] == 7
