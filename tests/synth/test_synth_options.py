"""Bad input fails with one 'error: ...' line and status 2 before anything renders."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = str(REPO / "synth" / "render_poses.py")


def _run(args, blender=False):
    if blender:
        cmd = [shutil.which("blender"), "-b", "--factory-startup", "-P", SCRIPT, "--", *args]
    else:
        cmd = [sys.executable, SCRIPT, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)


def _bad_cases(tmp_path):
    empty = tmp_path / "no_images"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    out = str(tmp_path / "out")
    return {
        "engine": (["--output-dir", out, "--engine", "mitsuba"], "--engine"),
        "resolution": (["--output-dir", out, "--resolution", "1280by720"], "--resolution"),
        "resolution-size": (["--output-dir", out, "--resolution", "0x720"], "--resolution"),
        "shard-format": (["--output-dir", out, "--shard", "2"], "--shard"),
        "shard-range": (["--output-dir", out, "--shard", "3/3"], "--shard"),
        "unwritable": (["--output-dir", str(blocker / "sub")], "cannot write"),
        "empty-background": (["--output-dir", out, "--background", str(empty)], "no images"),
        "structure": (["--output-dir", out, "--structures", "L3"], "--structures"),
        "step": (["--output-dir", out, "--step", "7"], "--step"),
        "missing-out": ([], "--output-dir"),
        "scale": (["--output-dir", out, "--preset", "paper", "--scale-range", "1,3"], "leave"),
        "preset": (["--output-dir", out, "--preset", "studio"], "--preset"),
        "view": (["--output-dir", out, "--view", "top"], "--view"),
        "extent": (["--output-dir", out, "--mask-extent", "arm"], "--mask-extent"),
        "forearm": (["--output-dir", out, "--forearm", "glove"], "--forearm"),
        "hand-size-zero": (["--output-dir", out, "--hand-size", "0,0.5"], "--hand-size"),
        "hand-size-over-one": (["--output-dir", out, "--hand-size", "0.5,1.5"], "--hand-size"),
        "hand-size-text": (["--output-dir", out, "--hand-size", "big"], "--hand-size"),
        "hands": (["--output-dir", out, "--hands-per-image", "3"], "--hands-per-image"),
        "paper-view": (["--output-dir", out, "--preset", "paper", "--view", "egocentric"],
                       "--view"),
        "paper-sleeve": (["--output-dir", out, "--preset", "paper", "--forearm", "sleeve"],
                         "--forearm"),
        "photo-scale": (["--output-dir", out, "--scale-range", "1,2"], "--scale-range"),
    }


@pytest.mark.parametrize("case", ["engine", "resolution", "resolution-size", "shard-format",
                                  "shard-range", "unwritable", "empty-background", "structure",
                                  "step", "missing-out", "scale", "preset", "view", "extent",
                                  "forearm", "hand-size-zero", "hand-size-over-one",
                                  "hand-size-text", "hands", "paper-view", "paper-sleeve",
                                  "photo-scale"])
def test_bad_input_one_line_error(tmp_path, case):
    args, needle = _bad_cases(tmp_path)[case]
    res = _run(args)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out" / "images").exists()


def test_resume_with_other_settings_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text('{"seed": 5}')
    res = _run(["--output-dir", str(out), "--limit", "1"])
    assert res.returncode == 2 and res.stderr.startswith("error: ")
    assert "other settings" in res.stderr


@pytest.mark.blender
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("blender") is None, reason="no blender binary")
def test_bad_input_through_blender_binary(tmp_path):
    res = _run(["--output-dir", str(tmp_path / "o"), "--engine", "mitsuba"], blender=True)
    assert res.returncode == 2
    errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "--engine" in errors[0]
    assert "Traceback" not in res.stderr
