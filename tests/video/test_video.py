"""tools/visualize_video.py on a generated 12-frame clip with a tiny model, and its bad inputs."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import ROOT, read_video, tool_env

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")
TOOL = str(ROOT / "tools" / "visualize_video.py")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from d2hands.testing.toy_clip import write_toy_clip

    return write_toy_clip(tmp_path_factory.mktemp("clip"), frames=12, size=(160, 120), fps=12.0)


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    """A tiny Mask R-CNN checkpoint (random init: the pipeline, not accuracy, is under test)."""
    import torch
    from detectron2.checkpoint import DetectionCheckpointer
    from detectron2.modeling import build_model

    from d2hands.engine import build_cfg

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("weights")
    DetectionCheckpointer(build_model(build_cfg(TINY, [])), save_dir=str(folder)).save("tiny")
    return folder / "tiny.pth"


def run(*args):
    return subprocess.run([sys.executable, TOOL, "--config-file", TINY, *map(str, args)],
                          capture_output=True, text=True, env=tool_env(), timeout=600)


@pytest.mark.slow
def test_visualize_clip(clip, tiny_weights, tmp_path):
    from pycocotools.coco import COCO

    out = tmp_path / "annotated.mp4"
    result = run("--weights", tiny_weights, "--input", clip, "--output", out, "--score-thresh",
                 "0.0", "--batch", "4", "--save-predictions", tmp_path / "pred.json",
                 "--contact-sheet", tmp_path / "sheet.png")
    assert result.returncode == 0, result.stderr[-3000:]
    in_fps, in_frames = read_video(clip)
    fps, frames = read_video(out)
    assert len(frames) == 12 == len(in_frames)
    assert frames[0].shape == in_frames[0].shape == (120, 160, 3)
    assert fps == pytest.approx(in_fps)
    assert not np.array_equal(frames[0], in_frames[0])  # something was drawn
    gt = COCO(str(clip.parent / "annotations.json"))
    predictions = json.loads((tmp_path / "pred.json").read_text())
    assert predictions and {p["image_id"] for p in predictions} <= set(range(12))
    detections = gt.loadRes(str(tmp_path / "pred.json"))
    assert len(detections.getAnnIds()) == len(predictions)
    sheet = cv2.imread(str(tmp_path / "sheet.png"))
    assert sheet is not None and sheet.shape[1] == 4 * 320
    assert "model" in result.stdout and "drawing" in result.stdout and "encoding" in result.stdout


@pytest.mark.slow
def test_folder_top1_every_and_max_frames(clip, tiny_weights, tmp_path):
    out = tmp_path / "folder.mp4"
    result = run("--weights", tiny_weights, "--input", clip.parent / "frames", "--output", out,
                 "--every", "2", "--max-frames", "4", "--top-1", "--score-thresh", "0.0",
                 "--fps", "10", "--draw-thread", "on", "--save-predictions", tmp_path / "p.json")
    assert result.returncode == 0, result.stderr[-3000:]
    fps, frames = read_video(out)
    assert len(frames) == 4 and fps == pytest.approx(5.0)
    predictions = json.loads((tmp_path / "p.json").read_text())
    ids = [p["image_id"] for p in predictions]
    assert set(ids) <= {0, 2, 4, 6} and len(ids) == len(set(ids))  # at most one hand per frame


def assert_clean_failure(result, out, *needles):
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.stem}.partial*"))


def test_unreadable_video(tiny_weights, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    out = tmp_path / "o.mp4"
    assert_clean_failure(run("--weights", tiny_weights, "--input", bad, "--output", out), out,
                         "bad.mp4")


def test_empty_video(tiny_weights, tmp_path):
    empty = tmp_path / "empty.mp4"
    writer = cv2.VideoWriter(str(empty), cv2.VideoWriter_fourcc(*"mp4v"), 10, (32, 32))
    writer.release()
    out = tmp_path / "o.mp4"
    assert_clean_failure(run("--weights", tiny_weights, "--input", empty, "--output", out), out,
                         "empty.mp4")


def test_folder_without_images(tiny_weights, tmp_path):
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "readme.txt").write_text("no frames here")
    out = tmp_path / "o.mp4"
    assert_clean_failure(run("--weights", tiny_weights, "--input", tmp_path / "nothing",
                             "--output", out), out, "contains no images")


def test_images_of_different_sizes(tiny_weights, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.zeros((40, 60, 3), np.uint8))
    cv2.imwrite(str(folder / "b.png"), np.zeros((50, 60, 3), np.uint8))
    out = tmp_path / "o.mp4"
    assert_clean_failure(run("--weights", tiny_weights, "--input", folder, "--output", out), out,
                         "different sizes", "a.png", "b.png")


def test_unwritable_output(clip, tiny_weights, tmp_path):
    out = tmp_path / "missing_folder" / "o.mp4"
    result = run("--weights", tiny_weights, "--input", clip, "--output", out)
    assert result.returncode == 2 and "does not exist" in result.stderr
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        out = locked / "o.mp4"
        assert_clean_failure(run("--weights", tiny_weights, "--input", clip, "--output", out),
                             out, "not writable")
    finally:
        os.chmod(locked, 0o700)


def test_missing_weights(clip, tmp_path):
    out = tmp_path / "o.mp4"
    assert_clean_failure(run("--weights", tmp_path / "nope.pth", "--input", clip, "--output",
                             out), out, "nope.pth")


def test_missing_codec_leaves_nothing(tmp_path, monkeypatch):
    from d2hands.cli import UsageError
    from d2hands.video import writer

    monkeypatch.setattr(writer, "FOURCCS", ("zzzz",))
    monkeypatch.setattr(writer, "_h264_writer", lambda *args: None)  # no PyAV either
    with pytest.raises(UsageError, match="no MP4 encoder"):
        writer.SafeVideoWriter(tmp_path / "x.mp4", 10.0, (32, 32))
    assert list(tmp_path.iterdir()) == []


def test_videos_are_h264_where_pyav_is_present(tmp_path):
    import av

    from d2hands.video.writer import SafeVideoWriter

    frames = [np.full((48, 64, 3), 40 * i, np.uint8) for i in range(6)]
    with SafeVideoWriter(tmp_path / "even.mp4", 12.0, (64, 48)) as video:
        for frame in frames:
            video.write(frame)
    assert video.fourcc == "h264"
    with av.open(str(tmp_path / "even.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        decoded = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
    assert len(decoded) == 6
    assert all(abs(float(d.mean()) - float(f.mean())) < 4 for d, f in zip(decoded, frames,
                                                                          strict=True))
    with SafeVideoWriter(tmp_path / "odd.mp4", 12.0, (63, 47)) as video:  # 4:2:0 needs even
        video.write(np.zeros((47, 63, 3), np.uint8))
    assert video.fourcc in ("avc1", "mp4v")


def test_failure_mid_video_leaves_nothing(tmp_path):
    from d2hands.video.writer import SafeVideoWriter

    out = tmp_path / "x.mp4"
    with pytest.raises(RuntimeError), SafeVideoWriter(out, 10.0, (32, 32)) as video:
        video.write(np.zeros((32, 32, 3), np.uint8))
        raise RuntimeError("model crashed")
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_of_another_architecture_is_refused(clip, tiny_weights, tmp_path):
    """A tiny R18 checkpoint with the MobileNetV2 config: no video of random weights."""
    out = tmp_path / "o.mp4"
    mnv2 = str(ROOT / "configs" / "hands_mnv2_tiny_cpu.yaml")
    result = run("--config-file", mnv2, "--weights", tiny_weights, "--input", clip, "--output",
                 out)
    assert_clean_failure(result, out, "do not fit the model", "missing", "not in the model")
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert "backbone.bottom_up" in line  # names some of the parameters
