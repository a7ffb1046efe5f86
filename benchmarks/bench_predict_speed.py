"""Per-frame cost of predicting hands at 320 px on 2 CPU cores: eager, exported, MediaPipe.

One run times, on the same photos, one image per call after warm-up, everything ``predict``
does per frame (resize, network, masks pasted at the photo's size, score threshold):

- the default model (MobileNetV2-FPN Mask R-CNN) through ``HandsPredictor`` (eager PyTorch):
  the **baseline**;
- the same model exported (``tools/export_model.py``) to ONNX (ONNX Runtime, numpy pre- and
  post-processing, no torch) and to TorchScript;
- what limits the exported path: its stages (resize, network, mask pasting), the network's
  stages (backbone + FPN, RPN, box head, mask head, timed in the eager model), and exports
  that compute a mask for every box (score floor 0, as the eager model does), read 256 px
  inputs or keep fewer proposals (``POST_NMS_TOPK_TEST`` 50). The default export keeps
  boxes from the model's own threshold only: its hands are exactly the eager model's;
- the MobileUNet (``configs/mobileunet_cpu.yaml``, random weights: speed only), eager (its
  frozen graph) and exported to ONNX;
- MediaPipe Hands 0.10.21 (``.cache/mediapipe-venv``, ``static_image_mode``) on the photos
  resized to 320 px.

    python benchmarks/bench_predict_speed.py [--frames DIR] [--count 30] [--rounds 3]

Targets (issue 35): MobileUNet faster than MediaPipe per frame; the exported Mask R-CNN at
least 2x faster than the eager predictor.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_semantic_inference import ROOT, load_frames, resized, time_mediapipe  # noqa: E402

OWN = ROOT.parent / "shared" / "data" / "real" / "own_hands_50" / "images"
ZOO = ROOT / "d2hands" / "model_zoo"
BASELINE = "Mask R-CNN, eager (HandsPredictor)"
BASELINE_REV = "e2d7b3e"  # the last commit whose default model is issue 35's (128-channel FPN)


def baseline_model(folder: Path) -> tuple[Path, Path]:
    """The config and weights of the default model at ``BASELINE_REV``, written to ``folder``."""
    paths = []
    for name in ("hands_default.yaml", "hands_default.pth"):
        proc = subprocess.run(["git", "show", f"{BASELINE_REV}:d2hands/model_zoo/{name}"],
                              cwd=ROOT, capture_output=True)
        if proc.returncode:
            sys.exit(f"error: the baseline model needs the git history ({BASELINE_REV}): "
                     "run from a full clone (git fetch --unshallow)")
        paths.append(folder / f"baseline_{name}")
        paths[-1].write_bytes(proc.stdout)
    return paths[0], paths[1]


def per_frame(predict, frames, rounds: int) -> float:
    """Best-of-``rounds`` mean seconds per frame of ``predict(frame)`` (after warm-up)."""
    for frame in frames[:2]:
        predict(frame)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for frame in frames:
            predict(frame)
        best = min(best, (time.perf_counter() - start) / len(frames))
    return best


def random_weights(config: str, opts: list[str], out: Path) -> Path:
    """A seeded random-weight checkpoint of a config (for speed only)."""
    import torch
    from detectron2.modeling import build_model

    from d2hands.engine import build_cfg

    torch.manual_seed(0)
    model = build_model(build_cfg(str(ROOT / config), ["MODEL.WEIGHTS", "", *opts]))
    torch.save({"model": model.state_dict()}, out)
    return out


def exported(config: str, weights: Path, opts: list[str], out: Path, threads: int,
             floor: float | None = None):
    """An ONNX (``.onnx``) or TorchScript (``.ts``) export of a model, at its own threshold."""
    from d2hands.predict.export import export_model
    from d2hands.runtime import ExportedPredictor

    fmt = "onnx" if out.suffix == ".onnx" else "torchscript"
    export_model(str(config), opts, str(weights), out, fmt, score_floor=floor)
    return ExportedPredictor(out, threads=threads)


def stage_times(predictor, frames) -> dict[str, float]:
    """Seconds per frame of the exported path's stages: resize, network, pasting."""
    from d2hands.runtime.image_ops import chw_float, resize_shortest_edge
    from d2hands.runtime.postprocess import instance_hands

    meta, totals = predictor.metadata, {"resize": 0.0, "network": 0.0, "masks pasted": 0.0}
    for frame in frames:
        t0 = time.perf_counter()
        image = resize_shortest_edge(np.ascontiguousarray(frame[:, :, ::-1]), meta["min_size"],
                                     meta["max_size"])
        t1 = time.perf_counter()
        boxes, scores, masks = predictor.network(chw_float(image))[:3]
        t2 = time.perf_counter()
        keep = scores >= predictor.score_thresh
        instance_hands(boxes[keep], scores[keep], masks[keep], image.shape[:2], frame.shape[:2])
        t3 = time.perf_counter()
        for key, value in zip(totals, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            totals[key] += value
    return {key: value / len(frames) for key, value in totals.items()}


def network_stages(predictor, frames) -> dict[str, float]:
    """Seconds per frame of the eager Mask R-CNN's parts, by forward hooks."""
    model = predictor._model.model
    heads = model.roi_heads
    parts = {"backbone + FPN": model.backbone, "RPN": model.proposal_generator,
             "box head (pooler, fc, NMS)": heads.box_head, "mask head": heads.mask_head}
    totals = dict.fromkeys(parts, 0.0)
    starts = {}
    for name, module in parts.items():
        module.register_forward_pre_hook(lambda _m, _i, n=name: starts.__setitem__(
            n, time.perf_counter()))
        module.register_forward_hook(lambda _m, _i, _o, n=name: totals.__setitem__(
            n, totals[n] + time.perf_counter() - starts[n]))
    for frame in frames:
        predictor(frame)
    return {name: value / len(frames) for name, value in totals.items()}


def main() -> None:
    """Time every path on the same photos; print a table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=Path, default=OWN if OWN.is_dir() else None)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    from d2hands import HandsPredictor

    torch.set_num_threads(args.threads)
    frames = load_frames(args.frames, args.count)
    tmp = Path(tempfile.mkdtemp())
    config, weights = baseline_model(tmp)
    eager = HandsPredictor.from_config(str(config), str(weights))
    paths = {BASELINE: eager}
    paths["Mask R-CNN, ONNX Runtime"] = onnx = exported(config, weights, [], tmp / "m.onnx",
                                                        args.threads)
    paths["Mask R-CNN, TorchScript"] = exported(config, weights, [], tmp / "m.ts", args.threads)
    paths["  ONNX, a mask for every box (floor 0)"] = exported(
        config, weights, [], tmp / "all.onnx", args.threads, floor=0.0)
    paths["  ONNX, 256 px input"] = exported(
        config, weights, ["INPUT.MIN_SIZE_TEST", "256"], tmp / "s256.onnx", args.threads)
    paths["  ONNX, POST_NMS_TOPK_TEST 50"] = exported(
        config, weights, ["MODEL.RPN.POST_NMS_TOPK_TEST", "50"], tmp / "p50.onnx", args.threads)
    shipped = ZOO / "hands_default.yaml", ZOO / "hands_default.pth"
    paths["Default model, eager"] = HandsPredictor.default()
    paths["Default model, ONNX Runtime"] = exported(*shipped, [], tmp / "default.onnx",
                                                    args.threads)
    unet = ROOT / "configs" / "mobileunet_cpu.yaml"
    unet_weights = random_weights(str(unet), [], tmp / "unet.pth")
    paths["MobileUNet, eager (random)"] = HandsPredictor.from_config(str(unet), str(unet_weights))
    paths["MobileUNet, ONNX Runtime (random)"] = exported(unet, unet_weights, [],
                                                          tmp / "unet.onnx", args.threads)
    times = {name: per_frame(p, frames, args.rounds) for name, p in paths.items()}
    times["MediaPipe Hands 0.10.21"] = time_mediapipe([resized(f, None) for f in frames])
    report = {"frames": str(args.frames or "toy clip"), "count": len(frames),
              "size": list(frames[0].shape[1::-1]), "threads": args.threads, "seconds": times,
              "onnx stages": stage_times(onnx, frames),
              "eager network stages": network_stages(eager, frames)}
    print(f"{len(frames)} photos of {frames[0].shape[1]}x{frames[0].shape[0]}, predicted at "
          f"320 px, {args.threads} threads")
    print(f"  {'path':40s} {'ms/frame':>9s} {'frames/s':>9s} {'speed-up':>9s}")
    for name, seconds in times.items():
        if seconds is None:
            print(f"  {name:40s} skipped (no .cache/mediapipe-venv)")
            continue
        print(f"  {name:40s} {1e3 * seconds:9.1f} {1 / seconds:9.1f} "
              f"{times[BASELINE] / seconds:8.2f}x")
    for title in ("onnx stages", "eager network stages"):
        print(f"{title}: " + ", ".join(f"{k} {1e3 * v:.1f} ms"
                                       for k, v in report[title].items()))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
