"""Repetitive training's plan: layer specs, per-session values, epochs, the saturation knee."""

import numpy as np
import pytest
from conftest import ROOT

from d2hands.repetitive import PlanRequest, build_plan, parse_layer_spec, saturation_step

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")

def test_layer_specs_map_to_freeze_at():
    assert [parse_layer_spec(s).freeze_at for s in ("all", "3+", "4+", "5+", "heads")] == \
        [0, 2, 3, 4, 5]
    assert parse_layer_spec("re:roi_heads").regex == "roi_heads"
    with pytest.raises(ValueError, match="unknown layer spec '6\\+'"):
        parse_layer_spec("6+")
    with pytest.raises(ValueError, match="not a valid regex"):
        parse_layer_spec("re:([")


def make_cfg(iters=10, batch=2):
    from d2hands.engine import build_cfg

    return build_cfg(TINY, ["SOLVER.MAX_ITER", str(iters), "SOLVER.IMS_PER_BATCH", str(batch)])


def test_fewer_schedule_entries_than_subsets_is_an_error():
    with pytest.raises(ValueError, match="the schedule has 2 entries for 3 subsets"):
        build_plan(PlanRequest(subsets=3, schedule=["all", "3+"]), make_cfg(), 30, "s")


def test_plan_per_session_overrides_and_conventional_total():
    cfg = make_cfg()
    request = PlanRequest(subsets=3, schedule=["all", "4+", "heads"], iters=[5, 6, 7],
                          lr=[0.01], rois=[32, 64, 128])
    plan = build_plan(request, cfg, 31, "s")
    assert [s["iters"] for s in plan["sessions"]] == [5, 6, 7]
    assert [s["freeze_at"] for s in plan["sessions"]] == [0, 3, 5]
    assert [s["rois"] for s in plan["sessions"]] == [32, 64, 128]
    assert plan["subset_sizes"] == [11, 10, 10]
    request.conventional = True
    conventional = build_plan(request, cfg, 31, "s")
    assert len(conventional["sessions"]) == 1
    assert conventional["sessions"][0]["iters"] == 18
    assert conventional["sessions"][0]["layers"] == "all"
    assert conventional["sessions"][0]["subset"] is None


def test_epochs_instead_of_iters():
    plan = build_plan(PlanRequest(subsets=2, schedule=["all", "all"], epochs=[1.0, 2.0]),
                      make_cfg(batch=4), 30, "s")
    assert [s["iters"] for s in plan["sessions"]] == [4, 8]  # ceil(15/4), ceil(2*15/4)
    with pytest.raises(ValueError, match="3 values for 2 sessions"):
        build_plan(PlanRequest(subsets=2, schedule=["all", "all"], iters=[1, 2, 3]),
                   make_cfg(), 30, "s")


@pytest.mark.parametrize("knee", [150, 400])
def test_saturation_detector_finds_known_knee(knee):
    rng = np.random.default_rng(0)
    steps = np.arange(600)
    curve = np.where(steps < knee, 2.0 - 1.5 * steps / knee, 0.5) + rng.normal(0, 0.03, 600)
    found = saturation_step(curve)
    assert abs(found - knee) <= 0.08 * knee


def test_saturation_detector_exponential_and_still_falling():
    steps = np.arange(500)
    # exp(-t/40) has lost 95% of its drop at t = 40 * ln(20) = 120 steps.
    found = saturation_step(0.3 + np.exp(-steps / 40))
    assert abs(found - 40 * np.log(20)) <= 15
    assert saturation_step(2.0 - steps / 500) is None
