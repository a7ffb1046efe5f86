"""Connected-component instances of a U-Net mask, and how they score, computed independently."""

import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch


def flood_components(mask):
    """8-connected components by breadth-first flood fill (no OpenCV): a list of bool masks."""
    seen = np.zeros_like(mask, dtype=bool)
    found = []
    height, width = mask.shape
    for y0, x0 in zip(*np.nonzero(mask), strict=True):
        if seen[y0, x0]:
            continue
        component = np.zeros_like(seen)
        queue = [(y0, x0)]
        seen[y0, x0] = True
        while queue:
            y, x = queue.pop()
            component[y, x] = True
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < height and 0 <= nx < width and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        queue.append((ny, nx))
        found.append(component)
    return found


@pytest.fixture
def probability():
    rng = np.random.default_rng(0)
    prob = rng.uniform(0.0, 0.45, (60, 80))
    prob[5:25, 5:30] = rng.uniform(0.55, 1.0, (20, 25))    # a big hand
    prob[30:50, 40:70] = rng.uniform(0.6, 0.8, (20, 30))   # a second one
    prob[50:55, 70:75] = 0.9                                 # touches it diagonally only
    prob[2:4, 70:72] = 0.99                                  # 4 pixels: below MIN_AREA 5
    return prob


def test_components_masks_scores_and_boxes(probability):
    from d2hands.modeling import component_instances

    instances = component_instances(torch.from_numpy(probability), 0.5, min_area=5)
    expected = [c for c in flood_components(probability > 0.5) if c.sum() >= 5]
    expected.sort(key=lambda c: -probability[c].mean())
    assert len(instances) == len(expected) == 2  # the diagonal touch joins, the speck is dropped
    for index, component in enumerate(expected):
        assert np.array_equal(instances.pred_masks[index].numpy(), component)
        assert instances.scores[index].item() == pytest.approx(probability[component].mean(),
                                                               rel=1e-6)
        ys, xs = np.nonzero(component)
        box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        assert instances.pred_boxes.tensor[index].tolist() == box
    assert len(component_instances(torch.zeros(10, 10))) == 0


def test_component_instances_score_as_their_masks(probability):
    """The evaluator's IoU and F1 over component instances equal those of the masks."""
    from detectron2.evaluation.coco_evaluation import instances_to_coco_json

    from d2hands.evaluation import compute_metrics
    from d2hands.modeling import component_instances

    height, width = probability.shape
    truth = np.zeros((2, height, width), dtype=np.uint8)
    truth[0, 4:26, 4:28] = 1
    truth[1, 30:50, 40:66] = 1
    gt = {"images": [{"id": 1, "file_name": "x.png", "height": height, "width": width}],
          "categories": [{"id": 1, "name": "hand"}], "annotations": []}
    for index, hand in enumerate(truth):
        rle = mask_utils.encode(np.asfortranarray(hand))
        rle["counts"] = rle["counts"].decode()
        gt["annotations"].append({"id": index + 1, "image_id": 1, "category_id": 1,
                                  "segmentation": rle, "area": int(hand.sum()),
                                  "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                                  "iscrowd": 0})
    instances = component_instances(torch.from_numpy(probability), 0.5, min_area=5)
    results = instances_to_coco_json(instances, 1)
    for result in results:
        result["category_id"] = 1
    evaluation = compute_metrics(json.loads(json.dumps(gt)), results, score_thresh=0.5)
    expected = [c for c in flood_components(probability > 0.5) if c.sum() >= 5]
    ious = sorted(max((c & t.astype(bool)).sum() / (c | t.astype(bool)).sum() for t in truth)
                  for c in expected)
    hands = evaluation.metrics["hands"]
    assert hands["TP"] == 2 and hands["FP"] == 0 and hands["FN"] == 0
    assert hands["IoU"] == pytest.approx(np.mean(ious), rel=1e-6)
    union = np.any(expected, axis=0)
    hand = truth.any(0)
    f1 = 2 * (union & hand).sum() / (union.sum() + hand.sum())
    assert evaluation.metrics["pixel"]["F1"] == pytest.approx(f1, rel=1e-6)
