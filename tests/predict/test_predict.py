"""HandsPredictor and tools/predict.py on a tiny trained run: every input kind, every output."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from conftest import ROOT, tool_env
from pycocotools import mask as mask_utils

TINY = str(ROOT / "configs" / "hands_tiny_cpu.yaml")
UNET = str(ROOT / "configs" / "unet_base.yaml")


@pytest.fixture(scope="module")
def photos(toy_sets, tmp_path_factory):
    """Three toy images of different sizes (BGR arrays and files)."""
    _, images = toy_sets["synth"]
    folder = tmp_path_factory.mktemp("photos")
    arrays = []
    for k, (path, size) in enumerate(zip(sorted(images.glob("*.png"))[:3],
                                         [(128, 96), (96, 128), (160, 100)], strict=True)):
        image = cv2.resize(cv2.imread(str(path)), size)
        cv2.imwrite(str(folder / f"p{k}.png"), image)
        arrays.append(image)
    return folder, arrays


def expected_instance_map(masks):
    """Independent: each pixel takes the first (highest-scoring) mask that covers it."""
    out = np.zeros(masks.shape[1:], np.uint16)
    for k in range(len(masks)):
        out[(out == 0) & masks[k]] = k + 1
    return out


def test_predictor_from_a_run(tiny_run, photos):
    from d2hands import HandsPredictor

    predictor = HandsPredictor.from_run(tiny_run, score_thresh=0.0)
    _, arrays = photos
    found = predictor.predict_batch(arrays)
    assert len(found) == 3
    for image, hands in zip(arrays, found, strict=True):
        assert hands.masks.shape[1:] == image.shape[:2] and hands.masks.dtype == bool
        assert len(hands) == len(hands.boxes) == len(hands.scores) > 0
        assert list(hands.scores) == sorted(hands.scores, reverse=True)
        assert np.array_equal(hands.instance_map(), expected_instance_map(hands.masks))
        for result, mask in zip(hands.to_coco(7), hands.masks, strict=True):
            assert result["image_id"] == 7
            assert np.array_equal(mask_utils.decode(
                {"size": result["segmentation"]["size"],
                 "counts": result["segmentation"]["counts"].encode()}).astype(bool), mask)
    single = predictor(arrays[0])
    assert np.array_equal(single.scores, predictor.predict_batch([arrays[0]])[0].scores)
    strict = HandsPredictor.from_run(tiny_run, score_thresh=1.0)(arrays[0])
    assert len(strict) == 0 and strict.union().shape == arrays[0].shape[:2]


def test_predictor_refuses_what_is_not_an_image(tiny_run):
    from d2hands import HandsPredictor
    from d2hands.errors import UsageError

    predictor = HandsPredictor.from_run(tiny_run)
    for bad in (np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 5), np.uint8), "nope.png", 3):
        with pytest.raises((UsageError, ValueError)):
            predictor(bad)
    gray = predictor(np.zeros((40, 50), np.uint8))  # gray is taken as it is
    assert gray.masks.shape[1:] == (40, 50)


def test_semantic_models_answer_the_same_way(tmp_path):
    from detectron2.checkpoint import DetectionCheckpointer
    from detectron2.modeling import build_model

    from d2hands import HandsPredictor
    from d2hands.engine import build_cfg

    torch.manual_seed(0)
    DetectionCheckpointer(build_model(build_cfg(UNET, [])), save_dir=str(tmp_path)).save("u")
    predictor = HandsPredictor.from_config(UNET, str(tmp_path / "u.pth"), score_thresh=0.0)
    hands = predictor(np.random.default_rng(0).integers(0, 255, (64, 80, 3), np.uint8))
    assert hands.masks.shape[1:] == (64, 80) and hands.boxes.shape == (len(hands), 4)


def run_predict(*args):
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "predict.py"),
                           *map(str, args)], capture_output=True, text=True, env=tool_env(),
                          timeout=900)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.slow
def test_predict_writes_every_output_for_a_folder_a_glob_and_a_video(tiny_run, photos,
                                                                    tmp_path):
    import av

    folder, arrays = photos
    model = ["--run", tiny_run, "--score-thresh", "0.0"]
    for spec, out in ((folder, tmp_path / "folder"), (str(folder / "p*.png"), tmp_path / "glob")):
        rc, stdout, err = run_predict("--input", spec, "--output-dir", out, *model)
        assert rc == 0, err[-2000:]
        assert "3 images" in stdout
        results = json.loads((out / "predictions.json").read_text())
        assert {r["file_name"] for r in results} == {"p0", "p1", "p2"}
        for k, image in enumerate(arrays):
            for kind in ("overlay.jpg", "instances.png", "mask.png"):
                written = cv2.imread(str(out / f"p{k}_{kind}"), cv2.IMREAD_UNCHANGED)
                assert written.shape[:2] == image.shape[:2], kind
            ids = cv2.imread(str(out / f"p{k}_instances.png"), cv2.IMREAD_UNCHANGED)
            mask = cv2.imread(str(out / f"p{k}_mask.png"), cv2.IMREAD_UNCHANGED)
            assert np.array_equal(ids > 0, mask == 255)
            mine = sorted((r for r in results if r["file_name"] == f"p{k}"),
                          key=lambda r: -r["score"])
            masks = np.array([mask_utils.decode({"size": r["segmentation"]["size"], "counts":
                                                 r["segmentation"]["counts"].encode()})
                              for r in mine], bool)
            assert np.array_equal(ids, expected_instance_map(masks))

    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 8, (128, 96))
    for image in [arrays[0]] * 5:
        writer.write(image)
    writer.release()
    rc, stdout, err = run_predict("--input", clip, "--video-output", tmp_path / "hands.mp4",
                                  "--output-dir", tmp_path / "frames", *model)
    assert rc == 0, err[-2000:]
    with av.open(str(tmp_path / "hands.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == 5
    assert (tmp_path / "frames" / "frame_000004_mask.png").exists()


@pytest.mark.slow
def test_predict_bad_input_is_one_line(tiny_run, photos, tmp_path):
    folder, _ = photos
    for args, words in (
            (["--input", tmp_path / "none.jpg", "--output-dir", tmp_path / "o"], "does not exist"),
            (["--input", folder], "--output-dir DIR and/or --video-output"),
            (["--input", folder, "--output-dir", folder], "would overwrite"),
            (["--input", folder, "--output-dir", tmp_path / "o", "--score-thresh", "2"],
             "--score-thresh must be in [0, 1]"),
            (["--input", folder, "--output-dir", tmp_path / "o", "--session", "1"],
             "names a session of --run"),
            (["--input", "99", "--video-output", tmp_path / "w.mp4"], "cannot open webcam 99")):
        rc, _, err = run_predict(*args, *(["--run", tiny_run] if "--session" not in args
                                          else []))
        assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
        assert words in err, err


def test_exported_slim_weights_predict_like_the_run(tiny_run, photos, tmp_path):
    from d2hands import HandsPredictor

    _, arrays = photos
    export = ROOT / "tools" / "export_model.py"
    for half in (False, True):
        out = tmp_path / ("half" if half else "full") / "hands.pth"
        out.parent.mkdir()
        proc = subprocess.run([sys.executable, str(export), "--run", str(tiny_run), "--output",
                               str(out), *(["--half"] if half else [])], capture_output=True,
                              text=True, env=tool_env(), timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        saved = torch.load(out, map_location="cpu", weights_only=True)
        assert set(saved) == {"model", "__author__"}
        dtypes = {v.dtype for v in saved["model"].values() if v.is_floating_point()}
        assert dtypes == ({torch.float16} if half else {torch.float32})
        assert "_BASE_" not in out.with_suffix(".yaml").read_text()
        original = HandsPredictor.from_run(tiny_run, score_thresh=0.0)(arrays[0])
        exported = HandsPredictor.from_config(str(out.with_suffix(".yaml")), str(out),
                                              score_thresh=0.0)(arrays[0])
        if not half:
            assert np.array_equal(original.scores, exported.scores)
            assert np.array_equal(original.masks, exported.masks)
        else:  # float16 weights: the same top hand, nearly the same score and box
            assert abs(float(original.scores[0]) - float(exported.scores[0])) < 0.02
            assert np.abs(original.boxes[0] - exported.boxes[0]).max() < 2.0
            a, b = original.masks[0], exported.masks[0]
            assert (a ^ b).sum() <= 0.01 * a.size
