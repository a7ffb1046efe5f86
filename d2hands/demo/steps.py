"""The steps of ``make demo``; each skips itself when its output already exists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..resources import config_path, render_script
from .synth_clip import run_logged

TINY = config_path("hands_tiny_cpu.yaml")


def render_synthetic(out: Path, count: int, resolution: str, seed: int = 0,
                     log: Path | None = None) -> Path:
    """Render ``count`` poses of both structures with Blender (resumes a killed render)."""
    folder = out / "synth"
    annotations = folder / "annotations.json"
    if annotations.exists():
        return annotations
    command = [sys.executable, str(render_script()), "--output-dir", str(folder),
               "--structures", "L2,L11", "--limit", str(count), "--resolution", resolution,
               "--seed", str(seed), "--workers", "2", "--contact-sheet",
               str(out / "synth_contact_sheet.png"), "--quiet"]
    run_logged(command, log, "rendering")
    return annotations


def split_train_val(annotations: Path, out: Path, val_fraction: float = 0.15) -> dict[str, Path]:
    """Hold out a seeded random part of the renders for evaluation."""
    from ..data.coco_split import split_coco_file

    parts = {"train": out / "splits" / "train.json", "val": out / "splits" / "val.json"}
    if all(p.exists() for p in parts.values()):
        return parts
    return split_coco_file(annotations, {"train": 1 - val_fraction, "val": val_fraction},
                           out / "splits", seed=0)


def dataset_opts(splits: dict[str, Path], image_root: Path, sizes: tuple[int, int]) -> list[str]:
    """Config opts that register the demo sets and size the tiny model's input."""
    register = [[f"demo_{name}", str(path), str(image_root)] for name, path in splits.items()]
    return ["DATASETS.REGISTER", json.dumps(register), "DATASETS.TRAIN", '("demo_train",)',
            "DATASETS.TEST", '("demo_val",)', "INPUT.MIN_SIZE_TRAIN", f"({sizes[0]},)",
            "INPUT.MAX_SIZE_TRAIN", str(sizes[1]), "INPUT.MIN_SIZE_TEST", str(sizes[0]),
            "INPUT.MAX_SIZE_TEST", str(sizes[1])]


def train_runs(out: Path, opts: list[str], subsets: int, schedule: list[str],
               iters: int) -> dict[str, dict]:
    """The repetitive chain and the conventional baseline of the same total steps."""
    from ..engine import build_cfg
    from ..repetitive import PlanRequest, run_chain

    cfg = build_cfg(str(TINY), opts)
    manifests = {}
    for kind in ("repetitive", "conventional"):
        request = PlanRequest(subsets=subsets, schedule=list(schedule), iters=[iters],
                              conventional=kind == "conventional")
        manifests[kind] = run_chain(cfg, request, out / "runs" / kind, config_file=str(TINY),
                                    opts=opts)
    return manifests


def evaluate_runs(out: Path, manifests: dict[str, dict], opts: list[str],
                  real: Path | None, score_thresh: float) -> dict[str, dict[str, dict]]:
    """Evaluate every run's final weights on the held-out renders (and real photos)."""
    from ..engine.evaluate_checkpoint import (
        DatasetSource,
        ImagesSource,
        evaluate_checkpoint,
        write_run,
    )

    sources = {"synthetic held-out": DatasetSource("demo_val")}
    if real is not None:
        sources["real photos"] = ImagesSource(real / "images", real / "masks")
    metrics: dict[str, dict[str, dict]] = {}
    for kind, manifest in manifests.items():
        for label, source in sources.items():
            folder = out / "eval" / kind / label.split()[0]
            metrics_file = folder / "metrics.json"
            if not metrics_file.exists() or metrics_file.stat().st_mtime < Path(
                    manifest["final_weights"]).stat().st_mtime:
                run = evaluate_checkpoint(str(TINY), manifest["final_weights"], source, opts,
                                          score_thresh=score_thresh)
                write_run(run, folder, save_vis=6)
            metrics.setdefault(label, {})[kind] = json.loads(metrics_file.read_text())
    return metrics


def annotate_clip(out: Path, weights: str, opts: list[str], score_thresh: float,
                  log: Path | None = None) -> dict:
    """Render a synthetic clip (a smooth path through the pose space) and draw the hands on it."""
    from .synth_clip import write_synth_clip

    clip_dir = out / "clip"
    clip = clip_dir / "clip.mp4"
    if not clip.exists():
        write_synth_clip(clip_dir, frames=48, resolution="320x180", fps=12.0, log=log)
    annotated = out / "clip_hands.mp4"
    summary_file = out / "clip_summary.json"
    if annotated.exists() and summary_file.exists():
        return json.loads(summary_file.read_text())
    command = [sys.executable, "-m", "d2hands.predict.video_cli", "--config-file",
               str(TINY), "--weights", weights, "--input", str(clip), "--output", str(annotated),
               "--score-thresh", str(score_thresh), "--batch", "4", "--save-predictions",
               str(out / "clip_predictions.json"), "--contact-sheet",
               str(out / "clip_contact_sheet.png"), *opts]
    result = subprocess.run(command, capture_output=True, text=True)
    if log is not None:
        with open(log, "a") as handle:
            handle.write(result.stderr)
    if result.returncode:
        raise ChildProcessError(f"annotating the clip failed: {result.stderr.strip()[-500:]}")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary_file.write_text(json.dumps(summary))
    return summary
