"""The session a chain ends with: lowest loss, or the best validation metric with tie-breaks."""

import math

import pytest

from d2hands.repetitive.manifest import check_select_metric, select_best


def manifest_of(*sessions):
    return {"sessions": [dict(s, index=k, status=s.get("status", "done"),
                              final_weights=f"session_{k:02d}/model_final.pth")
                         for k, s in enumerate(sessions)]}


def chosen(manifest, metric):
    select_best(manifest, metric)
    return manifest["best_session"]


def test_lowest_loss_wins_and_unfinished_sessions_are_skipped():
    manifest = manifest_of({"avg_loss": 0.9}, {"avg_loss": 0.4}, {"avg_loss": 0.1,
                                                                   "status": "running"})
    assert chosen(manifest, "avg_loss") == 1
    assert manifest["final_weights"] == "session_01/model_final.pth"


def test_equal_f1_is_broken_by_mask_ap():
    # Every session misses every hand at the score threshold: F1 0 for all, AP still ranks them.
    sessions = [{"val": {"hands/F1": 0.0, "segm/AP": ap}} for ap in (1.5, 7.0, 3.2)]
    assert chosen(manifest_of(*sessions), "hands/F1") == 2  # one metric: the last of equals
    assert chosen(manifest_of(*sessions), "hands/F1,segm/AP") == 1


def test_the_first_metric_decides_before_any_tie_break():
    sessions = [{"val": {"hands/F1": 0.8, "segm/AP": 60.0}},
                {"val": {"hands/F1": 0.9, "segm/AP": 10.0}}]
    assert chosen(manifest_of(*sessions), "hands/F1,segm/AP") == 1


def test_missing_or_nan_values():
    sessions = [{"val": {"hands/F1": math.nan, "segm/AP": 90.0}},
                {"val": {"hands/F1": 0.5}},
                {"val": {"hands/F1": 0.5, "segm/AP": math.nan}},
                {"val": {"hands/F1": 0.5, "segm/AP": 2.0}}]
    assert chosen(manifest_of(*sessions), "hands/F1,segm/AP") == 3
    assert chosen(manifest_of(*sessions[:3]), "hands/F1,segm/AP") == 2  # all tie-breaks missing
    nothing = manifest_of({"val": {"segm/AP": 5.0}})
    assert chosen(nothing, "hands/F1") is None and nothing["final_weights"] is None


def test_select_metric_names_are_checked():
    assert check_select_metric(" hands/F1 , segm/AP") == ["hands/F1", "segm/AP"]
    assert check_select_metric("pixel/per_image_F1") == ["pixel/per_image_F1"]
    assert check_select_metric("hands/F1_best,segm/AP") == ["hands/F1_best", "segm/AP"]
    for bad in ("hands/f1", "segm/AP,F1", "avg_loss", " , "):
        with pytest.raises(ValueError, match="--select-metric"):
            check_select_metric(bad)


def test_sessions_equal_on_every_metric_go_to_the_later_one():
    # val5 ties at F1 1.0 across sessions (distractors seed 0); the later one has seen more data.
    sessions = [{"val": {"hands/F1_best": f1, "segm/AP": 20.0}} for f1 in (1.0, 0.8, 1.0, 1.0)]
    assert chosen(manifest_of(*sessions), "hands/F1_best,segm/AP") == 3
    sessions[3]["val"]["segm/AP"] = 19.9
    assert chosen(manifest_of(*sessions), "hands/F1_best,segm/AP") == 2
    assert chosen(manifest_of({"avg_loss": 0.3}, {"avg_loss": 0.3}), "avg_loss") == 1
