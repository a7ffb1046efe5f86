"""Pose grid, field layout, schedule, plausibility count and framing (numpy only, no Blender)."""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from synth import pose
from synth.camera import framing_margin_px, project_px
from synth.joblist import select_jobs
from synth.plausibility import plausible_mask
from synth.skeleton import BONES, FOREARM_LENGTH, forward_kinematics

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("step,per_axis", [(2, 180), (10, 36)])
def test_grid_sizes(step, per_axis):
    assert len(pose.axis_values(step)) == per_axis
    for s in pose.STRUCTURES:
        grid = pose.structure_grid(s, step)
        assert grid.shape == (per_axis * per_axis, 28)
        rx, ry = grid[:, pose.FIELD_INDEX["rx"]], grid[:, pose.FIELD_INDEX["ry"]]
        assert len(np.unique(rx)) == per_axis and len(np.unique(ry)) == per_axis
        assert rx.min() == -180 and rx.max() == 180 - step
        assert len({(a, b) for a, b in zip(rx, ry, strict=True)}) == per_axis ** 2


def test_default_grid_is_64800_poses():
    assert sum(len(pose.structure_grid(s)) for s in pose.STRUCTURES) == 64_800


def test_bad_step_rejected():
    with pytest.raises(ValueError):
        pose.axis_values(7)


def test_field_layout():
    assert len(pose.FIELDS) == 28
    expect = {0: "tx", 2: "tz", 3: "rx", 4: "ry", 5: "rz", 6: "wrist_flex", 7: "wrist_dev",
              8: "little_mcp_flex", 9: "little_mcp_abd", 10: "little_pip", 11: "little_dip",
              12: "ring_mcp_flex", 16: "middle_mcp_flex", 20: "index_mcp_flex",
              23: "index_dip", 24: "thumb_cmc_flex", 27: "thumb_ip"}
    for i, name in expect.items():  # v(i+1) in the paper's numbering
        assert pose.FIELDS[i] == name
    named = pose.as_dict(range(28))
    assert list(named) == list(pose.FIELDS) and named["ry"] == 4.0


def test_structures_differ_only_where_the_paper_says():
    l2, l11 = pose.structure_grid("L2", 10), pose.structure_grid("L11", 10)
    assert np.array_equal(l2[:, :8], l11[:, :8])  # same rotation grid, wrist fixed
    assert not l2[:, 8:].any()  # bind pose
    assert (np.abs(l11[:, 8:]).sum(axis=1) > 0).all()  # fingers move in L11
    assert not l2[:, [0, 1, 2, 5, 6, 7]].any()  # only v4, v5 vary (plus fingers in L11)


def test_schedule_deterministic_and_coupled():
    a, b = pose.finger_schedule(500, 3), pose.finger_schedule(500, 3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, pose.finger_schedule(500, 4))
    for k in range(4):  # DIP follows PIP
        np.testing.assert_allclose(a[:, 4 * k + 3], a[:, 4 * k + 2] * 2 / 3)
    lim = pose.field_limits()[8:]
    assert ((a >= lim[:, 0]) & (a <= lim[:, 1])).all()


def test_plausible_count_default_grid():
    counts = pose.count_plausible()
    total = sum(c for c, _ in counts.values())
    assert 43_500 <= total <= 46_500, counts
    for c, n in counts.values():
        assert 0 < c < n


def test_plausibility_rejects_hand_behind_forearm_and_edge_on():
    p = np.zeros((3, 28))
    p[1, pose.FIELD_INDEX["rx"]] = -90  # forearm points at the camera, hand behind it
    p[2, pose.FIELD_INDEX["ry"]] = 90  # palm seen edge-on
    assert plausible_mask(p).tolist() == [True, False, False]


def test_count_cli_fast():
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "synth.pose", "--count"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert time.perf_counter() - t0 < 5.0
    lines = out.strip().splitlines()
    assert lines[0].startswith("L2: ") and lines[1].startswith("L11: ")
    counted = sum(int(line.split()[1]) for line in lines[:2])
    assert lines[2].startswith(f"total: {counted} of 64800")


def _bone_points(fk):
    """Points along every hand bone (a cruder, independent view of the same skeleton)."""
    pts = []
    for i, b in enumerate(BONES):
        if b.name != "forearm":
            pts += [fk["head"][:, i] * (1 - t) + fk["tail"][:, i] * t for t in np.linspace(0, 1, 5)]
    return np.stack(pts, 1)


def test_hand_stays_in_frame_over_whole_grid():
    res = (1280, 720)
    for s in pose.STRUCTURES:
        grid = pose.structure_grid(s)
        fk = forward_kinematics(grid, pose.FIELD_INDEX)
        assert framing_margin_px(fk, res).min() > 0
        # cross-check with a cruder but independent projection of points along each bone
        px = project_px(_bone_points(fk), res)
        assert px[..., 0].min() > 0 and px[..., 0].max() < res[0]
        assert px[..., 1].min() > 0 and px[..., 1].max() < res[1]
        # ...while the forearm does run out of the frame for some poses
        elbow = project_px(fk["head"][:, 0], res)
        assert ((elbow[:, 1] < 0) | (elbow[:, 1] > res[1])).any()
    assert FOREARM_LENGTH > 0.25


def test_jobs_shards_partition_and_limit():
    full = select_jobs(("L2", "L11"), 10, 0)
    shards = [select_jobs(("L2", "L11"), 10, 0, shard=(k, 3)) for k in range(3)]
    ids = sorted(j.pose_id for sh in shards for j in sh)
    assert ids == [j.pose_id for j in full] == list(range(len(full)))
    lim = select_jobs(("L2", "L11"), 10, 0, limit=4)
    assert [j.structure for j in lim] == ["L2", "L2", "L11", "L11"]
    assert lim == select_jobs(("L2", "L11"), 10, 0, limit=4)


def test_forward_kinematics_geometry():
    p = np.zeros((3, 28))
    p[1, pose.FIELD_INDEX["rx"]] = 90  # about the image's horizontal axis: fingers to camera
    p[2, pose.FIELD_INDEX["index_pip"]] = 90
    fk = pose.forward_kinematics(p)
    names = [b.name for b in BONES]
    tip = fk["tail"][:, names.index("middle_3")]
    np.testing.assert_allclose(tip[0], [0.008, 0.097 + 0.045 + 0.028 + 0.021, 0], atol=1e-9)
    np.testing.assert_allclose(tip[1], [0.008, 0, 0.191], atol=1e-9)
    # a flexed PIP keeps the middle phalanx's length and bends it towards the palm side (+z)
    i2 = names.index("index_2")
    seg = fk["tail"][2, i2] - fk["head"][2, i2]
    assert np.isclose(np.linalg.norm(seg), BONES[i2].length) and seg[2] > 0.99 * BONES[i2].length
    # the thumb sits on the +x side (image right) of a right hand seen palm-first
    assert fk["tail"][0, names.index("thumb_3")][0] > 0.05
    assert pose.plausible(p[:1]).tolist() == [True]
