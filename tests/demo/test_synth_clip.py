"""A rendered test clip along a smooth path: frames, MP4 and per-frame annotations agree."""

import json

import cv2
import numpy as np
import pytest
from conftest import read_video
from pycocotools import mask as mask_utils

from synth.sequence import sequence_poses


def test_sequence_is_smooth_and_deterministic():
    poses = sequence_poses(48, seed=3)
    assert poses.shape == (48, 28)
    assert np.array_equal(poses, sequence_poses(48, seed=3))
    steps = np.abs(np.diff(poses, axis=0)).max(axis=0)
    assert steps[3] < 5 and steps[4] < 7  # forearm sway: a few degrees per frame
    assert steps[8:].max() < 25  # fingers blend, no jumps


@pytest.mark.slow
@pytest.mark.blender
def test_synth_clip_frames_match_annotations(tmp_path):
    pytest.importorskip("bpy")
    from d2hands.demo.synth_clip import write_synth_clip

    clip = write_synth_clip(tmp_path, frames=6, resolution="160x96", fps=6.0)
    fps, frames = read_video(clip)
    assert len(frames) == 6 and frames[0].shape == (96, 160, 3)
    assert fps == pytest.approx(6.0)
    coco = json.loads((tmp_path / "annotations.json").read_text())
    assert [img["id"] for img in coco["images"]] == list(range(6))
    for img in coco["images"]:
        rendered = cv2.imread(str(tmp_path / img["file_name"]))
        (ann,) = [a for a in coco["annotations"] if a["image_id"] == img["id"]]
        mask = mask_utils.decode(ann["segmentation"]).astype(bool)
        assert mask.sum() > 20 and (rendered[mask] < 250).any(axis=1).all()  # a hand there
    assert len({(img["view"], img["hands"]) for img in coco["images"]}) == 1
