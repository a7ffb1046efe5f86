"""Mean +- std tables over seeds of an experiments/protocol.py run, for docs/RESULTS.md.

    python experiments/protocol_report.py --run runs/protocol [--table recipes|unet]

One markdown table per held-out set; a row per recipe with the number of seeds it has so far.
A row with one seed shows no spread (``n=1``): it cannot rank recipes by itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from protocol import HELD_OUT, ROWS  # noqa: E402
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


def table(run: Path, held: str, rows: dict[str, str] = TABLES["recipes"]) -> str:
    """The markdown table of one held-out set (``rows``: eval folder prefix -> label)."""
    lines = [f"**{TITLES[held]}**", "", "| recipe | seeds | "
             + " | ".join(name for name, _ in COLUMNS) + " |", "|" + " --- |" * (len(COLUMNS) + 2)]
    for row, label in rows.items():
        runs = sorted((run / "eval").glob(f"{row}_s*/{held}/metrics.json"))
        if not runs:
            continue
        metrics = [json.loads(p.read_text()) for p in runs]
        cells = [cell([v for m in metrics if (v := _value(m, path)) is not None])
                 for _, path in COLUMNS]
        lines.append(f"| {label} | {len(runs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print every held-out set's table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="runs/protocol")
    parser.add_argument("--table", choices=sorted(TABLES), default="recipes",
                        help="the recipe rows of issue 14, or the U-Net rows (unet_table.py)")
    args = parser.parse_args()
    print("\n".join(table(Path(args.run), held, TABLES[args.table]) for held in HELD_OUT))


if __name__ == "__main__":
    main()
