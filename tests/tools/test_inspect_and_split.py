import json
import subprocess
import sys

from conftest import ROOT, tool_env

INSPECT = str(ROOT / "tools" / "inspect_dataset.py")
SPLIT = str(ROOT / "tools" / "split_dataset.py")


def test_inspect_prints_statistics(toy_sets):
    json_path, images = toy_sets["synth"]
    result = subprocess.run([sys.executable, INSPECT, str(json_path),
                             "--image-root", str(images)], capture_output=True, text=True,
                            env=tool_env())
    assert result.returncode == 0, result.stderr
    coco = json.loads(json_path.read_text())
    per_image = {}
    for ann in coco["annotations"]:
        per_image[ann["image_id"]] = per_image.get(ann["image_id"], 0) + 1
    assert f"images     {len(coco['images'])}" in result.stdout
    assert f"instances  {len(coco['annotations'])}" in result.stdout
    ones = sum(1 for v in per_image.values() if v == 1)
    assert f"1: {ones}" in result.stdout
    assert "128x96: 12" in result.stdout and "mask area" in result.stdout


def test_inspect_registered_name_and_bad_input(toy_sets, tmp_path):
    json_path, images = toy_sets["real"]
    register = json.dumps([["toy_real", str(json_path), str(images)]])
    result = subprocess.run([sys.executable, INSPECT, "toy_real",
                             "DATASETS.REGISTER", register], capture_output=True, text=True,
                            env=tool_env())
    assert result.returncode == 0, result.stderr
    assert "images     4" in result.stdout
    broken = tmp_path / "b.json"
    broken.write_text(json.dumps({"images": [{"id": 1, "file_name": "../x.png", "width": 4,
                                              "height": 4}], "annotations": [],
                                  "categories": [{"id": 1, "name": "hand"}]}))
    result = subprocess.run([sys.executable, INSPECT, str(broken),
                             "--image-root", str(tmp_path)], capture_output=True, text=True,
                            env=tool_env())
    assert result.returncode == 2
    assert "escapes the image root: ../x.png" in result.stderr and "Traceback" not in result.stderr


def test_split_coco_file(toy_sets, tmp_path):
    from d2hands.data.coco_split import split_coco_file

    json_path, _ = toy_sets["synth"]
    parts = split_coco_file(json_path, {"train": 0.75, "val": 0.25}, tmp_path, seed=1)
    coco = json.loads(json_path.read_text())
    train, val = (json.loads(parts[k].read_text()) for k in ("train", "val"))
    assert len(train["images"]) == 9 and len(val["images"]) == 3
    train_ids = {i["id"] for i in train["images"]}
    val_ids = {i["id"] for i in val["images"]}
    assert not train_ids & val_ids and train_ids | val_ids == {i["id"] for i in coco["images"]}
    assert len(train["annotations"]) + len(val["annotations"]) == len(coco["annotations"])
    again = split_coco_file(json_path, {"train": 0.75, "val": 0.25}, tmp_path / "b", seed=1)
    assert json.loads(again["val"].read_text()) == val


def test_split_dataset_cli(toy_sets, tmp_path):
    json_path, _ = toy_sets["synth"]
    result = subprocess.run([sys.executable, SPLIT, str(json_path), "--parts", "train=3", "val=1",
                             "--output-dir", str(tmp_path), "--seed", "1"], capture_output=True,
                            text=True, env=tool_env())
    assert result.returncode == 0, result.stderr
    train, val = (json.loads((tmp_path / f"{k}.json").read_text()) for k in ("train", "val"))
    assert (len(train["images"]), len(val["images"])) == (9, 3)
    bad = subprocess.run([sys.executable, SPLIT, str(json_path), "--parts", "train=3",
                          "--output-dir", str(tmp_path / "b")], capture_output=True, text=True,
                         env=tool_env())
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "two" in bad.stderr
    assert not (tmp_path / "b").exists()
