"""tools/visualize_data.py writes what the loader feeds the model, and the stored labels."""

import json
import subprocess
import sys

import cv2
import numpy as np
from conftest import ROOT, tool_env

TOOL = str(ROOT / "tools" / "visualize_data.py")


def run(args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True,
                          env=tool_env(), cwd=ROOT)


def dataset_opts(toy_sets):
    json_path, images = toy_sets["real"]
    return ["DATASETS.REGISTER", json.dumps([["toy_real", str(json_path), str(images)]]),
            "DATASETS.TRAIN", '("toy_real",)']


def test_dataloader_source_writes_composites_with_masks_and_a_sheet(toy_sets, tmp_path):
    out, sheet = tmp_path / "vis", tmp_path / "sheet.png"
    result = run(["--config-file", "configs/hands_tiny_cpu.yaml", "--source", "dataloader",
                  "--output-dir", str(out), "--num-images", "5", "--sheet", str(sheet),
                  *dataset_opts(toy_sets), "HANDS.COMPOSITE.ENABLED", "True",
                  "HANDS.COMPOSITE.SIZE", "[96, 128]", "HANDS.COMPOSITE.NEGATIVE_PROB", "0.0"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("\n") == 1 and not result.stderr.strip()
    images = sorted(out.glob("*_composite.png"))
    assert len(images) == 5
    first = cv2.imread(str(images[0]))
    assert first.shape[:2] == (96, 128)  # the composite's SIZE, at MIN_SIZE_TRAIN 96
    sheet_image = cv2.imread(str(sheet))
    assert sheet_image.shape[1] == 4 * 320 and sheet_image.shape[0] >= 2 * 240 - 1


def test_annotation_source_draws_the_stored_masks(toy_sets, tmp_path):
    out = tmp_path / "ann"
    result = run(["--config-file", "configs/hands_tiny_cpu.yaml", "--source", "annotation",
                  "--output-dir", str(out), "--num-images", "2", *dataset_opts(toy_sets)])
    assert result.returncode == 0, result.stderr[-2000:]
    written = sorted(out.glob("*.png"))
    assert [p.name for p in written] == ["0000_real_00000.png", "0001_real_00001.png"]
    source = cv2.imread(str(toy_sets["real"][1] / "real_00000.png"))
    drawn = cv2.imread(str(written[0]))
    assert drawn.shape == source.shape and np.abs(drawn.astype(int) - source).max() > 50


def test_bad_input_is_one_line(toy_sets, tmp_path):
    result = run(["--source", "dataloader", "--output-dir", str(tmp_path / "x")])
    assert result.returncode == 2 and "DATASETS.TRAIN is empty" in result.stderr
    result = run(["--config-file", "configs/hands_tiny_cpu.yaml", "--source", "dataloader",
                  "--output-dir", str(tmp_path / "y"), *dataset_opts(toy_sets),
                  "HANDS.COMPOSITE.ENABLED", "True", "HANDS.COMPOSITE.BACKGROUNDS",
                  f'["{tmp_path}/nowhere"]'])
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "not a folder" in result.stderr


def test_fetch_backgrounds_copies_the_listed_images_from_a_wheel(tmp_path):
    import zipfile

    wheel = tmp_path / "scikit_image-0.0-py3-none-any.whl"
    names = ["coffee.png", "chelsea.png", "rocket.jpg", "brick.png", "grass.png", "gravel.png"]
    with zipfile.ZipFile(wheel, "w") as archive:
        for k, name in enumerate(names + ["astronaut.png"]):
            archive.writestr(f"skimage/data/{name}", bytes([k]) * 10)
    out = tmp_path / "bg"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_backgrounds.py"),
                             "--wheel", str(wheel), "--output-dir", str(out)],
                            capture_output=True, text=True, env=tool_env())
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(names + ["LICENSES.md"])
    assert (out / "rocket.jpg").read_bytes() == bytes([2]) * 10
    assert "CC0" in (out / "LICENSES.md").read_text()
    broken = subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_backgrounds.py"),
                             "--wheel", str(out / "coffee.png")], capture_output=True, text=True,
                            env=tool_env())
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1


def test_fetch_backgrounds_cuts_views_of_blenders_hdris(tmp_path):
    out = tmp_path / "hdri"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_backgrounds.py"),
                             "--source", "blender-hdri", "--views", "2", "--output-dir", str(out)],
                            capture_output=True, text=True, env=tool_env())
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("*.png"))) == 16 and (out / "LICENSES.md").is_file()
    for bad in (["--views", "0"], ["--wheel", str(tmp_path / "w.whl")]):
        refused = subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_backgrounds.py"),
                                  "--source", "blender-hdri", "--output-dir", str(tmp_path / "x"),
                                  *bad], capture_output=True, text=True, env=tool_env())
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert not (tmp_path / "x").exists()
