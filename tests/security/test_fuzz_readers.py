"""Property-based fuzzing of every reader of user files: accept (and round-trip) or refuse.

Each reader gets mutated versions of a valid input (types, ranges, nesting, missing keys,
sizes) and must either accept it, and accept its own output again, or raise the toolkit's own
error (``HandsError``); any other exception is a bug. ``D2HANDS_FUZZ_EXAMPLES`` sets the number
of examples per reader (default 40 for CI; e.g. 2000 for a long run).
"""

import copy
import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from d2hands.errors import HandsError

EXAMPLES = int(os.environ.get("D2HANDS_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

LEAVES = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
          | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=6)
          | st.sampled_from([0, 1, -1, 1e300, -0.0, "", "0", [], {}]))
JSON = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=10)


@st.composite
def mutated(draw, base):
    """``base`` with 1-3 random edits: a value replaced, a key removed, a container nested."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        data = _edit(draw, data)
    return data


def _edit(draw, node):
    containers = isinstance(node, (dict, list)) and len(node) > 0
    if containers and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node, key=str) if isinstance(node, dict)
                                   else list(range(len(node)))))
        node[key] = _edit(draw, node[key])
        return node
    op = draw(st.sampled_from(["replace", "delete", "wrap", "deep", "scale"]))
    if op == "delete" and containers:
        key = draw(st.sampled_from(sorted(node, key=str) if isinstance(node, dict)
                                   else list(range(len(node)))))
        del node[key]
        return node
    if op == "wrap":
        return [node]
    if op == "deep":
        deep = node
        for _ in range(draw(st.integers(1, 60))):
            deep = {"x": deep}
        return deep
    if op == "scale" and isinstance(node, (int, float)) and not isinstance(node, bool):
        return node * draw(st.sampled_from([-1, 0, 1e9, math.inf, math.nan]))
    return draw(JSON)


def toy_coco():
    """Two images, three annotations (RLE, polygon, with bbox/area/iscrowd), one category."""
    from pycocotools import mask as mask_utils

    mask = np.zeros((20, 30), np.uint8, order="F")
    mask[2:9, 3:12] = 1
    rle = mask_utils.encode(mask)
    return {
        "images": [{"id": 1, "file_name": "a.png", "width": 30, "height": 20},
                   {"id": 2, "file_name": "b.png", "width": 30, "height": 20}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 63.0,
             "bbox": [3, 2, 9, 7], "segmentation": {"size": [20, 30],
                                                   "counts": rle["counts"].decode()}},
            {"id": 2, "image_id": 2, "category_id": 1,
             "segmentation": [[2.0, 2.0, 10.0, 2.0, 10.0, 10.0, 2.0, 10.0]]},
            {"id": 3, "image_id": 2, "category_id": 1, "iscrowd": 0,
             "segmentation": {"size": [20, 30], "counts": [0, 20, 580]}}],
        "categories": [{"id": 1, "name": "hand"}],
    }


@FUZZ
@given(mutated(toy_coco()))
def test_coco_reader_accepts_and_round_trips_or_refuses(coco):
    from d2hands.data import load_coco

    try:
        dataset = load_coco(coco)
    except HandsError:
        return
    again = load_coco(json.loads(json.dumps(dataset.dataset)))
    assert len(again.images) == len(dataset.images)
    assert sum(map(len, again.hands.values())) == sum(map(len, dataset.hands.values()))


def toy_predictions():
    return [{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [3, 2, 9, 7],
             "segmentation": {"size": [20, 30], "counts": [60, 20, 520]}},
            {"image_id": 2, "category_id": 1, "score": 0.4,
             "segmentation": [[2.0, 2.0, 10.0, 2.0, 10.0, 10.0]]}]


@FUZZ
@given(mutated(toy_predictions()))
def test_predictions_reader_accepts_or_refuses(predictions):
    from d2hands.evaluation.ground_truth import load_ground_truth
    from d2hands.evaluation.results_io import load_results

    gt = load_ground_truth(toy_coco())
    try:
        loaded = load_results(predictions, gt)
    except HandsError:
        return
    assert all(0 <= p.score or p.score < 0 for p in loaded)  # finite scores only
    assert len(loaded) == len(predictions)


def toy_manifest():
    return {"version": 1, "kind": "repetitive", "config_file": "cfg.yaml", "opts": ["A", "1"],
            "select": "loss", "plan": {"kind": "repetitive", "sessions": [{"index": 0}]},
            "sessions": [{"index": 0, "status": "done", "final_weights": "w.pth"}],
            "best_session": 0, "final_weights": "w.pth"}


@FUZZ
@given(mutated(toy_manifest()))
def test_manifest_readers_accept_or_refuse(tmp_path_factory, manifest):
    from d2hands.repetitive.manifest import load_manifest
    from d2hands.repetitive.trained_run import read_trained_run

    folder = tmp_path_factory.mktemp("run")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for read in (lambda: load_manifest(folder), lambda: read_trained_run(folder),
                 lambda: read_trained_run(folder, session=0)):
        try:
            read()
        except HandsError:
            pass


MASK_DTYPES = st.sampled_from([np.uint8, np.uint16, bool])


@FUZZ
@given(st.integers(1, 24), st.integers(1, 24), MASK_DTYPES, st.integers(0, 2**16 - 1),
       st.sampled_from(["L", "RGB", "RGBA", "LA", "P", "I;16", "1", "bytes"]), st.data())
def test_mask_reader_gives_binary_hands_or_refuses(tmp_path_factory, height, width, dtype, top,
                                                   mode, data):
    from d2hands.data.mask_folders import mask_instances, read_mask_values

    path = tmp_path_factory.mktemp("mask") / "m.png"
    if mode == "bytes":
        path.write_bytes(data.draw(st.binary(max_size=64)))
    else:
        values = np.asarray(data.draw(st.lists(st.integers(0, top), min_size=height * width,
                                               max_size=height * width)))
        array = values.reshape(height, width).astype(dtype)
        if mode == "I;16":
            Image.fromarray(array.astype(np.uint16)).save(path)
        else:
            gray = Image.fromarray((array.astype(np.int64) % 256).astype(np.uint8))
            gray.convert(mode).save(path)
    try:
        mask = read_mask_values(path)
    except (OSError, SyntaxError, ValueError):  # what masks_to_coco reports as unreadable
        assert mode == "bytes"
        return
    for hand in mask_instances(mask, min_area=1):
        assert hand.dtype == np.uint8 and set(np.unique(hand)) <= {0, 1}
        assert hand.shape == mask.values.shape


@pytest.mark.parametrize("size", [0, 1, 100])
def test_mask_folders_refuse_undecodable_masks(tmp_path, size):
    from d2hands.data import DatasetError
    from d2hands.data.mask_folders import masks_to_coco

    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    (tmp_path / "masks" / "a.png").write_bytes(os.urandom(size))
    with pytest.raises(DatasetError, match="unreadable mask"):
        masks_to_coco(tmp_path / "images", tmp_path / "masks")
