"""The annotate loop: predict, keep the hands asked for, draw, encode, time every stage."""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from detectron2.evaluation.coco_evaluation import instances_to_coco_json
from tqdm import tqdm

from ..io_utils import write_bytes_atomic, write_json_atomic
from .drawing import HandsVideoVisualizer
from .sources import FrameSource
from .writer import SafeVideoWriter

SHEET_FRAMES = 12
SHEET_COLUMNS = 4
SHEET_WIDTH = 320


@dataclass
class AnnotateOptions:
    """What to keep and what to write besides the video."""

    score_thresh: float = 0.5
    top1: bool = False
    every: int = 1
    max_frames: int | None = None
    batch: int = 1
    save_predictions: Path | None = None
    contact_sheet: Path | None = None
    hand_category_id: int = 1
    draw_in_thread: bool | None = None  # None: only with spare cores (see draw_in_thread())


def keep_hands(instances, score_thresh: float, top1: bool):
    """Drop predictions under the threshold; with ``top1`` keep only the best one."""
    instances = instances[instances.scores >= score_thresh]
    if top1 and len(instances) > 1:
        best = int(instances.scores.argmax())
        instances = instances[best:best + 1]
    return instances


def draw_in_thread(option: bool | None) -> bool:
    """Whether drawing should overlap inference in a second thread.

    It pays only when the model leaves cores free: on a GPU, or with 4+ CPU cores. On 2 cores the
    thread slows the model more than it saves (measured in benchmarks/bench_video_overhead.py).
    """
    if option is not None:
        return option
    import torch

    return torch.cuda.is_available() or (os.cpu_count() or 1) >= 4


def contact_sheet(frames: list[np.ndarray]) -> np.ndarray:
    """Tile frames (BGR) into a grid, SHEET_COLUMNS wide, each scaled to SHEET_WIDTH."""
    tiles = []
    for frame in frames:
        scale = SHEET_WIDTH / frame.shape[1]
        tiles.append(cv2.resize(frame, (SHEET_WIDTH, max(1, round(frame.shape[0] * scale))),
                                interpolation=cv2.INTER_AREA))
    height = max(t.shape[0] for t in tiles)
    blank = np.full((height, SHEET_WIDTH, 3), 255, np.uint8)
    tiles = [np.vstack([t, blank[: height - t.shape[0]]]) for t in tiles]
    tiles += [blank] * (-len(tiles) % SHEET_COLUMNS)
    rows = [np.hstack(tiles[i:i + SHEET_COLUMNS]) for i in range(0, len(tiles), SHEET_COLUMNS)]
    return np.vstack(rows)


class _Drawer:
    """Draws and encodes batches in frame order (so VideoVisualizer's colours stay stable)."""

    def __init__(self, visualizer, writer, options: AnnotateOptions, sheet_at: set[int]):
        self.visualizer, self.writer, self.options, self.sheet_at = (visualizer, writer, options,
                                                                      sheet_at)
        self.timing = {"draw": 0.0, "encode": 0.0}
        self.results, self.sheet, self.done = [], [], 0

    def __call__(self, batch, predictions) -> None:
        for (index, frame), instances in zip(batch, predictions, strict=True):
            instances = keep_hands(instances, self.options.score_thresh, self.options.top1)
            if self.options.save_predictions:
                for result in instances_to_coco_json(instances, index):
                    result["category_id"] = self.options.hand_category_id
                    self.results.append(result)
            start = time.perf_counter()
            annotated = self.visualizer.draw(frame, instances, bgr=True)
            self.timing["draw"] += time.perf_counter() - start
            start = time.perf_counter()
            self.writer.write(annotated)
            self.timing["encode"] += time.perf_counter() - start
            if self.done in self.sheet_at:
                self.sheet.append(annotated)
            self.done += 1


def annotate_video(source: FrameSource, predictor, metadata, out_path: Path,
                   options: AnnotateOptions) -> dict:
    """Write ``out_path`` with predicted hands drawn on every processed frame.

    The output keeps the input's size; its frame rate is the input's divided by ``every``, so
    it plays in real time. Where cores are spare (``draw_in_thread``), drawing and encoding of one
    batch run in a second thread while the model predicts the next (at most one batch waits);
    otherwise they run in line. Nothing is written under a final name before the end.

    Returns:
        Summary: frames, fps, codec and mean model / drawing / encoding milliseconds per frame.
    """
    planned = math.ceil(source.count / options.every)
    if options.max_frames is not None:
        planned = min(planned, options.max_frames)
    sheet_at = set(np.linspace(0, max(planned - 1, 0), min(SHEET_FRAMES, planned)).round()
                   .astype(int).tolist())
    model_seconds = 0.0
    threaded = draw_in_thread(options.draw_in_thread)
    fps = source.fps / options.every
    with SafeVideoWriter(out_path, fps, (source.width, source.height)) as writer, \
            tqdm(total=planned, unit="frame", desc="annotate") as progress, \
            ThreadPoolExecutor(max_workers=1) as pool:
        drawer = _Drawer(HandsVideoVisualizer(metadata), writer, options, sheet_at)
        frames = source.frames(options.every, options.max_frames)
        pending = None
        while True:
            batch = [item for _, item in zip(range(options.batch), frames, strict=False)]
            if not batch:
                break
            start = time.perf_counter()
            predictions = predictor([frame for _, frame in batch])
            model_seconds += time.perf_counter() - start
            if pending is not None:
                pending.result()
            if threaded:
                pending = pool.submit(drawer, batch, predictions)
            else:
                drawer(batch, predictions)
            progress.update(len(batch))
        if pending is not None:
            pending.result()
        codec = writer.fourcc
        # Before the video is moved into place: if these fail, no output is left half-done.
        if options.save_predictions:
            write_json_atomic(options.save_predictions, drawer.results)
        if options.contact_sheet and drawer.sheet:
            ok, png = cv2.imencode(".png", contact_sheet(drawer.sheet))
            write_bytes_atomic(options.contact_sheet, png.tobytes())
    done = max(drawer.done, 1)
    per_frame = {"model_ms": round(1000 * model_seconds / done, 2),
                 **{f"{k}_ms": round(1000 * v / done, 2) for k, v in drawer.timing.items()}}
    return {"frames": drawer.done, "fps": fps, "size": [source.width, source.height],
            "codec": codec, **per_frame}
