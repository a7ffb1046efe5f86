"""The fast video drawing gives detectron2's stock VideoVisualizer picture, frame after frame."""

import random

import cv2
import numpy as np
import torch
from detectron2.data import MetadataCatalog
from detectron2.structures import Boxes, Instances
from detectron2.utils.video_visualizer import VideoVisualizer

from d2hands.video.drawing import HandsVideoVisualizer

H, W = 360, 640


def _metadata():
    metadata = MetadataCatalog.get("test_video_drawing")
    metadata.thing_classes = ["hand"]
    return metadata


def _predictions(shift: int, with_masks: bool = True) -> Instances:
    masks = np.zeros((2, H, W), np.uint8)
    cv2.ellipse(masks[0], (150 + shift, 180), (90, 60), 30, 0, 360, 1, -1)
    cv2.fillPoly(masks[1], [np.array([[400, 80], [560, 120], [520, 300], [380, 260]]) + [shift, 0]],
                 1)
    cv2.circle(masks[1], (470 + shift, 190), 25, 0, -1)  # a hole
    instances = Instances((H, W))
    boxes = []
    for mask in masks:
        ys, xs = np.nonzero(mask)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    instances.pred_boxes = Boxes(torch.tensor(boxes, dtype=torch.float32))
    instances.scores = torch.tensor([0.93, 0.71])
    instances.pred_classes = torch.tensor([0, 0])
    if with_masks:
        instances.pred_masks = torch.from_numpy(masks.astype(bool))
    return instances


def _draw_both(frames, predictions):
    random.seed(0)
    stock = VideoVisualizer(_metadata())
    random.seed(0)
    fast = HandsVideoVisualizer(_metadata())
    pairs = []
    for frame, instances in zip(frames, predictions, strict=True):
        np.random.seed(len(pairs))
        expected = stock.draw_instance_predictions(frame, instances).get_image()
        np.random.seed(len(pairs))
        got = fast.draw_instance_predictions(frame, instances).get_image()
        pairs.append((expected, got))
    return pairs


def test_masks_and_labels_match_the_stock_visualizer_over_frames():
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(3)]
    pairs = _draw_both(frames, [_predictions(shift) for shift in (0, 4, 8)])
    for frame, (expected, got) in zip(frames, pairs, strict=True):
        assert got.shape == expected.shape == (H, W, 3) and got.dtype == np.uint8
        drawn = np.abs(expected.astype(int) - frame).max(axis=2) > 2
        assert drawn.mean() > 0.05  # the overlays are really there
        assert np.abs(got.astype(int) - expected).max() <= 3  # anti-aliasing only


def test_colours_stay_with_their_hand_across_frames():
    frames = [np.full((H, W, 3), 255, np.uint8)] * 2
    fast = HandsVideoVisualizer(_metadata())
    np.random.seed(0)  # new hands draw a random palette colour; fix the draw
    first = fast.assign_colors(_predictions(0))
    second = fast.assign_colors(_predictions(4))
    assert [tuple(c) for c in first] == [tuple(c) for c in second]
    assert tuple(first[0]) != tuple(first[1])
    assert fast.draw_with_colors(frames[0], _predictions(0), first).shape == (H, W, 3)


def test_boxes_only_and_empty_predictions():
    frame = np.random.default_rng(1).integers(0, 256, (H, W, 3), dtype=np.uint8)
    ((expected, got),) = _draw_both([frame], [_predictions(0, with_masks=False)])
    assert np.abs(got.astype(int) - expected).max() <= 3
    empty = HandsVideoVisualizer(_metadata()).draw_instance_predictions(
        frame, Instances((H, W), pred_boxes=Boxes(torch.zeros((0, 4))), scores=torch.zeros(0),
                         pred_classes=torch.zeros(0, dtype=torch.long)))
    assert np.array_equal(empty.get_image(), frame)


def test_bgr_frames_give_the_stock_picture_in_bgr():
    rgb = np.random.default_rng(2).integers(0, 256, (H, W, 3), dtype=np.uint8)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    np.random.seed(0)
    expected = VideoVisualizer(_metadata()).draw_instance_predictions(
        rgb, _predictions(0)).get_image()
    fast = HandsVideoVisualizer(_metadata())
    np.random.seed(0)
    got = fast.draw_with_colors(bgr, _predictions(0), fast.assign_colors(_predictions(0)),
                                bgr=True)
    assert np.abs(got[:, :, ::-1].astype(int) - expected).max() <= 3
    assert np.array_equal(bgr, rgb[:, :, ::-1])  # the input frame is left as it was


def test_fragmented_masks_match_the_stock_visualizer():
    """Poorly trained models give masks in many specks: single pixels, short runs, thin lines."""
    rng = np.random.default_rng(3)
    specks = (rng.random((2, H, W)) > 0.997).astype(np.uint8)
    specks[0, 40, 100:103] = 1  # a run of 3 pixels (kept by detectron2)
    specks[0, 60, 100:102] = 1  # a run of 2 (dropped)
    specks[1, 100:106, 200] = 1  # a vertical line
    for k in range(5):
        specks[1, 150 + k, 300 + k] = 1  # a diagonal line
    instances = _predictions(0)
    instances.pred_masks = instances.pred_masks | torch.from_numpy(specks.astype(bool))
    frame = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    ((expected, got),) = _draw_both([frame], [instances])
    assert np.abs(got.astype(int) - expected).max() <= 3
