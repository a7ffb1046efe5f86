"""Mean +- std tables over seeds of the experiments/protocol.py rows, for the docs.

    python experiments/protocol_report.py [--records docs/results/protocol/3000steps]
    python experiments/protocol_report.py --table zoo        # docs/MODEL_ZOO.md's table
    python experiments/protocol_report.py --table headline   # the README's table
    python experiments/protocol_report.py --table photos [--row distractor_shapes,contained]
    python experiments/protocol_report.py --run runs/protocol --table unet

The recipe tables come from the committed records of ``experiments/protocol.py`` (one JSON per
row-seed); the U-Net tables from the eval folders of a run (``--run``). One markdown table per
held-out set; a row per recipe with the number of seeds it has so far. A row with one seed shows
no spread: it cannot rank recipes by itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from protocol import HELD_OUT, RECORDS, ROOT, ROWS, records_dir, write_atomic  # noqa: E402
from unet_table import EVAL_PREFIX  # noqa: E402
from unet_table import ROWS as UNET_ROWS  # noqa: E402

TABLES = {"recipes": {row: label for row, label in ROWS.items()},
          "unet": {EVAL_PREFIX[row]: label for row, (_, _, label) in UNET_ROWS.items()}}

TITLES = {"own25": "own_hands_50, 25 held-out photos",
          "fist100": "fist_100, 100 photos (another camera, closed fists)",
          "multi": "multi-hand, semi-synthetic: own25_test hands pasted 1-4 per image on CC0 "
                   "photos (100 images)"}
COLUMNS = (("F1", ("hands", "F1")), ("IoU", ("hands", "IoU")), ("TP", ("hands", "TP")),
           ("FP", ("hands", "FP")), ("FN", ("hands", "FN")), ("pixel F1", ("pixel", "F1")),
           ("mask AP", ("coco", "segm", "AP")))


def _value(metrics: dict, path: tuple[str, ...]) -> float | None:
    for key in path:
        metrics = metrics.get(key) if isinstance(metrics, dict) else None
    return None if metrics is None else float(metrics)


def cell(values: list[float]) -> str:
    """``mean +- std`` (sample std), or the value alone for one seed."""
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return f"{np.mean(values):.3g} +- {np.std(values, ddof=1):.2g}"


def run_metrics(run: Path, row: str, held: str) -> list[dict]:
    """The metrics of every seed of ``row`` on ``held`` in a run's eval folders.

    A run scored since sessions are chosen on ``valcomp`` too has its chosen session's scores
    under ``sessions/<best>/``; older ones directly in the run's eval folder.
    """
    found = []
    for folder in sorted((run / "eval").glob(f"{row}_s*")):
        manifest = run / "runs" / folder.name / "manifest.json"
        best = json.loads(manifest.read_text()).get("best_session") if manifest.exists() else None
        for path in (folder / "sessions" / str(best) / held / "metrics.json",
                     folder / held / "metrics.json"):
            if path.exists():
                found.append(json.loads(path.read_text()))
                break
    return found


def record_metrics(records: Path, row: str, held: str) -> list[dict]:
    """The metrics of every recorded seed of ``row`` on ``held``."""
    return [json.loads(p.read_text())["held_out"][held]
            for p in sorted(records.glob(f"{row}_s*.json"))]


def table(source: Path, held: str, rows: dict[str, str] = TABLES["recipes"],
          metrics_of=record_metrics) -> str:
    """The markdown table of one held-out set.

    Args:
        source: the records folder (``metrics_of=record_metrics``) or a run folder
            (``metrics_of=run_metrics``).
        held: the held-out set.
        rows: row name (record / eval folder prefix) -> label, in table order.
        metrics_of: reads one metrics dict per seed of a row.
    """
    lines = [f"**{TITLES[held]}**", "", "| recipe | seeds | "
             + " | ".join(name for name, _ in COLUMNS) + " |", "|" + " --- |" * (len(COLUMNS) + 2)]
    for row, label in rows.items():
        metrics = metrics_of(source, row, held)
        if not metrics:
            continue
        cells = [cell([v for m in metrics if (v := _value(m, path)) is not None])
                 for _, path in COLUMNS]
        lines.append(f"| {label} | {len(metrics)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# Per-frame cost at 320 px on 2 cores (docs/BENCHMARKS.md, bench_predict_speed.py, 2026-12-05).
SPEED = {"mask_rcnn": "105 / 147", "mediapipe": "23", "flip": "2 x 105 / 147 (two passes)",
         **dict.fromkeys(("synthetic_fast", "synthetic_long", "synthetic_close",
                          "synthetic_hdri"), "58 / 94")}
# The best recipe measured (docs/RESULTS.md, "Which targets hold"): the README's first row.
BEST_RECIPE = "long_decay"
# The real-photo curve's recipes: the one it was measured with (the best before long_decay), and
# the same weights with HANDS.SUPPRESS_CONTAINED.
PHOTO_ROWS = ("distractor_shapes", "contained")
HEADLINE = {BEST_RECIPE: "best recipe so far: renders + real x10, composited, copy-paste, "
                         "scale jitter, real photos also whole, non-hand shapes pasted alike, "
                         "6,000 steps with the lr decayed",
            "real": "real photos only (20 train + 5 val)",
            "synthetic_fast": "the default model: renders only, 64-channel FPN (licence-clean, "
                              "ships)",
            "mediapipe": "MediaPipe Hands 0.10.21 (hull masks)"}
SHORT = {"own25": "own25", "fist100": "fist_100", "multi": "multi"}


def _scores(records: Path, row: str, path: tuple[str, ...]) -> tuple[list[str], int]:
    seeds = 0
    cells = []
    for held in HELD_OUT:
        metrics = record_metrics(records, row, held)
        seeds = max(seeds, len(metrics))
        cells.append(cell([v for m in metrics if (v := _value(m, path)) is not None]))
    return cells, seeds


def zoo_table(records: Path) -> str:
    """One row per recipe: its data, seeds, hands F1 and pixel F1 on every held-out set."""
    sets = " / ".join(SHORT[h] for h in HELD_OUT)
    lines = [f"| row | training data | seeds | hands F1 ({sets}) | pixel F1 ({sets}) | "
             "ms/frame (ONNX / eager) |", "|" + " --- |" * 6]
    for row, label in ROWS.items():
        f1, seeds = _scores(records, row, ("hands", "F1"))
        if not seeds:
            continue
        pixel, _ = _scores(records, row, ("pixel", "F1"))
        speed = SPEED.get(row, SPEED["mask_rcnn"])
        lines.append(f"| `{row}` | {label} | {seeds} | {' / '.join(f1)} | "
                     f"{' / '.join(pixel)} | {speed} |")
    return "\n".join(lines) + "\n"


def headline_table(records: Path) -> str:
    """The README's table: the best recipe, real photos only, the default model, MediaPipe."""
    head = " | ".join(f"{SHORT[h]} F1 (pixel F1)" for h in HELD_OUT)
    lines = [f"| model | seeds | {head} |", "|" + " --- |" * (len(HELD_OUT) + 2)]
    for row, label in HEADLINE.items():
        f1, seeds = _scores(records, row, ("hands", "F1"))
        pixel, _ = _scores(records, row, ("pixel", "F1"))
        if seeds:
            lines.append(f"| {label} | {seeds} | " + " | ".join(
                f"{a.split(' ')[0]} ({b.split(' ')[0]})" for a, b in zip(f1, pixel, strict=True))
                + " |")
    return "\n".join(lines) + "\n"


def photos_table(records: Path, rows: str | Sequence[str] = PHOTO_ROWS) -> str:
    """The real-photo curve (issue 36): ``rows`` and real-only at 0, 5, 10 and 20 real photos.

    0 photos is the ``synthetic`` row (renders on procedural backgrounds), shown once; fewer
    than 20 are the ``--real-photos`` records (``<row>_p<N>_s<seed>``). Cells without records
    show ``-``.
    """
    sets = " / ".join(SHORT[h] for h in HELD_OUT)
    lines = [f"| real photos | recipe | seeds | hands F1 ({sets}) | pixel F1 ({sets}) |",
             "|" + " --- |" * 5]
    recipes = [rows] if isinstance(rows, str) else list(rows)
    for k, recipe in enumerate([*recipes, "real"]):
        for photos in (0, 5, 10, 20):
            if photos == 0 and (k > 0 or recipe == "real"):
                continue
            name = "synthetic" if photos == 0 else recipe if photos == 20 else \
                f"{recipe}_p{photos}"
            f1, seeds = _scores(records, name, ("hands", "F1"))
            pixel, _ = _scores(records, name, ("pixel", "F1"))
            lines.append(f"| {photos} | `{name}` | {seeds} | {' / '.join(f1)} | "
                         f"{' / '.join(pixel)} |")
    return "\n".join(lines) + "\n"


# Where --write puts a generated table: between these markers of a committed file.
TARGETS = {"zoo": ROOT / "docs" / "MODEL_ZOO.md", "headline": ROOT / "README.md",
           "photos": ROOT / "docs" / "RESULTS.md"}


def write_between_markers(path: Path, table: str, name: str) -> None:
    """Replace the table between ``<!-- generated ... --table NAME -->`` and its end marker."""
    start = f"<!-- generated: experiments/protocol_report.py --table {name} -->\n"
    text = path.read_text()
    if start not in text or "<!-- end generated -->" not in text.split(start, 1)[1]:
        sys.exit(f"error: {path} has no '{start.strip()}' ... '<!-- end generated -->' markers")
    head, rest = text.split(start, 1)
    tail = rest[rest.index("<!-- end generated -->"):]
    write_atomic(path, head + start + table + tail)
    print(f"wrote the {name} table into {path}")


def main() -> None:
    """Print every held-out set's table (or write the zoo's and README's into their files)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default=str(records_dir(3000, RECORDS)),
                        help="the recipe rows' records (experiments/protocol.py --records)")
    parser.add_argument("--run", default="runs/protocol", help="the U-Net rows' run folder")
    parser.add_argument("--table", choices=[*sorted(TABLES), "zoo", "headline", "photos"],
                        default="recipes",
                        help="the recipe rows of issue 14, the U-Net rows (unet_table.py), the "
                             "model zoo's table, the README's, or the real-photo curve")
    parser.add_argument("--row", default=",".join(PHOTO_ROWS),
                        help="--table photos: the recipes, comma-separated (default: %(default)s)")
    parser.add_argument("--write", action="store_true",
                        help="zoo/headline/photos: write the table into docs/MODEL_ZOO.md / "
                             "README.md / docs/RESULTS.md")
    args = parser.parse_args()
    recipes = args.row.split(",")
    unknown = [row for row in recipes if row not in ROWS]
    if unknown:
        sys.exit(f"error: --row {unknown[0]} is not a protocol row; choose from {', '.join(ROWS)}")
    if args.table in ("zoo", "headline", "photos"):
        table_text = (photos_table(Path(args.records), recipes) if args.table == "photos" else
                      (zoo_table if args.table == "zoo" else headline_table)(Path(args.records)))
        if args.write:
            write_between_markers(TARGETS[args.table], table_text, args.table)
        else:
            print(table_text, end="")
        return
    source, metrics_of = ((Path(args.records), record_metrics) if args.table == "recipes"
                          else (Path(args.run), run_metrics))
    if not source.is_dir():
        sys.exit(f"error: {source} is not a folder; run experiments/protocol.py first")
    print("\n".join(table(source, held, TABLES[args.table], metrics_of) for held in HELD_OUT))


if __name__ == "__main__":
    main()
