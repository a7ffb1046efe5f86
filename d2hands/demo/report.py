"""``REPORT.md`` of the demo: metrics of both runs side by side, plots, video and sheets."""

from __future__ import annotations

import math
from pathlib import Path

from ..io_utils import write_bytes_atomic

ROWS = [
    ("coco", "bbox", ["AP", "AP50", "AP75", "APs", "APm", "APl"]),
    ("coco", "segm", ["AP", "AP50", "AP75", "APs", "APm", "APl"]),
    ("hands", None, ["TtlHnd", "TP", "FP", "FN", "IoU", "Acc", "F1", "TPH", "TPH_pct"]),
    ("pixel", None, ["precision", "recall", "F1", "hand_IoU", "mIoU", "per_image_F1"]),
]


def _value(metrics: dict, group: str, sub: str | None, key: str) -> str:
    table = metrics.get(group, {})
    if sub is not None:
        table = table.get(sub, {})
    value = table.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.1f}" if group == "coco" or key == "TPH_pct" else f"{value:.3f}"


def metrics_table(by_kind: dict[str, dict]) -> list[str]:
    """Markdown rows: one per metric, one column per run."""
    kinds = list(by_kind)
    lines = ["| metric | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    for group, sub, keys in ROWS:
        for key in keys:
            name = f"{group}/{sub}/{key}" if sub else f"{group}/{key}"
            lines.append(f"| {name} | " + " | ".join(_value(by_kind[k], group, sub, key)
                                                     for k in kinds) + " |")
    return lines


HEADLINE = [("coco", "segm", "AP"), ("hands", None, "F1"), ("hands", None, "IoU"),
            ("pixel", None, "F1")]


def headline_table(metrics: dict[str, dict[str, dict]]) -> list[str]:
    """A few rows for the console: per evaluated set and run, mask AP and the hand metrics."""
    names = [f"{group}/{sub}/{key}" if sub else f"{group}/{key}" for group, sub, key in HEADLINE]
    lines = ["| set | run | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for label, by_kind in metrics.items():
        for kind, values in by_kind.items():
            cells = [_value(values, group, sub, key) for group, sub, key in HEADLINE]
            lines.append(f"| {label} | {kind} | " + " | ".join(cells) + " |")
    return lines


def session_table(manifest: dict) -> list[str]:
    """Markdown rows of a run's sessions."""
    lines = ["| session | layers | iters | avg loss | final loss | trainable params | "
             "saturation step | s |", "|---|---|---|---|---|---|---|---|"]
    for plan, state in zip(manifest["plan"]["sessions"], manifest["sessions"], strict=True):
        nan = float("nan")
        lines.append(
            f"| {plan['index'] + 1} | {plan['layers']} | {plan['iters']} | "
            f"{state.get('avg_loss') or nan:.4f} | {state.get('final_loss') or nan:.4f} | "
            f"{state.get('trainable_params', '–')} | "
            f"{'–' if state.get('saturation_step') is None else state['saturation_step']} | "
            f"{state.get('wall_time_s') or nan:.0f} |")
    return lines


def write_report(out: Path, settings: dict, manifests: dict, metrics: dict, clip: dict) -> Path:
    """Write ``out/REPORT.md`` (paths in it are relative to ``out``)."""
    lines = [
        "# d2hands demo report", "",
        f"Tiny from-scratch Mask R-CNN (`configs/hands_tiny_cpu.yaml`) on {settings['images']} "
        f"Blender renders of both pose structures (L2, L11) at {settings['resolution']}, "
        f"{settings['val_images']} held out. Repetitive training: {settings['subsets']} subsets, "
        f"schedule `{','.join(settings['schedule'])}`, {settings['iters']} iterations per "
        f"session; the conventional baseline trains {settings['subsets'] * settings['iters']} "
        "iterations on the whole set. Hand and pixel metrics count predictions with score >= "
        f"{settings['score_thresh']} (definitions: `docs/METRICS.md`).", "",
    ]
    for label, by_kind in metrics.items():
        lines += [f"## Metrics on {label}", "", *metrics_table(by_kind), ""]
    for kind, manifest in manifests.items():
        best = manifest["best_session"]
        lines += [f"## {kind.capitalize()} run (`runs/{kind}/manifest.json`, final = session "
                  f"{best + 1 if best is not None else '–'})", "", *session_table(manifest), ""]
    lines += ["## Training curves", "", "![average loss per session](plots/avg_loss.png)", "",
              "![batch losses](plots/loss_curves.png)", "",
              "## Predictions", "",
              f"- Annotated clip: [clip_hands.mp4](clip_hands.mp4) ({clip['frames']} frames, "
              f"model {clip['model_ms']} ms, drawing {clip['draw_ms']} ms, encoding "
              f"{clip['encode_ms']} ms per frame); input [clip/clip.mp4](clip/clip.mp4)", "",
              "![clip contact sheet](clip_contact_sheet.png)", "",
              "- Renders: ![synthetic contact sheet](synth_contact_sheet.png)", "",
              "- Worst held-out images by pixel F1: `eval/<run>/<set>/vis/`", ""]
    report = out / "REPORT.md"
    write_bytes_atomic(report, "\n".join(lines).encode())
    return report
