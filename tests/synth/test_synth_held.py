"""Held objects (``--held-objects``): they hide parts of the hand, and its mask loses them.

Real Blender renders: the same layout rendered with and without held objects; the expected
masks are the renders without them, the objects' pixels those the alpha gains.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from synth.props import KINDS, HeldObject, draw_held_objects, held_transform

REPO = Path(__file__).resolve().parents[2]
SCRIPT = str(REPO / "synth" / "render_poses.py")
NO_BPY = importlib.util.find_spec("bpy") is None


def test_draws_are_deterministic_and_follow_the_probability():
    assert draw_held_objects(3, 7, 2, 0.5) == draw_held_objects(3, 7, 2, 0.5)
    assert draw_held_objects(3, 7, 2, 0.0) == (None, None)
    drawn = [h for key in range(400) for h in draw_held_objects(0, key, 1, 0.3)]
    share = sum(h is not None for h in drawn) / len(drawn)
    assert 0.22 < share < 0.38
    assert {h.kind for h in drawn if h} == set(KINDS)


def rotation(ax, ay, az):
    """Independent: a general rotation (x, then y, then z; degrees) as a 4x4 matrix."""
    a, b, c = np.radians([ax, ay, az])
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    out = np.eye(4)
    out[:3, :3] = rz @ ry @ rx
    out[:3, 3] = [0.1, -0.2, 0.3]
    return out


WRIST = rotation(30, -50, 70)  # its rows differ from its columns: a transposed read fails


def test_a_gripped_card_lies_between_the_tips_its_thickness_along_them():
    thumb = np.array([0.05, 0.1, 0.02])
    index = thumb + np.array([0.01, 0.02, -0.01])  # 2.4 cm apart: a pinch for a card
    out = held_transform(HeldObject("card", "grip", 1.0, (0.5, 0.5, 0.5)), WRIST, thumb, index)
    assert np.allclose(out[:3, 3], (thumb + index) / 2)
    assert np.allclose(out[:3, 2], (index - thumb) / np.linalg.norm(index - thumb))
    assert np.allclose(out[:3, :3].T @ out[:3, :3], np.eye(3))
    assert np.isclose(np.linalg.det(out[:3, :3]), 1.0)


def test_a_cup_is_gripped_across_its_diameter():
    thumb = np.array([0.0, 0.1, 0.0])
    index = thumb + WRIST[:3, 0] * 0.09  # 9 cm apart: the cup's 8 cm plus the tips
    out = held_transform(HeldObject("cup", "grip", 0.0, (0.5, 0.5, 0.5)), WRIST, thumb, index)
    assert np.allclose(out[:3, 3], (thumb + index) / 2)
    assert np.isclose(np.dot(out[:3, 2], WRIST[:3, 0]), 0.0)  # the axis across the tip line


def palm_side(out, kind):
    """How far the object's near face lies beyond the palm's top, along the palm's normal."""
    from synth.anatomy import anatomical_dims

    palm_top = anatomical_dims().palm_box[2][1]  # the palm box's +z face, wrist frame
    centre_in_wrist = np.linalg.solve(WRIST, np.append(out[:3, 3], 1.0))[:3]
    shape, size = KINDS[kind]
    half_depth = size[0] / 2 if shape == "cylinder" else size[2] / 2
    return centre_in_wrist[2] - half_depth - palm_top


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_object_against_the_palm_touches_the_palm_side(kind):
    out = held_transform(HeldObject(kind, "palm", 0.3, (0.5, 0.5, 0.5)), WRIST,
                         np.zeros(3), np.ones(3))
    assert 0.0 <= palm_side(out, kind) <= 0.005
    assert np.isclose(np.linalg.det(out[:3, :3]), 1.0)
    if KINDS[kind][0] == "box":  # lying flat on the palm
        assert np.allclose(out[:3, 2], WRIST[:3, 2])


def test_a_grip_the_tips_cannot_make_goes_to_the_palm():
    thumb = np.zeros(3)
    index = np.array([0.10, 0.0, 0.0])  # 10 cm apart: no pinch for a card
    out = held_transform(HeldObject("card", "grip", 0.0, (0.5, 0.5, 0.5)), WRIST, thumb, index)
    assert 0.0 <= palm_side(out, "card") <= 0.005


def test_runs_without_held_objects_keep_their_recorded_settings():
    import tempfile

    from synth.options import parse_options
    from synth.runner import _FRAME_KEYS, run_config

    with tempfile.TemporaryDirectory() as out:
        assert tuple(run_config(parse_options(["--output-dir", out]))) == _FRAME_KEYS
        held = run_config(parse_options(["--output-dir", out, "--held-objects", "0.5"]))
        assert held["held_objects"] == 0.5


def render(out, *args):
    res = subprocess.run([sys.executable, SCRIPT, "--output-dir", str(out), "--quiet",
                          "--resolution", "320x240", "--limit", "6", "--keep-rgba", *args],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return out


def hands(out):
    coco = COCO(str(out / "annotations.json"))
    return {(coco.imgs[a["image_id"]]["pose_id"], a["hand"]): (a, coco.annToMask(a) > 0)
            for a in coco.loadAnns(coco.getAnnIds())}


def alpha(out, pose_id):
    rgba = cv2.imread(str(out / "rgba" / f"{pose_id:06d}.png"), cv2.IMREAD_UNCHANGED)
    return rgba[..., 3] > 127


@pytest.mark.blender
@pytest.mark.slow
@pytest.mark.skipif(NO_BPY, reason="bpy wheel not installed")
def test_held_objects_hide_part_of_the_hand_and_the_mask_follows(tmp_path):
    bare = hands(render(tmp_path / "bare"))
    held = hands(render(tmp_path / "held", "--held-objects", "1"))
    assert bare.keys() == held.keys()  # the same layout: same images, same hands
    lost = 0
    for key, (ann, mask) in held.items():
        assert ann["held"] is not None and ann["held"].split()[0] in KINDS
        bare_mask = bare[key][1]
        assert not (mask & ~bare_mask).any()  # an object only ever hides hand pixels
        lost += int((bare_mask & ~mask).sum())
    assert lost > 100
    for pose_id in {key[0] for key in held}:
        gained = alpha(tmp_path / "held", pose_id) & ~alpha(tmp_path / "bare", pose_id)
        masks = [m for (p, _), (_, m) in held.items() if p == pose_id]
        assert not any((gained & m).any() for m in masks)  # the object's pixels are no hand's


@pytest.mark.parametrize("args, message", [
    (["--preset", "paper", "--held-objects", "0.5"], "--held-objects needs --preset photo"),
    (["--held-objects", "nan"], "must be a finite number"),
    (["--held-objects", "1.5"], "must be in [0.0, 1.0]"),
])
def test_bad_held_objects_are_one_error_line(tmp_path, args, message):
    res = subprocess.run([sys.executable, SCRIPT, "--output-dir", str(tmp_path), *args],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and message in res.stderr and "Traceback" not in res.stderr


def test_the_paper_preset_takes_a_zero_however_written(tmp_path):
    from synth.options import parse_options

    assert parse_options(["--output-dir", str(tmp_path), "--preset", "paper",
                          "--held-objects", "0.00"]).held_objects == 0.0
