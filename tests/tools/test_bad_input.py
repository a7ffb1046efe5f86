"""Every bad dataset, checkpoint and run folder: one clear line and a non-zero exit from every
tool that reads it, and nothing half-written."""

import importlib.util
import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, tool_env

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f"{name}_tool", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bad_run_lengths(coco, root):
    ann = coco["annotations"][0]
    ann["segmentation"] = {"size": ann["segmentation"]["size"], "counts": [0, 5, 7]}


def two_point_polygon(coco, root):
    coco["annotations"][1]["segmentation"] = [[1.0, 1.0, 9.0, 9.0]]


def escaping_file_name(coco, root):
    coco["images"][0]["file_name"] = "../" + coco["images"][0]["file_name"]


def duplicate_image_id(coco, root):
    coco["images"][1]["id"] = coco["images"][0]["id"]


def duplicate_annotation_id(coco, root):
    coco["annotations"][1]["id"] = coco["annotations"][0]["id"]


def unknown_category(coco, root):
    coco["annotations"][0]["category_id"] = 7


def size_differs(coco, root):
    coco["images"][2]["width"] += 8


def truncated_image(coco, root):
    path = root / "images" / coco["images"][3]["file_name"]
    path.write_bytes(path.read_bytes()[:-100])


# (breakage, words in the error, needs the image files to show)
CASES = [
    (bad_run_lengths, "add up to 12 pixels", False),
    (two_point_polygon, "at least 3 points", False),
    (escaping_file_name, "escapes the image root", True),
    (duplicate_image_id, "duplicate image id", False),
    (duplicate_annotation_id, "duplicate annotation id", False),
    (unknown_category, "unknown category id: 7", False),
    (size_differs, "image size differs from the JSON", True),
    (truncated_image, "truncated image", True),
]
IDS = [case[0].__name__ for case in CASES]


@pytest.fixture
def broken(toy_sets, tmp_path, request):
    """A copy of the toy 'real' set with one breakage; returns (json, image root, words)."""
    breakage, words, needs_files = request.param
    json_path, images = toy_sets["real"]
    root = tmp_path / "set"
    shutil.copytree(images, root / "images")
    coco = json.loads(json_path.read_text())
    breakage(coco, root)
    path = root / "annotations.json"
    path.write_text(json.dumps(coco))
    return path, root / "images", words, needs_files


def assert_one_line(result_or_pair, words):
    rc, err = result_or_pair
    assert rc != 0 and err.startswith("error: ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in err, err


def run(argv):
    proc = subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True,
                          env=tool_env(), timeout=600)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("broken", CASES, ids=IDS, indirect=True)
def test_inspect_and_evaluate_refuse_a_bad_dataset(broken, tmp_path, capsys):
    json_path, images, words, needs_files = broken
    assert_one_line(run([ROOT / "tools" / "inspect_dataset.py", json_path, "--image-root",
                         images]), words)
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"the data is read before the model")
    out = tmp_path / "eval"
    evaluate = load_tool("evaluate")
    rc = evaluate.main(["--config-file", TINY, "--weights", str(weights), "--coco",
                        str(json_path), "--image-root", str(images), "--output-dir", str(out)])
    assert_one_line((rc, capsys.readouterr().err), words)
    if not needs_files:  # scoring predictions reads the JSON only
        rc = evaluate.main(["--predictions", str(json_path), "--coco", str(json_path),
                            "--output-dir", str(out)])
        assert_one_line((rc, capsys.readouterr().err), words)
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("broken", CASES[::3], ids=IDS[::3], indirect=True)
def test_training_refuses_a_bad_dataset(broken, tmp_path):
    json_path, images, words, _ = broken
    out = tmp_path / "train"
    result = run([ROOT / "tools" / "train_net.py", "--config-file", TINY, "DATASETS.REGISTER",
                  json.dumps([["bad", str(json_path), str(images)]]), "DATASETS.TRAIN",
                  '("bad",)', "OUTPUT_DIR", out])
    assert_one_line(result, words)
    assert not (out / "model_final.pth").exists()


def test_run_folders_that_cannot_be_used(tmp_path, capsys):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "manifest.json").write_text(json.dumps({
        "config_file": TINY, "opts": [], "final_weights": None,
        "sessions": [{"index": 1, "status": "done"}, {"index": 2, "status": "pending"}]}))
    empty = tmp_path / "empty"
    empty.mkdir()
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not read: the run is refused first")
    for folder, words in ((unfinished, "is not finished (sessions [2] not done"),
                          (empty, "no manifest.json"), (tmp_path / "none", "no such folder")):
        rc = load_tool("evaluate").main(["--run", str(folder), "--dataset", "x",
                                         "--output-dir", str(tmp_path / "o")])
        assert_one_line((rc, capsys.readouterr().err), words)
        assert_one_line(run([ROOT / "tools" / "visualize_video.py", "--run", folder, "--input",
                             clip, "--output", tmp_path / "o.mp4"]), words)
    for session, words in ((["--session", "2"], "--session 2: that session"),
                           (["--session", "9"], "has sessions [1, 2]")):
        rc = load_tool("evaluate").main(["--run", str(unfinished), *session, "--dataset", "x",
                                         "--output-dir", str(tmp_path / "o")])
        assert_one_line((rc, capsys.readouterr().err), words)
        assert_one_line(run([ROOT / "tools" / "visualize_video.py", "--run", unfinished,
                             *session, "--input", clip, "--output", tmp_path / "o.mp4"]), words)
    rc = load_tool("evaluate").main(["--session", "1", "--dataset", "x", "--output-dir",
                                     str(tmp_path / "o")])
    assert_one_line((rc, capsys.readouterr().err), "names a session of --run")
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.mp4").exists()


def test_an_output_folder_that_is_a_file(toy_sets, tmp_path, capsys):
    json_path, _ = toy_sets["real"]
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc = load_tool("evaluate").main(["--predictions", str(json_path), "--coco", str(json_path),
                                     "--output-dir", str(blocker)])
    assert_one_line((rc, capsys.readouterr().err), "is not a folder")
    assert_one_line(run([ROOT / "tools" / "split_dataset.py", json_path, "--parts", "a=1", "b=1",
                         "--output-dir", blocker / "sub"]), "error: ")
    assert blocker.read_text() == ""
