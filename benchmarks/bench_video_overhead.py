"""How much do drawing and encoding add to the model-only loop over a video?

Baseline: detectron2's ``DefaultPredictor`` called frame by frame (the loop of detectron2's demo,
nothing drawn). Measured: ``tools/visualize_video.py``'s annotate loop over the same frames
(model, ``VideoVisualizer``, MP4 encoding). Prints the added share (target <= 15%) and the FPS of
batch 1 vs ``--batch`` (on a GPU, batching must win).

    python benchmarks/bench_video_overhead.py [--config CFG] [--frames 48] [--size 1280x720]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run baseline and annotate loop on one generated clip; print JSON and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "hands_mnv2_fpn_cpu.yaml"))
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--hands", type=int, default=2,
                        help="predictions drawn per frame (the clip has 2 hands; an untrained "
                             "model would otherwise fill every frame with its top-k boxes)")
    parser.add_argument("--weights", default="",
                        help="trained checkpoint (default: random weights, whose masks are "
                             "fragmented into many islands, the worst case for drawing)")
    parser.add_argument("opts", nargs="*", help="KEY VALUE config overrides")
    args = parser.parse_args()

    import torch
    from detectron2.checkpoint import DetectionCheckpointer
    from detectron2.data import MetadataCatalog
    from detectron2.engine import DefaultPredictor
    from detectron2.modeling import build_model

    from d2hands.data.toy_clip import write_toy_clip
    from d2hands.engine import build_cfg
    from d2hands.video.annotate import AnnotateOptions, annotate_video
    from d2hands.video.predictor import BatchPredictor
    from d2hands.video.sources import open_source

    work = Path(tempfile.mkdtemp(prefix="bench_video_"))
    width, height = (int(v) for v in args.size.split("x"))
    clip = write_toy_clip(work / "clip", frames=args.frames, size=(width, height), fps=30.0)
    cfg = build_cfg(args.config, args.opts + ["MODEL.WEIGHTS", ""])
    torch.manual_seed(0)
    weights = Path(args.weights) if args.weights else work / "model.pth"
    if not args.weights:
        DetectionCheckpointer(build_model(cfg), save_dir=str(work)).save("model")
    cfg.defrost()
    cfg.MODEL.WEIGHTS = str(weights)
    cfg.freeze()
    source = open_source(str(clip))
    frames = [frame for _, frame in source.frames()]

    predictor = DefaultPredictor(cfg)
    predictor(frames[0])  # warm-up, as the annotate loop's first batch is not excluded either
    start = time.perf_counter()
    for frame in frames:
        predictor(frame)
    model_only = time.perf_counter() - start

    metadata = MetadataCatalog.get("bench_video").set(thing_classes=["hand"])
    results = {}
    class TopK(BatchPredictor):
        def __call__(self, batch):
            return [instances[: args.hands] for instances in super().__call__(batch)]

    for batch, threaded in ((1, False), (1, True), (args.batch, True)):
        batch_predictor = TopK(cfg, str(weights))
        batch_predictor(frames[:1])
        start = time.perf_counter()
        summary = annotate_video(source, batch_predictor, metadata, work / f"out{batch}.mp4",
                                 AnnotateOptions(score_thresh=0.0, batch=batch,
                                                 draw_in_thread=threaded))
        results[f"batch {batch}, {'thread' if threaded else 'inline'}"] = {
            "wall_s": time.perf_counter() - start, **summary}
    added = {name: r["wall_s"] / model_only - 1 for name, r in results.items()}
    print(json.dumps({"config": Path(args.config).name, "frames": len(frames),
                      "size": args.size, "model_only_s": round(model_only, 2),
                      "annotate": {b: {k: r[k] for k in ("wall_s", "model_ms", "draw_ms",
                                                         "encode_ms")}
                                   for b, r in results.items()}}, default=str))
    for name, result in results.items():
        print(f"{name}: drawing + encoding add {100 * added[name]:.1f}% to the model-only loop "
              f"(target <= 15%); {len(frames) / result['wall_s']:.2f} FPS annotated")
    stock_ms, fast_ms = drawing_ms(frames, TopK(cfg, str(weights)), metadata)
    print(f"drawing alone: stock VideoVisualizer {stock_ms:.0f} ms/frame, "
          f"HandsVideoVisualizer {fast_ms:.0f} ms/frame ({stock_ms / fast_ms:.1f}x)")


def drawing_ms(frames, predictor, metadata) -> tuple[float, float]:
    """Mean ms per frame of stock VideoVisualizer and of d2hands' drawing, same predictions."""
    from detectron2.utils.video_visualizer import VideoVisualizer

    from d2hands.video.drawing import HandsVideoVisualizer

    predictions = [predictor([frame])[0] for frame in frames]
    times = []
    for visualizer in (VideoVisualizer(metadata), HandsVideoVisualizer(metadata)):
        start = time.perf_counter()
        for frame, instances in zip(frames, predictions, strict=True):
            visualizer.draw_instance_predictions(frame[:, :, ::-1], instances).get_image()
        times.append(1000 * (time.perf_counter() - start) / len(frames))
    return times[0], times[1]


if __name__ == "__main__":
    main()
