"""tools/evaluate.py --suppress-contained: HANDS.SUPPRESS_CONTAINED applied to a results file."""

import json
from functools import partial

import pytest
from test_eval_tool import box as tool_box
from test_eval_tool import load_tool

H, W = 20, 20
box = partial(tool_box, shape=(H, W))


def write_case(tmp_path):
    """One hand (image 1) and six predictions; what lies inside what is worked out by hand.

    Image 1: P1 is the hand (10 x 10); P2 (4 x 4, lower score) lies wholly inside P1; P3
    (10 x 8, lower score) has 40 of its 80 pixels inside P1, so it is half inside. Image 2: P4
    alone. Image 3: P5 (2 x 2, higher score) lies inside P6 (10 x 10), but only the lower-scored
    one can be dropped, and P6 has 4 of its 100 pixels inside P5.
    """
    gt = {"images": [{"id": i, "file_name": f"im{i}.png", "height": H, "width": W}
                     for i in (1, 2, 3)],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
                           "segmentation": box(2, 12, 2, 12)}],
          "categories": [{"id": 1, "name": "hand"}]}
    entries = [(1, box(2, 12, 2, 12), 0.9), (1, box(4, 8, 4, 8), 0.8),
               (1, box(2, 12, 8, 16), 0.7), (2, box(0, 3, 0, 3), 0.6),
               (3, box(0, 2, 0, 2), 0.9), (3, box(0, 10, 0, 10), 0.5)]
    results = [{"image_id": i, "category_id": 1, "segmentation": s, "score": score}
               for i, s, score in entries]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(results))
    return tmp_path / "gt.json", tmp_path / "res.json"


@pytest.mark.parametrize(("fraction", "dropped"), [
    (None, 0),   # off: every prediction is scored
    ("1.0", 1),  # only P2 lies wholly inside
    ("0.6", 1),  # P3 is 50% inside: kept
    ("0.5", 2),  # P3 is 50% inside: dropped
])
def test_contained_predictions_are_dropped_before_scoring(tmp_path, fraction, dropped):
    gt, res = write_case(tmp_path)
    out = tmp_path / "out"
    args = ["--predictions", str(res), "--coco", str(gt), "--output-dir", str(out),
            "--score-thresh", "0.3", "--quiet"]
    assert load_tool().main(args + (["--suppress-contained", fraction] if fraction else [])) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert (m["hands"]["TP"], m["hands"]["FP"], m["hands"]["FN"]) == (1, 5 - dropped, 0)
    assert m["settings"]["num_predictions"] == 6 - dropped
    if fraction:
        assert m["settings"]["suppress_contained"] == float(fraction)
        assert m["settings"]["num_predictions_contained"] == dropped
    else:
        assert "suppress_contained" not in m["settings"]


@pytest.mark.parametrize(("extra", "words"), [
    (["--suppress-contained", "1.5"], "--suppress-contained must be in [0, 1]"),
    (["--suppress-contained", "nan"], "--suppress-contained must be in [0, 1]"),
    (["--suppress-contained", "-0.1"], "--suppress-contained must be in [0, 1]"),
])
def test_bad_fraction_exit_2_nothing_written(tmp_path, capsys, extra, words):
    gt, res = write_case(tmp_path)
    out = tmp_path / "out"
    assert load_tool().main(["--predictions", str(res), "--coco", str(gt), "--output-dir",
                             str(out)] + extra) == 2
    assert words in capsys.readouterr().err and not out.exists()


def test_a_model_takes_the_config_option_instead(tmp_path, capsys):
    (tmp_path / "cfg.yaml").write_text("{}\n")
    (tmp_path / "w.pth").write_bytes(b"")
    assert load_tool().main(["--config-file", str(tmp_path / "cfg.yaml"), "--weights",
                             str(tmp_path / "w.pth"), "--dataset", "x", "--output-dir",
                             str(tmp_path / "out"), "--suppress-contained", "0.6"]) == 2
    assert "HANDS.SUPPRESS_CONTAINED 0.6" in capsys.readouterr().err
