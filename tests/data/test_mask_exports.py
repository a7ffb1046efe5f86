"""Masks as annotation tools export them, and COCO entries people get wrong."""

import json

import numpy as np
import pytest
from PIL import Image

from d2hands.data import DatasetError, load_coco
from d2hands.data.mask_folders import masks_to_coco

HANDS = [(slice(2, 10), slice(2, 12)), (slice(14, 22), slice(20, 34))]


def write_photo(folder, name="p", size=(40, 24)):
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), 90, np.uint8)).save(
        folder / "images" / f"{name}.jpg")


def truth_areas():
    return sorted((rows.stop - rows.start) * (cols.stop - cols.start) for rows, cols in HANDS)


def areas(coco):
    return sorted(int(a["area"]) for a in coco["annotations"])


@pytest.mark.parametrize("kind", ["labels", "0/100", "16bit 0/1000", "alpha only",
                                  "red on black", "16bit antialiased"])
def test_prepare_real_reads_exported_masks(tmp_path, kind):
    write_photo(tmp_path)
    labels = np.zeros((24, 40), np.int64)
    for k, (rows, cols) in enumerate(HANDS, start=1):
        labels[rows, cols] = k
    hand = labels > 0
    if kind == "labels":  # each hand its own index, 8-bit
        image = Image.fromarray(labels.astype(np.uint8))
    elif kind == "0/100":
        image = Image.fromarray((hand * 100).astype(np.uint8))
    elif kind == "16bit 0/1000":
        image = Image.fromarray((hand * 1000).astype(np.uint16))
    elif kind == "alpha only":
        rgba = np.zeros((24, 40, 4), np.uint8)
        rgba[..., 3] = hand * 255
        image = Image.fromarray(rgba, "RGBA")
    elif kind == "red on black":
        rgb = np.zeros((24, 40, 3), np.uint8)
        rgb[..., 0] = hand * 255
        image = Image.fromarray(rgb)
    else:
        soft = (hand * 65535).astype(np.uint16)
        soft[1, 2:12] = 20000  # edge below half of the 16-bit scale: background
        image = Image.fromarray(soft)
    image.save(tmp_path / "masks" / "p.png")
    coco = masks_to_coco(tmp_path / "images", tmp_path / "masks", min_area=1)
    assert areas(coco) == truth_areas(), kind


def test_label_index_hands_that_touch_stay_apart(tmp_path):
    write_photo(tmp_path)
    labels = np.zeros((24, 40), np.uint8)
    labels[4:12, 4:20], labels[4:12, 20:30] = 1, 2  # touching: one component, two labels
    Image.fromarray(labels).save(tmp_path / "masks" / "p.png")
    coco = masks_to_coco(tmp_path / "images", tmp_path / "masks", min_area=1)
    assert areas(coco) == [80, 128]


def test_prepare_real_names_masks_without_a_hand(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, tool_env

    write_photo(tmp_path, "empty")
    write_photo(tmp_path, "full")
    Image.fromarray(np.zeros((24, 40), np.uint8)).save(tmp_path / "masks" / "empty.png")
    full = np.zeros((24, 40), np.uint8)
    full[2:20, 2:30] = 255
    Image.fromarray(full).save(tmp_path / "masks" / "full.png")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "prepare_real.py"), "--images",
                           str(tmp_path / "images"), "--masks", str(tmp_path / "masks"),
                           "--output", str(tmp_path / "out.json")], capture_output=True,
                          text=True, env=tool_env())
    assert proc.returncode == 0, proc.stderr
    assert "1 of 2 masks hold no hand" in proc.stdout and "empty.png" in proc.stdout
    assert "hands per image: 0 in 1, 1 in 1" in proc.stdout


def coco_with(**annotation):
    ann = {"id": 1, "image_id": 1, "category_id": 1,
           "segmentation": {"size": [10, 10], "counts": [0, 10, 90]}}
    ann.update(annotation)
    return {"images": [{"id": 1, "file_name": "a.png", "width": 10, "height": 10}],
            "annotations": [ann], "categories": [{"id": 1, "name": "hand"}]}


@pytest.mark.parametrize("change, words", [
    ({"area": 0}, "'area' must be > 0"), ({"area": -3.0}, "'area' must be > 0"),
    ({"area": 1e300}, "larger than the image"), ({"area": float("nan")}, "not a finite"),
    ({"iscrowd": "no"}, "'iscrowd' must be 0 or 1"), ({"iscrowd": 2}, "'iscrowd' must be 0"),
    ({"iscrowd": True}, "'iscrowd' must be 0"), ({"id": [1]}, "'id' must be an integer"),
    ({"image_id": {"a": 1}}, "'image_id' must be an integer"),
    ({"iscrowd": 1}, "every annotation is a crowd region"),
])
def test_coco_entries_people_get_wrong_are_refused(change, words):
    with pytest.raises(DatasetError, match=words):
        load_coco(coco_with(**change))
    load_coco(coco_with(area=10, iscrowd=0))  # the same entry, right


def test_image_ids_must_be_integers_and_sizes_sane():
    for image, words in (({"id": [1]}, "'id' must be an integer"),
                         ({"id": "a"}, "'id' must be an integer"),
                         ({"width": 10**6, "height": 10**6}, "larger than d2hands reads")):
        coco = coco_with()
        coco["images"][0].update(image)
        with pytest.raises(DatasetError, match=words):
            load_coco(json.loads(json.dumps(coco)))
