"""Inference speed of the semantic models beside Mask R-CNN and MediaPipe Hands, on 2 CPU cores.

For each input size (240x135, the U-Net paper's, and 320 px short side) every model runs on the
same frames, one frame per call, after warm-up; the time covers the model's forward pass and
its post-processing (for the semantic models: softmax, resize, connected components). The
semantic models run as configured, through their frozen inference graph
(``MODEL.UNET.FROZEN_INFERENCE``); "MobileUNet, eager" shows the MobileUNet without it. Baseline:
the MobileNetV2-FPN Mask R-CNN of ``configs/hands_mnv2_fpn_cpu.yaml``, measured in the same run.
The peer: MediaPipe Hands 0.10.21 (``static_image_mode``, as it is scored), in its own venv
(``.cache/mediapipe-venv``; skipped without it), timed on the same frames at the same sizes.
Models have random weights (speed does not depend on them). Targets: MobileUNet >= 30 frames/s
at 240x135 and faster per frame than MediaPipe.

    python benchmarks/bench_semantic_inference.py [--frames DIR] [--count 40] [--threads 2]

``--frames`` defaults to the shared fist_100 photos where present (read in place), else a
generated toy clip.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "real" / "fist_100" / "images"
EAGER = ["MODEL.UNET.FROZEN_INFERENCE", "False"]
MODELS = {"U-Net (paper, 7.8M)": ("configs/unet_paper.yaml", []),
          "U-Net base (0.95M)": ("configs/unet_base.yaml", []),
          "MobileUNet": ("configs/mobileunet_cpu.yaml", []),
          "MobileUNet, eager": ("configs/mobileunet_cpu.yaml", EAGER),
          "Mask R-CNN MobileNetV2-FPN": ("configs/hands_mnv2_fpn_cpu.yaml", [])}
BASELINE = "Mask R-CNN MobileNetV2-FPN"
SIZES = {"240x135": (240, 135), "320 px": None}
MEDIAPIPE_TIMER = """
import sys, time, cv2, mediapipe as mp
paths = sys.argv[1:]
frames = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths]
with mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=4, model_complexity=1,
                              min_detection_confidence=0.5) as hands:
    for f in frames[:3]:
        hands.process(f)
    start = time.perf_counter()
    for f in frames:
        hands.process(f)
    print((time.perf_counter() - start) / len(frames))
"""


def load_frames(folder: Path | None, count: int) -> list[np.ndarray]:
    """BGR frames from a folder, or from a generated toy clip."""
    if folder is None:
        from d2hands.testing.toy_clip import write_toy_clip

        clip = write_toy_clip(Path(tempfile.mkdtemp()) / "clip", frames=count, size=(960, 540))
        capture, frames = cv2.VideoCapture(str(clip)), []
        while len(frames) < count:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
        return frames
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return [cv2.imread(str(p)) for p in paths[:count]]


def resized(frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """The frame at ``(width, height)``, or with its short side at 320 px."""
    if size is None:
        height, width = frame.shape[:2]
        scale = 320 / min(height, width)
        size = (round(width * scale), round(height * scale))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def time_model(config: str, opts: list[str], frames: list[np.ndarray]) -> float:
    """Seconds per frame of one model (random weights, eval mode, batch 1)."""
    import torch
    from detectron2.modeling import build_model

    from d2hands.engine import build_cfg

    cfg = build_cfg(str(ROOT / config), ["MODEL.WEIGHTS", "", *opts])
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    inputs = []
    for frame in frames:
        rgb = frame[:, :, ::-1] if cfg.INPUT.FORMAT == "RGB" else frame
        inputs.append({"image": torch.as_tensor(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
                      .float(), "height": frame.shape[0], "width": frame.shape[1]})
    with torch.inference_mode():
        for item in inputs[:3]:
            model([item])
        start = time.perf_counter()
        for item in inputs:
            model([item])
    return (time.perf_counter() - start) / len(inputs)


def time_mediapipe(frames: list[np.ndarray]) -> float | None:
    """Seconds per frame of MediaPipe Hands in its venv, or None without it."""
    python = ROOT / ".cache" / "mediapipe-venv" / "bin" / "python"
    if not python.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for index, frame in enumerate(frames):
            paths.append(str(Path(tmp) / f"{index:03d}.png"))
            cv2.imwrite(paths[-1], frame)
        result = subprocess.run([str(python), "-c", MEDIAPIPE_TIMER, *paths],
                                capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Time every model at every size; print a table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=Path, default=SHARED if SHARED.is_dir() else None)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    source = load_frames(args.frames, args.count)
    report = {"frames": str(args.frames or "toy clip"), "count": len(source),
              "threads": args.threads, "sizes": {}}
    for label, size in SIZES.items():
        frames = [resized(f, size) for f in source]
        times = {name: time_model(config, opts, frames) for name, (config, opts) in MODELS.items()}
        times["MediaPipe Hands"] = time_mediapipe(frames)
        report["sizes"][label] = {"input": list(frames[0].shape[1::-1]), "seconds": times}
        print(f"\n{label} ({frames[0].shape[1]}x{frames[0].shape[0]}), {len(frames)} frames, "
              f"{args.threads} threads")
        print(f"  {'model':30s} {'ms/frame':>9s} {'frames/s':>9s} {'vs ' + BASELINE[:10]:>15s}")
        for name, seconds in times.items():
            if seconds is None:
                print(f"  {name:30s} {'skipped (no .cache/mediapipe-venv)':>35s}")
                continue
            print(f"  {name:30s} {1000 * seconds:9.1f} {1 / seconds:9.1f} "
                  f"{times[BASELINE] / seconds:14.2f}x")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
