import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, tool_env
from PIL import Image
from pycocotools import mask as mask_utils

from d2hands.data import DatasetError, load_hands_coco
from d2hands.data.mask_folders import masks_to_coco

PREPARE = [sys.executable, str(ROOT / "tools" / "prepare_real.py")]


def run_prepare(*args):
    return subprocess.run(PREPARE + [str(a) for a in args], capture_output=True, text=True,
                          env=tool_env())


def test_own_hands_50(real_data, tmp_path):
    src = real_data / "own_hands_50"
    out = tmp_path / "own.json"
    result = run_prepare("--images", src / "images", "--masks", src / "masks", "--output", out)
    assert result.returncode == 0, result.stderr
    coco = json.loads(out.read_text())
    assert len(coco["images"]) == 50
    per_image = {img["id"]: [] for img in coco["images"]}
    for ann in coco["annotations"]:
        per_image[ann["image_id"]].append(ann)
    assert all(len(anns) == 1 for anns in per_image.values())
    for img in coco["images"]:
        stem = img["file_name"].rsplit(".", 1)[0]
        png = np.asarray(Image.open(src / "masks" / f"{stem}.png").convert("L"))
        expected = int((png > 127).sum())  # the README's threshold for these masks
        ann = per_image[img["id"]][0]
        assert ann["area"] == expected
        assert int(mask_utils.area(ann["segmentation"])) == expected
    records = load_hands_coco(out, src / "images")
    assert len(records) == 50


def test_fist_100(real_data, tmp_path):
    src = real_data / "fist_100"
    coco = masks_to_coco(src / "images", src / "masks")
    assert len(coco["images"]) == 100
    assert len(coco["annotations"]) >= 100


def write_pair(folder, name, image, mask):
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(folder / "images" / f"{name}.jpg")
    mask.save(folder / "masks" / f"{name}.png")


@pytest.mark.parametrize("mode", ["1", "L01", "L255", "RGB", "antialiased"])
def test_mask_modes(tmp_path, mode):
    truth = np.zeros((40, 60), np.uint8)
    truth[5:20, 5:25] = 1
    truth[25:35, 35:55] = 1
    if mode == "1":
        mask = Image.fromarray(truth * 255).convert("1")
    elif mode == "L01":
        mask = Image.fromarray(truth)
    elif mode == "L255":
        mask = Image.fromarray(truth * 255)
    elif mode == "RGB":
        mask = Image.fromarray(np.stack([truth * 255] * 3, -1))
    else:
        soft = truth * 255
        soft[4, 5:25] = 100  # grey edge below half: background
        soft[20, 5:25] = 200  # grey edge above half: hand
        truth[20, 5:25] = 1
        mask = Image.fromarray(soft.astype(np.uint8))
    write_pair(tmp_path, "a", np.full((40, 60, 3), 128, np.uint8), mask)
    coco = masks_to_coco(tmp_path / "images", tmp_path / "masks", min_area=10)
    assert len(coco["annotations"]) == 2  # two connected components
    union = np.zeros_like(truth)
    for ann in coco["annotations"]:
        union |= mask_utils.decode(ann["segmentation"])
    assert (union == truth).all()


def test_boxes_split_touching_hands(tmp_path):
    truth = np.zeros((40, 60), np.uint8)
    truth[10:30, 5:55] = 1  # one blob: two touching hands side by side
    write_pair(tmp_path, "t", np.zeros((40, 60, 3), np.uint8), Image.fromarray(truth * 255))
    (tmp_path / "boxes").mkdir()
    (tmp_path / "boxes" / "t.txt").write_text("5 10 25 20\n30 10 25 20\n")
    plain = masks_to_coco(tmp_path / "images", tmp_path / "masks")
    assert len(plain["annotations"]) == 1
    split = masks_to_coco(tmp_path / "images", tmp_path / "masks", tmp_path / "boxes")
    areas = sorted(a["area"] for a in split["annotations"])
    assert areas == [25 * 20, 25 * 20]


def test_missing_mask_is_error_unless_skipped(tmp_path):
    truth = np.zeros((40, 60), np.uint8)
    truth[5:30, 5:30] = 255
    write_pair(tmp_path, "a", np.zeros((40, 60, 3), np.uint8), Image.fromarray(truth))
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(tmp_path / "images" / "lonely.jpg")
    out = tmp_path / "out.json"
    result = run_prepare("--images", tmp_path / "images", "--masks", tmp_path / "masks",
                         "--output", out)
    assert result.returncode == 2
    assert "image without a mask PNG" in result.stderr and "lonely.jpg" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    result = run_prepare("--images", tmp_path / "images", "--masks", tmp_path / "masks",
                         "--output", out, "--skip-missing")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(out.read_text())["images"]) == 1


def test_mask_size_mismatch_names_file(tmp_path):
    write_pair(tmp_path, "b", np.zeros((40, 60, 3), np.uint8),
               Image.fromarray(np.full((30, 60), 255, np.uint8)))
    with pytest.raises(DatasetError, match=r"mask/image size mismatch: .*b\.png"):
        masks_to_coco(tmp_path / "images", tmp_path / "masks")


def test_truncated_photo_names_file(tmp_path):
    write_pair(tmp_path, "c", np.full((40, 60, 3), 90, np.uint8),
               Image.fromarray(np.full((40, 60), 255, np.uint8)))
    photo = tmp_path / "images" / "c.jpg"
    photo.write_bytes(photo.read_bytes()[:-50])
    with pytest.raises(DatasetError, match=r"truncated image: .*c\.jpg"):
        masks_to_coco(tmp_path / "images", tmp_path / "masks")
