"""Writing an evaluation's files (atomically) and printing its table."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence

from ..io_utils import write_bytes_atomic
from .coco_ap import AP_KEYS
from .hand_metrics import HAND_KEYS
from .pixel_metrics import PIXEL_KEYS

CSV_COLUMNS = (
    "file", "image_id", "hands", "TP", "FP", "FN", "mean_IoU", "pixel_F1", "top_score",
    "top_is_TP",
)
# Every name ``evaluate_model`` returns, flattened as ``group/key`` (``--select-metric``).
METRIC_NAMES = (
    *(f"{task}/{key}" for task in ("bbox", "segm") for key in AP_KEYS),
    *(f"hands/{key}" for key in HAND_KEYS),
    *(f"pixel/{key}" for key in PIXEL_KEYS),
)


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write a file atomically (str as UTF-8); see :func:`d2hands.io_utils.write_bytes_atomic`."""
    write_bytes_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)


def metrics_json(metrics: dict) -> str:
    """Serialize metrics as strict JSON (NaN is not allowed; undefined values are null).

    Args:
        metrics: The ``Evaluation.metrics`` dict.

    Returns:
        Indented JSON text ending with a newline.

    """
    return json.dumps(metrics, indent=2, allow_nan=False) + "\n"


def per_image_csv(images: Sequence) -> str:
    """Render the per-image table as CSV text (columns ``CSV_COLUMNS``).

    ``mean_IoU`` is 0 for an image without true positives; ``top_score`` is empty when no
    prediction reaches the score threshold.

    Args:
        images: ``ImageResult`` list.

    Returns:
        CSV text with a header row.

    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in images:
        m = r.match
        writer.writerow([
            r.image.file_name, r.image.id, m.num_gt, m.tp, m.fp, m.fn, f"{m.mean_iou:.6f}",
            f"{r.pixels.f1:.6f}", "" if m.top_score is None else f"{m.top_score:.6f}",
            int(m.top_is_tp),
        ])
    return buf.getvalue()


def write_outputs(out_dir: str | os.PathLike, evaluation, overlays: Sequence = (),
                  extra_files: Sequence = ()) -> None:
    """Write ``per_image.csv``, overlay PNGs (``vis/``) and, last, ``metrics.json``.

    ``metrics.json`` is removed first and written last: where it exists, the files beside it
    are of the same evaluation (readers check it).

    Args:
        out_dir: Output folder, created if needed.
        evaluation: The ``Evaluation`` to write.
        overlays: ``(file_name, png_bytes)`` pairs from ``render_worst_overlays``.
        extra_files: ``(path relative to out_dir, bytes)`` pairs, e.g. the error analysis's.

    """
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    metrics_path = os.path.join(out_dir, "metrics.json")
    json_text = metrics_json(evaluation.metrics)
    # metrics.json marks a complete evaluation: the old one goes first, the new one last, so
    # it never sits beside a CSV or overlays of another run.
    if os.path.isfile(metrics_path):
        os.remove(metrics_path)
    write_atomic(os.path.join(out_dir, "per_image.csv"), per_image_csv(evaluation.images))
    if overlays:
        vis_dir = os.path.join(out_dir, "vis")
        os.makedirs(vis_dir, exist_ok=True)
        for name, png in overlays:
            write_atomic(os.path.join(vis_dir, name), png)
    for name, data in extra_files:
        path = os.path.join(out_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomic(path, data)
    write_atomic(metrics_path, json_text)


def to_detectron2_results(metrics: dict) -> dict[str, dict[str, float]]:
    """Flatten metrics into detectron2's ``{task: {name: float}}`` form (None becomes NaN).

    Args:
        metrics: The ``Evaluation.metrics`` dict.

    Returns:
        ``{"bbox": ..., "segm": ..., "hands": ..., "pixel": ...}`` with float values, as a
        ``DatasetEvaluator.evaluate`` returns them.

    """
    out = {task: dict(values) for task, values in metrics.get("coco", {}).items()}
    out["hands"] = dict(metrics["hands"])
    out["pixel"] = dict(metrics["pixel"])
    return {
        task: {k: float("nan") if v is None else float(v) for k, v in values.items()}
        for task, values in out.items()
    }


def _fmt(v: object, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [title, "  " + "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return lines


def format_table(metrics: dict) -> str:
    """Format metrics as a readable plain-text table for the terminal.

    Args:
        metrics: The ``Evaluation.metrics`` dict.

    Returns:
        Multi-line text.

    """
    s = metrics["settings"]
    hands, pixel = metrics["hands"], metrics["pixel"]
    lines = _table(
        f"Hands (score >= {s['score_thresh']:g}, mask IoU >= {s['iou_thresh']:g}; "
        f"{s['num_images']} images, {s['num_images_with_hands']} with hands, "
        f"{s['num_predictions_kept']} of {s['num_predictions']} predictions kept)",
        HAND_KEYS,
        [[_fmt(hands[k], 1 if k == "TPH_pct" else 3) for k in HAND_KEYS]],
    )
    lines.append("")
    lines += _table(
        "Pixels (union of hands per image; micro averages, per_image_F1 = mean over images)",
        PIXEL_KEYS, [[_fmt(pixel[k]) for k in PIXEL_KEYS]],
    )
    if metrics.get("coco"):
        lines.append("")
        rows = [[t] + [_fmt(metrics["coco"][t][k], 2) for k in AP_KEYS] for t in ("bbox", "segm")]
        lines += _table("COCO AP (percent, all predictions)", ("", *AP_KEYS), rows)
    return "\n".join(lines)
