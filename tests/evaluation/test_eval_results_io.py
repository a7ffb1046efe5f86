"""Validation of COCO results lists and ground truths: each bad input names its entry."""

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from d2hands.data import DatasetError
from d2hands.data.rle import decode_compressed_counts
from d2hands.evaluation import ResultsError, load_ground_truth, load_results

H, W = 10, 20


def rle(y0=0, y1=4, x0=0, x1=4, h=H, w=W):
    a = np.zeros((h, w), dtype=np.uint8, order="F")
    a[y0:y1, x0:x1] = 1
    r = mask_utils.encode(a)
    return {"size": r["size"], "counts": r["counts"].decode()}


@pytest.fixture()
def gt():
    return load_ground_truth({
        "images": [{"id": 1, "file_name": "a.png", "height": H, "width": W},
                   {"id": 2, "file_name": "b.png", "height": H, "width": W}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": rle()}],
        "categories": [{"id": 1, "name": "hand"}],
    })


def entry(**kw):
    e = {"image_id": 1, "category_id": 1, "segmentation": rle(), "score": 0.9}
    e.update(kw)
    return e


def test_valid_results_including_uncompressed_rle_polygons_and_empty(gt):
    assert load_results([], gt) == []
    runs = [0, 4, 6, 4, 6, 4, 6, 4, 166]  # 4x4 box at the top-left, column-major runs
    polygon = [[0, 0, 4, 0, 4, 4, 0, 4]]
    preds = load_results([entry(), entry(segmentation={"size": [H, W], "counts": runs}),
                          entry(image_id=2, segmentation=polygon, bbox=[0, 0, 4, 4])], gt)
    assert [int(mask_utils.area(p.rle)) for p in preds[:2]] == [16, 16]
    assert preds[0].rle["counts"] == preds[1].rle["counts"]
    assert preds[2].bbox == [0.0, 0.0, 4.0, 4.0] and preds[0].bbox is None


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (entry(image_id=99), "image_id is not an image"),
        (entry(image_id=True), "image_id is not an image"),
        (entry(image_id=[1]), "image_id is not an image"),
        (entry(category_id=[1]), "category_id [1]"),
        (entry(category_id=7), "category_id 7"),
        (entry(score=float("nan")), "finite"),
        (entry(score=float("inf")), "finite"),
        (entry(score="0.9"), "finite number"),
        (entry(score=True), "finite number"),
        ({"image_id": 2, "category_id": 1, "segmentation": rle()}, "missing key 'score'"),
        (entry(segmentation={"size": [5, 5], "counts": rle(h=5, w=5)["counts"]}), "size [5, 5]"),
        (entry(segmentation={"size": [H, W], "counts": "!!bad"}), "alphabet"),
        (entry(segmentation={"size": [H, W], "counts": rle()["counts"][:-1]}), "counts"),
        (entry(segmentation={"size": [H, W], "counts": rle()["counts"] + "1"}), "add up"),
        (entry(segmentation={"size": [H, W], "counts": [5, -1, 196]}), "negative"),
        (entry(segmentation={"counts": rle()["counts"]}), "'size'"),
        (entry(segmentation=[[1, 2, 3]]), "polygon 0"),
        (entry(segmentation=[]), "empty"),
        (entry(segmentation="x"), "segmentation must be"),
        (entry(bbox=[0, 0, float("nan"), 1]), "bbox"),
    ],
)
def test_bad_entry_is_named(gt, bad, words):
    image_id = bad.get("image_id")
    with pytest.raises(ResultsError) as info:
        load_results([entry(image_id=2), bad], gt)
    msg = str(info.value)
    assert f"entry 1 (image_id {image_id!r})" in msg
    assert words in msg
    assert info.value.index == 1 and info.value.image_id == image_id


def test_entry_that_is_not_an_object(gt):
    with pytest.raises(ResultsError, match="entry 0: must be an object"):
        load_results(["x"], gt)


def test_files_invalid_json_nan_and_not_a_list(gt, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('[{"image_id": 1,')
    with pytest.raises(ResultsError, match=r"broken\.json: not valid JSON: .* line 1"):
        load_results(broken, gt)
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps([entry(), entry(image_id=2, score=float("nan"))]))  # NaN literal
    with pytest.raises(ResultsError, match=r"nan\.json: entry 1 \(image_id 2\): score"):
        load_results(nan, gt)
    coco = tmp_path / "coco.json"
    coco.write_text(json.dumps({"annotations": []}))
    with pytest.raises(ResultsError, match="results list"):
        load_results(coco, gt)
    with pytest.raises(ResultsError, match="cannot read"):
        load_results(tmp_path / "missing.json", gt)


def test_bad_ground_truth_is_named():
    good_img = {"id": 1, "file_name": "a.png", "height": H, "width": W}
    cats = [{"id": 1}]
    cases = [
        ({"images": [], "annotations": [], "categories": cats}, "no images"),
        ({"images": [good_img], "annotations": []}, "'categories'"),
        ({"images": [{"id": 1}], "annotations": [], "categories": cats},
         "needs positive integer 'height' and 'width', got None and None: images[0] (id 1)"),
        ({"images": [good_img], "categories": cats, "annotations": [
            {"id": 5, "image_id": 3, "category_id": 1, "segmentation": rle()}]},
         "image_id is not in 'images': annotations[0] (id 5, image_id 3)"),
        ({"images": [good_img], "categories": cats, "annotations": [
            {"id": 5, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}]},
         "annotation without 'segmentation' (hands need masks): annotations[0] (id 5, image_id 1)"),
        ({"images": [good_img], "categories": cats, "annotations": [
            {"id": 5, "image_id": 1, "category_id": 1, "segmentation": rle(h=4, w=4)}]},
         "differs from the image size"),
    ]
    for data, words in cases:
        with pytest.raises(DatasetError) as info:
            load_ground_truth(data)
        assert words in str(info.value), str(info.value)


def test_ground_truth_defaults_are_filled_without_touching_the_input():
    data = {"images": [{"id": 1, "height": H, "width": W}], "categories": [{"id": 1}],
            "annotations": [{"image_id": 1, "category_id": 1, "segmentation": rle()},
                            {"image_id": 1, "category_id": 1, "segmentation": rle(5, 9, 5, 9),
                             "iscrowd": 1}]}
    before = json.dumps(data)
    gt = load_ground_truth(data)
    assert json.dumps(data) == before
    a = gt.dataset["annotations"][0]
    assert (a["id"], a["iscrowd"], a["area"], a["bbox"]) == (1, 0, 16.0, [0.0, 0.0, 4.0, 4.0])
    assert len(gt.hands[1]) == 1  # the crowd region is not a hand
    assert gt.images[1].file_name == "1"


def test_compressed_counts_decoder_matches_pycocotools():
    rng = np.random.default_rng(0)
    for _ in range(50):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        a = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        flat = a.flatten(order="F")
        edges = np.flatnonzero(np.diff(flat)) + 1
        bounds = np.concatenate(([0], edges, [flat.size]))
        runs = list(np.diff(bounds))
        if flat[0]:
            runs = [0] + runs
        counts = mask_utils.encode(np.asfortranarray(a))["counts"]
        assert list(decode_compressed_counts(counts)) == runs
