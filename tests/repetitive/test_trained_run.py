"""Naming a trained run by its folder: the chosen weights, or one session's (--session K)."""

import json

import pytest
from conftest import ROOT

from d2hands.errors import UsageError
from d2hands.repetitive.trained_run import read_trained_run

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")


def write_run(folder, sessions, final=None):
    """A repetitive run's folder with one weights file per finished session."""
    folder.mkdir()
    entries = []
    for index, status in enumerate(sessions):
        weights = folder / f"session_{index:02d}" / "model_final.pth"
        if status == "done":
            weights.parent.mkdir()
            weights.write_bytes(b"weights")
        entries.append({"index": index, "status": status,
                        "final_weights": str(weights) if status == "done" else None})
    chosen = None if final is None else entries[final]["final_weights"]
    (folder / "manifest.json").write_text(json.dumps({
        "config_file": TINY, "opts": ["SEED", "3"], "sessions": entries,
        "best_session": final, "final_weights": chosen}))
    return folder


def test_a_session_other_than_the_chosen_one(tmp_path):
    folder = write_run(tmp_path / "run", ["done", "done", "done"], final=1)
    assert read_trained_run(folder).weights.endswith("session_01/model_final.pth")
    for k in (0, 2):
        run = read_trained_run(folder, session=k)
        assert run.weights == str(folder / f"session_{k:02d}" / "model_final.pth")
        assert (run.config_file, run.opts) == (TINY, ["SEED", "3"])


def test_a_finished_session_of_an_unfinished_run(tmp_path):
    folder = write_run(tmp_path / "run", ["done", "running", "pending"])
    with pytest.raises(UsageError, match=r"not finished .*--session K"):
        read_trained_run(folder)
    assert read_trained_run(folder, session=0).weights.endswith("session_00/model_final.pth")
    with pytest.raises(UsageError, match="--session 1: .* is not done"):
        read_trained_run(folder, session=1)
    with pytest.raises(UsageError, match=r"--session 7: .* has sessions \[0, 1, 2\]"):
        read_trained_run(folder, session=7)


def test_a_session_whose_weights_are_gone(tmp_path):
    folder = write_run(tmp_path / "run", ["done", "done"], final=0)
    (folder / "session_01" / "model_final.pth").unlink()
    with pytest.raises(UsageError, match="weights .*session_01/model_final.pth do not exist"):
        read_trained_run(folder, session=1)


def test_train_net_runs_have_no_sessions(tmp_path):
    (tmp_path / "config.yaml").write_text("")
    (tmp_path / "model_final.pth").write_bytes(b"weights")
    assert read_trained_run(tmp_path).weights == str(tmp_path / "model_final.pth")
    with pytest.raises(UsageError, match="has no sessions"):
        read_trained_run(tmp_path, session=0)
