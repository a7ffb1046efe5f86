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

from synth.props import KINDS, PALM_CENTRE, HeldObject, draw_held_objects, held_transform

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


def rotation_z(deg):
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    out = np.eye(4)
    out[:2, :2] = [[c, -s], [s, c]]
    return out


def test_a_gripped_object_lies_between_the_tips_along_them():
    wrist = rotation_z(30)
    thumb, index = np.array([0.05, 0.1, 0.02]), np.array([0.02, 0.14, 0.03])
    out = held_transform(HeldObject("card", "grip", 1.0, (0.5, 0.5, 0.5)), wrist, thumb, index)
    assert np.allclose(out[:3, 3], (thumb + index) / 2)
    axis = (index - thumb) / np.linalg.norm(index - thumb)
    assert np.allclose(out[:3, 2], axis)
    assert np.allclose(out[:3, :3].T @ out[:3, :3], np.eye(3))
    assert np.isclose(np.linalg.det(out[:3, :3]), 1.0)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_object_against_the_palm_lies_on_the_palm_side_clear_of_it(kind):
    wrist = rotation_z(-40)
    wrist[:3, 3] = [0.1, 0.2, 0.3]
    out = held_transform(HeldObject(kind, "palm", 0.3, (0.5, 0.5, 0.5)), wrist,
                         np.zeros(3), np.ones(3))
    palm = wrist[:3, :3] @ PALM_CENTRE + wrist[:3, 3]
    normal = wrist[:3, 2]  # the palm faces the wrist bone's +z
    shape, size = KINDS[kind]
    half_depth = size[0] / 2 if shape == "cylinder" else size[2] / 2
    assert np.isclose(np.dot(out[:3, 3] - palm, normal), 0.016 + half_depth + 0.002)


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


def test_held_objects_need_the_photo_preset(tmp_path):
    res = subprocess.run([sys.executable, SCRIPT, "--output-dir", str(tmp_path), "--preset",
                          "paper", "--held-objects", "0.5"], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode != 0 and "--held-objects needs --preset photo" in res.stderr
    assert "Traceback" not in res.stderr
