"""The protocol's rows: each builds on the row it names and changes only what it says."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from d2hands.engine import build_cfg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "experiments"))

import protocol  # noqa: E402
import protocol_data  # noqa: E402
import protocol_rows  # noqa: E402


def trailing_opts(args: list[str]) -> list[str]:
    """The trailing ``KEY VALUE`` opts of a row's ``repetitive_train.py`` arguments."""
    return args[args.index("DATALOADER.NUM_WORKERS"):]


def test_the_negatives_rows_register_and_train_on_their_sets(tmp_path):
    hard = protocol_rows.row_args("hard_negatives", tmp_path, 3000, 0)
    entries = dict((name, rest) for name, *rest in json.loads(
        hard[hard.index("DATASETS.REGISTER") + 1]))
    assert entries["real20_neg"] == entries["real20"]
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(hard), freeze=False)
    assert list(cfg.HANDS.HARD_NEGATIVES.DATASETS) == ["real20_neg"]
    assert "real20_neg" in cfg.DATASETS.TRAIN

    mined = protocol_rows.row_args("mined", tmp_path, 3000, 1)
    entries = dict((name, rest) for name, *rest in json.loads(
        mined[mined.index("DATASETS.REGISTER") + 1]))
    assert entries["mined"][0] == str(tmp_path / "mined" / "whole_real_s1" / "annotations.json")
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(mined), freeze=False)
    assert "mined" in cfg.DATASETS.TRAIN and not cfg.DATALOADER.FILTER_EMPTY_ANNOTATIONS
    with pytest.raises(ValueError, match="20 real photos only"):
        protocol_rows.row_args("mined", tmp_path, 3000, 1, photos=5)


def test_the_mined_row_needs_its_teacher(tmp_path):
    with pytest.raises(SystemExit, match="whole_real seed 2's model"):
        protocol.mine(tmp_path, 2, tmp_path / "commands.sh")


def test_the_held_row_trains_on_renders_that_hold_things(tmp_path):
    args = protocol_rows.row_args("held", tmp_path, 3000, 0)
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert "photo" not in cfg.DATASETS.TRAIN and "photo_held" in cfg.DATASETS.TRAIN
    assert cfg.HANDS.SUBSET_DATASET == "photo_held"
    assert list(cfg.HANDS.COMPOSITE.DATASETS) == ["photo_held", "real20"]
    assert list(cfg.HANDS.COMPOSITE.DISTRACTOR_KINDS) == ["blob", "silhouette"]
    entries = {name: rest for name, *rest in cfg.DATASETS.REGISTER}
    assert entries["photo_held"][0] == str(tmp_path / "photo_held" / "annotations.json")


def test_the_whole_more_row_changes_only_the_whole_photos_share(tmp_path):
    shapes = protocol_rows.row_args("distractor_shapes", tmp_path, 3000, 1)
    more = protocol_rows.row_args("whole_more", tmp_path, 3000, 1)
    changed = [(a, b) for a, b in zip(shapes, more, strict=True) if a != b]
    assert changed == [('[["real20", 10.0], ["real20_comp", 5.0]]',
                        '[["real20", 10.0], ["real20_comp", 15.0]]')]


def test_the_more_distractors_row_changes_only_the_distractor_count(tmp_path):
    shapes = protocol_rows.row_args("distractor_shapes", tmp_path, 3000, 0)
    more = protocol_rows.row_args("more_distractors", tmp_path, 3000, 0)
    changed = [(a, b) for a, b in zip(shapes, more, strict=True) if a != b]
    assert changed == [("[0, 3]", "[2, 6]")]
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(more), freeze=False)
    assert list(cfg.HANDS.COMPOSITE.DISTRACTORS) == [2, 6]
    assert list(cfg.HANDS.COMPOSITE.DISTRACTOR_KINDS) == ["blob", "silhouette"]


def without_decayed_lr(args: list[str]) -> list[str]:
    """``args`` less its ``--lr`` pair, which must be ``long_decay``'s decayed schedule."""
    at = args.index("--lr")
    assert args[at:at + 2] == ["--lr", "0.005,0.005,0.005,0.0015,0.0005"]
    return args[:at] + args[at + 2:]


def test_the_long_decay_row_doubles_the_steps_and_decays_the_lr(tmp_path):
    shapes = protocol_rows.row_args("distractor_shapes", tmp_path, 3000, 0)
    rest = without_decayed_lr(protocol_rows.row_args("long_decay", tmp_path, 3000, 0))
    changed = [(a, b) for a, b in zip(shapes, rest, strict=True) if a != b]
    assert changed == [("600", "1200")]  # 3000 / 5 sessions, doubled


def test_the_solids_row_adds_shaded_solids_to_the_best_recipe(tmp_path):
    long = protocol_rows.row_args("long_decay", tmp_path, 3000, 1)
    args = protocol_rows.row_args("solids", tmp_path, 3000, 1)
    changed = [(a, b) for a, b in zip(long, args, strict=True) if a != b]
    assert changed == [('["blob", "silhouette"]', '["blob", "silhouette", "solid"]')]
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert list(cfg.HANDS.COMPOSITE.DISTRACTOR_KINDS) == ["blob", "silhouette", "solid"]


def test_the_synthetic_long_row_is_the_best_recipe_without_a_photo(tmp_path):
    fast = protocol_rows.row_args("synthetic_fast", tmp_path, 3000, 2)
    args = protocol_rows.row_args("synthetic_long", tmp_path, 3000, 2)
    head = without_decayed_lr(args)[:len(fast)]
    assert [(a, b) for a, b in zip(fast, head, strict=True) if a != b] == [("600", "1200")]
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert tuple(cfg.DATASETS.TRAIN) == ("photo",)  # no real photo
    assert cfg.MODEL.FPN.OUT_CHANNELS == 64
    assert list(cfg.HANDS.COMPOSITE.BACKGROUNDS) == ["procedural"]
    assert list(cfg.HANDS.COMPOSITE.DISTRACTORS) == [0, 3]
    assert list(cfg.HANDS.COMPOSITE.DISTRACTOR_KINDS) == ["blob", "silhouette"]
    assert list(cfg.HANDS.COMPOSITE.BLEND_MODES) == ["none", "feather", "gaussian", "poisson"]
    with pytest.raises(ValueError, match="no real photo"):
        protocol_rows.row_args("synthetic_long", tmp_path, 3000, 2, photos=5)


def test_the_synthetic_close_row_adds_close_ups_to_the_default_recipe(tmp_path):
    fast = protocol_rows.row_args("synthetic_fast", tmp_path, 3000, 0)
    args = protocol_rows.row_args("synthetic_close", tmp_path, 3000, 0)
    assert args[:len(fast)] == fast
    assert args[len(fast):] == ["HANDS.COMPOSITE.CLOSE_UP_PROB", "0.1"]
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert cfg.HANDS.COMPOSITE.CLOSE_UP_PROB == pytest.approx(0.1)
    assert tuple(cfg.DATASETS.TRAIN) == ("photo",)


def test_the_large_hands_row_pastes_hands_up_to_nine_tenths_of_the_height(tmp_path):
    args = protocol_rows.row_args("large_hands", tmp_path, 3000, 0)
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert list(cfg.HANDS.COMPOSITE.HAND_SIZE) == [0.15, 0.9]
    assert args[:-2] == protocol_rows.row_args("distractor_shapes", tmp_path, 3000, 0)


def test_the_close_ups_row_adds_a_tenth_of_close_up_pastes(tmp_path):
    args = protocol_rows.row_args("close_ups", tmp_path, 3000, 0)
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert cfg.HANDS.COMPOSITE.CLOSE_UP_PROB == 0.1
    assert list(cfg.HANDS.COMPOSITE.CLOSE_UP_SIZE) == [0.6, 0.95]  # the row's label says so
    assert list(cfg.HANDS.COMPOSITE.HAND_SIZE) == [0.15, 0.6]  # the others' sizes as before
    assert args[:-2] == protocol_rows.row_args("distractor_shapes", tmp_path, 3000, 0)


def test_the_shapes_light_row_matches_the_light_of_the_best_recipe(tmp_path):
    args = protocol_rows.row_args("shapes_light", tmp_path, 3000, 2)
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert list(cfg.HANDS.COMPOSITE.MATCH_LIGHT) == [0.0, 0.6]
    assert list(cfg.HANDS.COMPOSITE.DISTRACTOR_KINDS) == ["blob", "silhouette"]
    assert args[:-2] == protocol_rows.row_args("distractor_shapes", tmp_path, 3000, 2)
    light = protocol_rows.row_args("match_light", tmp_path, 3000, 2)
    assert args[-2:] == light[-2:]  # the same light range as the row it combines


def test_held_renders_of_another_probability_are_refused(tmp_path):
    (tmp_path / "photo_held").mkdir()
    (tmp_path / "photo_held" / "run.json").write_text(json.dumps({"held_objects": 0.5}))
    protocol_data.check_held_renders(tmp_path)
    (tmp_path / "photo_held" / "run.json").write_text(json.dumps({"held_objects": 0.3}))
    with pytest.raises(SystemExit, match="another --held-objects"):
        protocol_data.check_held_renders(tmp_path)


def test_an_eval_only_row_reuses_its_source_run_with_its_own_options(tmp_path):
    import protocol_reuse

    source = tmp_path / "runs" / "distractor_shapes_s1"
    source.mkdir(parents=True)
    weights = str(source / "session_01" / "model_final.pth")
    (source / "manifest.json").write_text(json.dumps({
        "config_file": protocol_rows.CONFIG, "opts": ["SEED", "1"], "best_session": 1,
        "final_weights": weights, "score_thresh": 0.8, "validation": ["val5", "valcomp"],
        "test_size": {"session": 1, "min": 320, "max": 544},
        "sessions": [{"index": k, "status": "done", "final_weights": weights,
                      "val": {"hands/F1": 0.5}, "val_on": ["val5", "valcomp"]}
                     for k in (0, 1)]}))
    before = (source / "manifest.json").read_text()
    protocol_reuse.reuse_run(tmp_path, "contained", 1, 20)
    assert (source / "manifest.json").read_text() == before  # the source is never written
    made = json.loads((tmp_path / "runs" / "contained_s1" / "manifest.json").read_text())
    assert made["opts"] == ["SEED", "1", "HANDS.SUPPRESS_CONTAINED", "0.6"]
    assert [s["final_weights"] for s in made["sessions"]] == [weights, weights]
    # chosen again with the option on: no earlier choice or validation is carried over
    assert not {"best_session", "score_thresh", "validation", "test_size"} & set(made)
    assert not any({"val", "val_on"} & set(s) for s in made["sessions"])
    assert protocol_rows.row_args("contained", tmp_path, 3000, 1) == protocol_rows.row_args(
        "distractor_shapes", tmp_path, 3000, 1)

    # a target made with other options is not scored as if it had this row's
    target = tmp_path / "runs" / "contained_s1" / "manifest.json"
    target.write_text(target.read_text().replace('"0.6"', '"0.7"'))
    with pytest.raises(SystemExit, match="made with other options or weights"):
        protocol_reuse.reuse_run(tmp_path, "contained", 1, 20)


def test_an_eval_only_row_without_its_trained_source_is_one_error_line(tmp_path):
    import protocol_reuse

    with pytest.raises(SystemExit, match="--rows distractor_shapes --seeds 2 first"):
        protocol_reuse.reuse_run(tmp_path, "contained", 2, 20)

    broken = tmp_path / "runs" / "distractor_shapes_s2"
    broken.mkdir(parents=True)
    (broken / "manifest.json").write_text("{not json")
    with pytest.raises(SystemExit, match="is not valid JSON"):
        protocol_reuse.reuse_run(tmp_path, "contained", 2, 20)


def test_the_synthetic_hdri_row_adds_blenders_hdri_views_to_the_backgrounds(tmp_path):
    fast = protocol_rows.row_args("synthetic_fast", tmp_path, 3000, 0)
    args = protocol_rows.row_args("synthetic_hdri", tmp_path, 3000, 0)
    changed = [i for i, (a, b) in enumerate(zip(fast, args, strict=True)) if a != b]
    assert len(args) == len(fast) and len(changed) == 1
    assert args[changed[0] - 1] == "HANDS.COMPOSITE.BACKGROUNDS"
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert list(cfg.HANDS.COMPOSITE.BACKGROUNDS) == ["procedural", str(tmp_path / "hdri")]
    assert "synthetic_hdri" in protocol_rows.NO_REAL_ROWS


def test_the_long_hdri_row_adds_the_hdri_views_to_the_best_recipes_backgrounds(tmp_path):
    best = protocol_rows.row_args("long_decay", tmp_path, 3000, 1)
    args = protocol_rows.row_args("long_hdri", tmp_path, 3000, 1)
    changed = [i for i, (a, b) in enumerate(zip(best, args, strict=True)) if a != b]
    assert len(changed) == 1 and args[changed[0] - 1] == "HANDS.COMPOSITE.BACKGROUNDS"
    cfg = build_cfg(protocol_rows.CONFIG, trailing_opts(args), freeze=False)
    assert list(cfg.HANDS.COMPOSITE.BACKGROUNDS) == [
        "procedural", "inpainted:real20", str(tmp_path / "hdri")]
