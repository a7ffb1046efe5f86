"""The issue-14 protocol records its row-seeds, skips recorded ones, and tabulates them."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "experiments"))

import protocol  # noqa: E402
import protocol_report  # noqa: E402


def _metrics(f1: float, tp: int) -> dict:
    return {"hands": {"F1": f1, "IoU": 0.5, "TP": tp, "FP": 1, "FN": 2},
            "pixel": {"F1": f1 / 2}, "coco": {"segm": {"AP": 10.0}}}


def _scored_run(out: Path, name: str, f1s: dict[str, float]) -> None:
    """A finished run folder as train_and_score leaves it: manifest and eval metrics."""
    (out / "runs" / name).mkdir(parents=True)
    (out / "runs" / name / "manifest.json").write_text(json.dumps(
        {"best_session": 2, "score_thresh": 0.8, "validation": list(protocol.VALIDATION),
         "test_size": {"session": 2, "min": 416, "max": 708},
         "select_metric": "hands/F1_best,segm/AP",
         "sessions": [{"index": 0, "status": "done", "wall_time_s": 100.4,
                       "val": {"hands/F1_best": 0.5, "segm/AP": 9.0},
                       "val_thresholds": {"0.5": 0.5, "0.7": 0.25}},
                      {"index": 1, "status": "done", "wall_time_s": 20.3}]}))
    for held, f1 in f1s.items():
        folder = out / "eval" / name / "sessions" / "2" / held
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps(
            {**_metrics(f1, 3), "settings": {"score_thresh": 0.8, "min_size_test": 416}}))
        (out / "eval" / name / held).mkdir(parents=True)  # a stale score of another session
        (out / "eval" / name / held / "metrics.json").write_text(json.dumps(_metrics(0.0, 0)))


def test_a_scored_row_seed_is_recorded_and_then_skipped(tmp_path):
    out, records = tmp_path / "out", protocol.records_dir(3000, tmp_path / "records")
    _scored_run(out, "real_s1", {"own25": 0.8, "fist100": 0.4, "multi": 0.6})
    log = tmp_path / "commands.sh"

    protocol.train_and_score(out, "real", 1, 3000, log, records=records)

    record = json.loads((records / "real_s1.json").read_text())
    assert records.name == "3000steps"
    assert (record["row"], record["seed"], record["steps"], record["best_session"]) == (
        "real", 1, 3000, 2)
    assert record["held_out"]["fist100"]["hands"]["F1"] == 0.4, "the chosen session's scores"
    assert (record["score_thresh"], record["validation"]) == (0.8, ["val5", "valcomp"])
    assert record["test_size"] == {"session": 2, "min": 416, "max": 708}
    assert record["sessions_validation"] == {
        "0": {"hands_f1_best": 0.5, "score_thresh": 0.5, "segm_ap": 9.0}}
    assert record["train_seconds"] == 121, "the sessions' summed training time, 100.4 + 20.3"
    assert "--rows real --seeds 1" in record["command"]
    assert not log.exists(), "a finished, scored run must not run any command"

    # The run folder is gone (a clean checkout): the record alone stands for the row-seed.
    protocol.train_and_score(tmp_path / "elsewhere", "real", 1, 3000, log, records=records)
    assert not log.exists()


def test_the_report_gives_mean_and_sample_std_over_recorded_seeds(tmp_path):
    records = tmp_path / "3000steps"
    records.mkdir()
    f1s = [0.5, 0.7, 0.9]
    for seed, f1 in enumerate(f1s):
        held = {h: _metrics(f1, seed) for h in protocol.HELD_OUT}
        (records / f"real_s{seed}.json").write_text(json.dumps({"held_out": held}))
    (records / "mediapipe_s0.json").write_text(json.dumps(
        {"held_out": {h: _metrics(0.79, 47) for h in protocol.HELD_OUT}}))

    text = protocol_report.table(records, "own25")

    real = next(line for line in text.splitlines() if line.startswith("| real photos only"))
    cells = [c.strip() for c in real.strip("|").split("|")]
    assert cells[1] == "3"
    mean, std = statistics.mean(f1s), statistics.stdev(f1s)
    assert cells[2] == f"{mean:.3g} +- {std:.2g}" == "0.7 +- 0.2"
    media = next(line for line in text.splitlines() if line.startswith("| MediaPipe"))
    assert "| 1 | 0.79 |" in media, "one seed: the value alone, no spread"
    assert "paper-look" not in text, "rows without records are left out"


def test_the_report_names_a_missing_records_folder(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "experiments" / "protocol_report.py"),
                             "--records", str(tmp_path / "none")], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error:") and "none" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_session_is_read_back_from_its_scores(tmp_path):
    import score_sessions

    out = tmp_path / "out"
    (out / "runs" / "lsj_s0").mkdir(parents=True)
    sessions = [{"index": 0, "status": "done", "val": {"hands/F1": 0.5}},
                {"index": 1, "status": "done", "val": {"hands/F1": 0.75}},
                {"index": 2, "status": "running"}]
    (out / "runs" / "lsj_s0" / "manifest.json").write_text(json.dumps(
        {"best_session": 1, "sessions": sessions}))
    for index in (0, 1):  # scored already: nothing runs
        for held, f1 in zip(protocol.HELD_OUT, (0.1, 0.2, 0.3), strict=True):
            folder = out / "eval" / "lsj_s0" / "sessions" / str(index) / held
            folder.mkdir(parents=True)
            (folder / "metrics.json").write_text(json.dumps(
                {**_metrics(f1 + index, 1), "settings": {"score_thresh": 0.7}}))

    record = score_sessions.score(out, "lsj_s0", tmp_path / "commands.sh")

    assert sorted(record["sessions"]) == ["0", "1"]  # the unfinished session is left out
    assert record["sessions"]["1"]["val5"] == 0.75
    assert record["sessions"]["1"]["multi"] == {"hands_f1": 1.3, "pixel_f1": 0.65}
    lines = score_sessions.table(record).splitlines()
    assert lines[3] == "| 1 (chosen) | 0.75 | 1.10 (0.55) | 1.20 (0.60) | 1.30 (0.65) |"


def test_a_generated_table_is_written_between_its_markers_only(tmp_path):
    import pytest

    page = tmp_path / "ZOO.md"
    start = "<!-- generated: experiments/protocol_report.py --table zoo -->\n"
    page.write_text(f"intro\n{start}| old |\n<!-- end generated -->\nafter\n")
    protocol_report.write_between_markers(page, "| new |\n", "zoo")
    assert page.read_text() == f"intro\n{start}| new |\n<!-- end generated -->\nafter\n"
    page.write_text("no markers\n")
    with pytest.raises(SystemExit, match="no '<!-- generated"):
        protocol_report.write_between_markers(page, "| new |\n", "zoo")
    assert page.read_text() == "no markers\n"


def test_fewer_real_photos_swap_every_real20_for_a_nested_subset(tmp_path):
    import protocol_data
    import protocol_rows
    import pytest

    from d2hands.testing.toy import write_toy_coco

    real = tmp_path / "real"
    coco = write_toy_coco(tmp_path / "toy", num_images=20, seed=0, prefix="p")
    real.mkdir()
    (real / "real20.json").write_text(coco.read_text())
    protocol_data.nested_subsets(real, tmp_path / "commands.sh")
    names = {n: {im["file_name"] for im in json.loads((real / f"real{n}.json").read_text())[
        "images"]} for n in (5, 10, 20)}
    assert (len(names[5]), len(names[10])) == (5, 10)
    assert names[5] < names[10] < names[20]

    full = protocol_rows.row_args("whole_real", tmp_path, 3000, 1)
    five = protocol_rows.row_args("whole_real", tmp_path, 3000, 1, photos=5)
    assert len(full) == len(five) and "real20" in " ".join(full)
    assert "real20" not in " ".join(five)
    assert [a.replace("real20", "real5") for a in full] == five
    assert str(real / "real5.json") in five[five.index("DATASETS.REGISTER") + 1]
    assert '"inpainted:real5"' in five[five.index("HANDS.COMPOSITE.BACKGROUNDS") + 1]
    assert protocol_rows.run_name("whole_real", 1, 5) == "whole_real_p5_s1"
    assert protocol_rows.run_name("whole_real", 1) == "whole_real_s1"
    with pytest.raises(ValueError, match="no real photo"):
        protocol_rows.row_args("synthetic", tmp_path, 3000, 0, photos=5)


def test_a_fewer_photos_record_says_so_and_leaves_the_full_record_alone(tmp_path):
    out, records = tmp_path / "out", protocol.records_dir(3000, tmp_path / "records")
    _scored_run(out, "whole_real_p5_s0", {"own25": 0.5, "fist100": 0.4, "multi": 0.3})
    protocol.train_and_score(out, "whole_real", 0, 3000, tmp_path / "commands.sh",
                             records=records, photos=5)
    record = json.loads((records / "whole_real_p5_s0.json").read_text())
    assert record["real_photos"] == 5 and record["command"].endswith("--real-photos 5")
    assert not (records / "whole_real_s0.json").exists()
    assert protocol_report.record_metrics(records, "whole_real", "own25") == []
    curve = protocol_report.photos_table(records, "whole_real").splitlines()
    assert "| 5 | `whole_real_p5` | 1 | 0.5 / 0.4 / 0.3 | 0.25 / 0.2 / 0.15 |" in curve
    assert "| 20 | `whole_real` | 0 | - / - / - | - / - / - |" in curve
    both = protocol_report.photos_table(records, ["whole_real", "contained"]).splitlines()
    assert [line.split(" | ")[1] for line in both[2:]] == [
        "`synthetic`", "`whole_real_p5`", "`whole_real_p10`", "`whole_real`", "`contained_p5`",
        "`contained_p10`", "`contained`", "`real_p5`", "`real_p10`", "`real`"]


def test_scores_made_at_another_threshold_or_size_are_stale(tmp_path):
    metrics = tmp_path / "metrics.json"
    assert not protocol.scored_at(metrics, 0.8, 320)
    metrics.write_text(json.dumps({"settings": {"score_thresh": 0.8, "min_size_test": 416}}))
    assert protocol.scored_at(metrics, 0.8, 416)
    assert not protocol.scored_at(metrics, 0.9, 416)
    assert not protocol.scored_at(metrics, 0.8, 320)
    metrics.write_text(json.dumps({"settings": {"score_thresh": 0.7}}))  # before sizes were kept
    assert protocol.config_test_size() == 320, "configs/hands_mnv2_fpn_cpu.yaml's MIN_SIZE_TEST"
    assert protocol.scored_at(metrics, 0.7, 320) and not protocol.scored_at(metrics, 0.7, 416)


def test_the_expected_settings_follow_the_run_s_choices(tmp_path):
    sessions = [{"index": k, "status": "done", "val_thresholds": {"0.6": 0.9, "0.8": 0.5}}
                for k in range(3)]
    manifest = {"best_session": 2, "score_thresh": 0.85, "sessions": sessions,
                "test_size": {"session": 2, "min": 416, "max": 708}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert protocol.expected_settings(tmp_path, None) == (0.85, 416)
    assert protocol.expected_settings(tmp_path, 2) == (0.85, 416), "the chosen one, named"
    assert protocol.expected_settings(tmp_path, 1) == (0.6, 320), "its own curve, own size"
    manifest["test_size"]["session"] = 1  # chosen for another session: not this one's
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert protocol.expected_settings(tmp_path, None) == (0.85, 320)
