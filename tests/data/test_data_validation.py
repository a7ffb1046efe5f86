"""Every bad input of the dataset layer gets a clear error naming the offending file/entry."""

import json
import shutil

import pytest

from d2hands.data import DatasetError, load_hands_coco


@pytest.fixture
def toy_copy(toy_sets, tmp_path):
    json_path, images = toy_sets["synth"]
    root = tmp_path / "set"
    shutil.copytree(images, root / "images")
    coco = json.loads(json_path.read_text())
    return root, coco


def load(root, coco):
    path = root / "annotations.json"
    path.write_text(json.dumps(coco))
    return load_hands_coco(path, root / "images")


def test_valid_set_loads(toy_copy):
    root, coco = toy_copy
    records = load(root, coco)
    assert len(records) == len(coco["images"])
    assert sum(len(r["annotations"]) for r in records) == len(coco["annotations"])


def test_missing_image_file(toy_copy):
    root, coco = toy_copy
    name = coco["images"][3]["file_name"]
    (root / "images" / name).unlink()
    with pytest.raises(DatasetError, match=f"missing image file: .*{name}"):
        load(root, coco)


def test_unreadable_image(toy_copy):
    root, coco = toy_copy
    name = coco["images"][2]["file_name"]
    (root / "images" / name).write_bytes(b"this is not an image")
    with pytest.raises(DatasetError, match=f"unreadable image: .*{name}"):
        load(root, coco)


def test_truncated_image(toy_copy):
    root, coco = toy_copy
    name = coco["images"][1]["file_name"]
    path = root / "images" / name
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(DatasetError, match=f"truncated image: .*{name}"):
        load(root, coco)


def test_image_size_differs_from_json(toy_copy):
    root, coco = toy_copy
    coco["images"][0]["width"] = 64
    with pytest.raises(DatasetError, match=f"image size differs.*{coco['images'][0]['file_name']}"):
        load(root, coco)


def test_mask_image_size_mismatch(toy_copy):
    root, coco = toy_copy
    ann = coco["annotations"][4]
    ann["segmentation"]["size"] = [50, 60]
    with pytest.raises(DatasetError, match=r"differs from the image size.*annotations\[4\]"):
        load(root, coco)


def test_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"images": [}')
    with pytest.raises(DatasetError, match="broken.json has 1 problem: invalid JSON"):
        load_hands_coco(path, tmp_path)


def test_annotation_outside_image(toy_copy):
    root, coco = toy_copy
    coco["annotations"][2]["bbox"] = [100.0, 10.0, 60.0, 20.0]  # ends at x=160 of a 128 image
    with pytest.raises(DatasetError, match=r"outside the image \(bbox\): annotations\[2\]"):
        load(root, coco)


def test_polygon_outside_image(toy_copy):
    root, coco = toy_copy
    coco["annotations"][1]["segmentation"] = [[10, 10, 300, 10, 300, 50]]
    del coco["annotations"][1]["bbox"]
    with pytest.raises(DatasetError, match=r"outside the image \(polygon\): annotations\[1\]"):
        load(root, coco)


def test_empty_mask(toy_copy):
    root, coco = toy_copy
    height, width = coco["annotations"][0]["segmentation"]["size"]
    coco["annotations"][0]["segmentation"] = {"size": [height, width], "counts": [height * width]}
    with pytest.raises(DatasetError, match=r"empty mask: annotations\[0\]"):
        load(root, coco)


def test_unknown_category(toy_copy):
    root, coco = toy_copy
    coco["annotations"][3]["category_id"] = 7
    with pytest.raises(DatasetError, match=r"unknown category id: 7 in annotations\[3\]"):
        load(root, coco)


def test_file_name_escapes_root(toy_copy, tmp_path):
    root, coco = toy_copy
    shutil.copy(root / "images" / coco["images"][0]["file_name"], tmp_path / "outside.png")
    coco["images"][0]["file_name"] = "../../outside.png"
    with pytest.raises(DatasetError, match=r"escapes the image root: \.\./\.\./outside\.png"):
        load(root, coco)


def test_error_lists_first_problems_and_count(toy_copy):
    root, coco = toy_copy
    for img in coco["images"][:7]:
        (root / "images" / img["file_name"]).unlink()
    with pytest.raises(DatasetError) as info:
        load(root, coco)
    message = str(info.value)
    assert "has 7 problems" in message and "and 2 more" in message
    assert coco["images"][0]["file_name"] in message
    assert "\n" not in message


def test_uncompressed_rle_and_polygons_load(toy_copy):
    from pycocotools import mask as mask_utils

    root, coco = toy_copy
    ann = coco["annotations"][0]
    h, w = ann["segmentation"]["size"]
    dense = mask_utils.decode({"size": [h, w], "counts": ann["segmentation"]["counts"]})
    counts, value, run = [], 0, 0
    for pixel in dense.flatten(order="F"):
        if pixel != value:
            counts.append(run)
            value, run = pixel, 0
        run += 1
    counts.append(run)
    ann["segmentation"] = {"size": [h, w], "counts": counts}
    coco["annotations"][1]["segmentation"] = [[10, 10, 40, 10, 40, 30, 10, 30]]
    records = load(root, coco)
    anns = {a["bbox"][0]: a for r in records for a in r["annotations"]}
    loaded = next(a for a in anns.values() if isinstance(a["segmentation"], dict)
                  and (mask_utils.decode(a["segmentation"]) == dense).all())
    assert loaded["category_id"] == 0
