"""The rest of the bad-input matrix: one ``error:`` line, the right status, nothing left behind."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from conftest import ROOT, tool_env

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")
TOOLS = ROOT / "tools"


def run(argv):
    proc = subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True,
                          env=tool_env(), timeout=900, cwd=ROOT)
    return proc.returncode, proc.stderr


def assert_one_line(result, words, status=2):
    rc, err = result
    assert rc == status and err.startswith("error: ") and err.count("\n") == 1, (rc, err)
    assert words in err and "Traceback" not in err, err


def register(toy_sets, name="toy"):
    json_path, images = toy_sets["synth"]
    return ["DATASETS.REGISTER", json.dumps([[name, str(json_path), str(images)]]),
            "DATASETS.TRAIN", f'("{name}",)', "DATASETS.TEST", "()"]


def test_config_values_that_cannot_train_are_config_errors():
    from d2hands.engine import build_cfg
    from d2hands.errors import ConfigError

    for opts, words in ((["SOLVER.IMS_PER_BATCH", "0"], "SOLVER.IMS_PER_BATCH"),
                        (["SOLVER.BASE_LR", "-1.0"], "SOLVER.BASE_LR"),
                        (["SOLVER.MAX_ITER", "-5"], "SOLVER.MAX_ITER"),
                        (["HANDS.SCORE_THRESH", "1.5"], "HANDS.SCORE_THRESH"),
                        (["SOLVER.BASE_LR", "nan"], "SOLVER.BASE_LR")):
        with pytest.raises(ConfigError, match=words):
            build_cfg(TINY, opts)


def test_an_empty_evaluation_set_is_one_line(tmp_path, capsys, toy_sets):
    from d2hands.evaluation.report import write_outputs  # noqa: F401

    json_path, images = toy_sets["real"]
    coco = json.loads(json_path.read_text())
    coco["images"], coco["annotations"] = [], []
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(coco))
    weights = tmp_path / "w.pth"
    torch.save({"model": {}}, weights)
    assert_one_line(run([TOOLS / "evaluate.py", "--config-file", TINY, "--weights", weights,
                         "--coco", empty, "--image-root", images, "--output-dir",
                         tmp_path / "out"]), "no images")
    assert not (tmp_path / "out").exists()


def write_clip(path, frames=2):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5, (64, 48))
    for _ in range(frames):
        writer.write(np.full((48, 64, 3), 128, np.uint8))
    writer.release()


def test_video_output_problems_say_what_they_are(tmp_path):
    clip = tmp_path / "clip.mp4"
    write_clip(clip)
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"w")
    video = [TOOLS / "visualize_video.py", "--config-file", TINY, "--weights", weights,
             "--input", clip]
    assert_one_line(run([*video, "--output", tmp_path / "o.mp4", "--fps", "0"]),
                    "--fps must be a number > 0")
    assert_one_line(run([*video, "--output", "/proc/o.mp4"]), "cannot write", status=1)
    assert_one_line(run([*video, "--output", tmp_path / "o.mp4", "--save-predictions",
                         "/proc/p.json"]), "cannot write", status=1)
    assert not (tmp_path / "o.mp4").exists()


def test_partial_weights_must_set_the_backbone(tmp_path, toy_sets):
    from d2hands.engine import HandsTrainer, build_cfg
    from d2hands.errors import ModelLoadError

    opts = [*register(toy_sets), "OUTPUT_DIR", str(tmp_path / "out"), "HANDS.PARTIAL_WEIGHTS",
            "True"]
    trainer = HandsTrainer(build_cfg(TINY, opts))
    state = trainer.model.state_dict()
    biases = [k for k in state if k.startswith("backbone.bottom_up.") and k.endswith("bias")]
    # Another architecture's checkpoint, whose only matches are a few bias vectors.
    other = {k: state[k].clone() for k in biases[:3]}
    other.update({f"layer{i}.conv.weight": torch.zeros(8, 8, 3, 3) for i in range(20)})
    torch.save({"model": other}, tmp_path / "r18.pth")
    trainer = HandsTrainer(build_cfg(TINY, [*opts, "MODEL.WEIGHTS", str(tmp_path / "r18.pth")]))
    with pytest.raises(ModelLoadError, match=r"PARTIAL_WEIGHTS_MUST_LOAD .* requires unset"):
        trainer.resume_or_load(resume=False)
    whole = {k: v.clone() for k, v in state.items() if k.startswith("backbone.bottom_up.")}
    torch.save({"model": whole}, tmp_path / "body.pth")
    trainer = HandsTrainer(build_cfg(TINY, [*opts, "MODEL.WEIGHTS", str(tmp_path / "body.pth")]))
    trainer.resume_or_load(resume=False)  # the body loads whole: accepted


def test_evaluation_files_are_committed_with_metrics_last(tmp_path):
    from d2hands.evaluation import evaluate_results  # noqa: F401
    from d2hands.evaluation.report import write_outputs

    out = tmp_path / "eval"
    (out / "per_image.csv").mkdir(parents=True)  # the CSV cannot be written
    (out / "metrics.json").write_text('{"stale": true}')

    class Evaluation:
        metrics = {"hands": {}, "pixel": {}, "settings": {}}
        images = []

    with pytest.raises(OSError):
        write_outputs(out, Evaluation())
    assert not (out / "metrics.json").exists()  # no metrics beside a stale or missing CSV


@pytest.mark.slow
def test_refused_runs_write_nothing(tmp_path, toy_sets):
    out = tmp_path / "run"
    chain = [TOOLS / "repetitive_train.py", "--config-file", TINY, "--output-dir", out,
             "--subsets", "2", "--schedule", "all,all", "--iters", "2", *register(toy_sets)]
    rc, err = run(chain)
    assert rc == 0, err[-2000:]
    config = (out / "config.yaml").read_bytes()
    log = (out / "log.txt").read_bytes()
    assert_one_line(run([*chain, "INPUT.MIN_SIZE_TRAIN", "(64,)"]),
                    "INPUT.MIN_SIZE_TRAIN (<unset> -> (64,))")
    assert_one_line(run([*chain[:-len(register(toy_sets))], "--schedule", "all,3+",
                         *register(toy_sets)]), "different plan")
    assert (out / "config.yaml").read_bytes() == config
    assert (out / "log.txt").read_bytes() == log

    json_path, images = toy_sets["real"]
    bad = tmp_path / "bad.json"
    coco = json.loads(json_path.read_text())
    coco["annotations"][0]["area"] = -1
    bad.write_text(json.dumps(coco))
    train_out = tmp_path / "train"
    assert_one_line(run([TOOLS / "train_net.py", "--config-file", TINY, "DATASETS.REGISTER",
                         json.dumps([["bad", str(bad), str(images)]]), "DATASETS.TRAIN",
                         '("bad",)', "OUTPUT_DIR", train_out]), "'area' must be > 0")
    assert not train_out.exists()
