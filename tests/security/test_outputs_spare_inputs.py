"""No tool writes over one of its inputs, and every argparse error is one line."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, tool_env

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")
TOOLS = ROOT / "tools"


def run(argv, module=None):
    head = ["-m", module] if module else []
    proc = subprocess.run([sys.executable, *head, *map(str, argv)], capture_output=True,
                          text=True, env=tool_env(), timeout=600, cwd=ROOT)
    return proc.returncode, proc.stderr


def assert_one_line(result, words, status=2):
    rc, err = result
    assert rc == status and err.startswith("error: ") and err.count("\n") == 1, (rc, err)
    assert words in err and "Traceback" not in err, err


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_check_outputs_spare_inputs(tmp_path):
    from d2hands.errors import UsageError
    from d2hands.io_utils import check_outputs_spare_inputs

    data = tmp_path / "data"
    data.mkdir()
    (data / "a.json").write_text("{}")
    os.symlink(data / "a.json", tmp_path / "link.json")
    os.link(data / "a.json", tmp_path / "hard.json")
    for out in (data / "a.json", tmp_path / "link.json", tmp_path / "hard.json",
                tmp_path / "data" / ".." / "data" / "a.json"):
        with pytest.raises(UsageError, match="would overwrite the input --in"):
            check_outputs_spare_inputs({"--out": out}, {"--in": data / "a.json"})
    with pytest.raises(UsageError, match="would overwrite the input --folder"):
        check_outputs_spare_inputs({"--out": data / "a.json"}, {"--folder": data})
    with pytest.raises(UsageError, match="both name"):
        check_outputs_spare_inputs({"--a": tmp_path / "x", "--b": tmp_path / "x"}, {})
    check_outputs_spare_inputs({"--out": data / "new.json", "--x": None},
                               {"--in": data / "a.json", "--none": None})


@pytest.fixture
def dataset(toy_sets, tmp_path):
    json_path, images = toy_sets["real"]
    folder = tmp_path / "set"
    shutil.copytree(images, folder / "images")
    shutil.copy(json_path, folder / "all.json")
    return folder


def test_split_refuses_to_overwrite_its_input_and_bad_parts(dataset):
    before = snapshot(dataset)
    split = [TOOLS / "split_dataset.py", dataset / "all.json", "--output-dir", dataset, "--parts"]
    assert_one_line(run([*split, "all=1", "rest=1"]), "would overwrite the input")
    for parts, words in ((["a=nan", "b=1"], "finite number"), (["a=inf", "b=1"], "finite"),
                         (["../x=1", "b=1"], "part name '../x'"), (["a=1"], "two parts"),
                         (["a=1", "a=2"], "twice"), (["a=x", "b=1"], "NAME=WEIGHT")):
        assert_one_line(run([*split, *parts]), words)
    assert snapshot(dataset) == before
    assert not (dataset.parent / "x.json").exists()


def test_split_gives_every_part_an_image(dataset, tmp_path):
    from d2hands.data.coco_split import part_sizes

    assert part_sizes(4, [100, 1, 1]) == [2, 1, 1]
    assert part_sizes(10, [1, 1]) == [5, 5]
    assert part_sizes(3, [1, 1, 1]) == [1, 1, 1]
    assert part_sizes(7, [3, 1]) == [5, 2]  # shares 5.25 and 1.75: the remainder goes to b
    out = tmp_path / "parts"
    rc, err = run([TOOLS / "split_dataset.py", dataset / "all.json", "--output-dir", out,
                   "--parts", "a=100", "b=1", "c=1"])
    assert rc == 0, err
    counts = [len(json.loads((out / f"{n}.json").read_text())["images"]) for n in "abc"]
    assert counts == [2, 1, 1]


def test_prepare_real_and_merge_refuse_to_overwrite_an_input(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    (images / "x.jpg").write_bytes(b"photo")
    (masks / "x.png").write_bytes(b"mask")
    assert_one_line(run([TOOLS / "prepare_real.py", "--images", images, "--masks", masks,
                         "--output", masks / "x.png"]), "would overwrite the input --masks")
    assert (masks / "x.png").read_bytes() == b"mask"
    shard = tmp_path / "shard0"
    shard.mkdir()
    (shard / "annotations.json").write_text("[]")
    assert_one_line(run([shard, "--output", shard / "annotations.json"], module="synth.merge"),
                    "would overwrite it")
    (shard / "annotations.json").write_text("[1, 2]")
    assert_one_line(run([shard, "--output", tmp_path / "merged.json"], module="synth.merge"),
                    "is not a COCO file of a render")
    assert (shard / "annotations.json").read_text() == "[1, 2]"


def test_video_and_evaluate_refuse_to_overwrite_an_input(tmp_path, toy_sets):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"the source clip")
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"w")
    video = [TOOLS / "visualize_video.py", "--config-file", TINY, "--weights", weights]
    assert_one_line(run([*video, "--input", clip, "--output", clip]), "would overwrite")
    os.symlink(clip, tmp_path / "same.mp4")
    assert_one_line(run([*video, "--input", clip, "--output", tmp_path / "same.mp4"]),
                    "would overwrite")
    assert_one_line(run([*video, "--input", clip, "--output", tmp_path / "o.mp4",
                         "--save-predictions", clip]), "would overwrite")
    assert clip.read_bytes() == b"the source clip"

    json_path, _ = toy_sets["real"]
    out = tmp_path / "eval"
    out.mkdir()
    predictions = out / "predictions.json"
    predictions.write_text("[]")
    assert_one_line(run([TOOLS / "evaluate.py", "--predictions", predictions, "--coco",
                         json_path, "--output-dir", out]), "would overwrite the input")
    assert predictions.read_text() == "[]"


ARGPARSE_CALLS = [
    [TOOLS / "evaluate.py", "--bogus"], [TOOLS / "visualize_video.py", "--bogus"],
    [TOOLS / "split_dataset.py", "--bogus"], [TOOLS / "prepare_real.py", "--bogus"],
    [TOOLS / "inspect_dataset.py", "--bogus"], [TOOLS / "compose_dataset.py", "--bogus"],
    [TOOLS / "visualize_data.py", "--bogus"], [TOOLS / "plot_training.py", "--bogus"],
    [TOOLS / "train_net.py", "--num-gpus", "x"], [TOOLS / "repetitive_train.py", "--bogus"],
    [TOOLS / "demo.py", "--bogus"], [TOOLS / "convert_weights.py", "--bogus"],
    [TOOLS / "fetch_backgrounds.py", "--bogus"],
]


@pytest.mark.slow
def test_argparse_errors_are_one_line_everywhere():
    for argv in ARGPARSE_CALLS:
        assert_one_line(run(argv), "(see ")
    for module in ("synth.merge", "synth.pose", "synth.contact_sheet"):
        assert_one_line(run(["--bogus"], module=module), "(see ")
