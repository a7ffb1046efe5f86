"""Tables and error-map sheets for docs/RESULTS.md from an experiments/synth_to_real.py run.

    python experiments/results_report.py --run runs/s2r --sheets docs/results

Prints one markdown table per held-out set (every metric of tools/evaluate.py) and writes, per
case and set, a sheet of pixel error maps: green = hand found, red = false hand pixels, blue =
missed hand pixels, black = background. The sheets hold no photo pixels: the real photos have no
licence to be redistributed (see ../shared/data/real/README.md), only to be evaluated on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from d2hands.io_utils import write_bytes_atomic

LABELS = {
    "1c": "1 synthetic white, conventional",
    "1r": "1 synthetic white, repetitive",
    "2c": "2 synthetic + 25 real x10, conventional",
    "2r": "2 synthetic + 25 real x10, repetitive",
    "3": "3 = 2r with domain randomization",
    "4": "4 real only (25 photos)",
    "5": "5 MediaPipe Hands 0.10.21, hull masks",
}
SETS = {"own25": "own_hands_50, 25 held-out photos", "fist100": "fist_100, all 100 photos"}
TILE = {"own25": 128, "fist100": 64}


def metric_row(label: str, metrics: dict) -> str:
    """One markdown row: hand metrics, pixel metrics and COCO mask AP."""
    h, p, segm = metrics["hands"], metrics["pixel"], metrics["coco"]["segm"]
    ap = "-" if segm["AP"] is None else f"{segm['AP']:.1f}"
    ap50 = "-" if segm["AP50"] is None else f"{segm['AP50']:.1f}"
    return (f"| {label} | {h['F1']:.3f} | {h['IoU']:.3f} | {h['Acc']:.3f} | {h['TP']}/{h['FP']}/"
            f"{h['FN']} | {h['TPH_pct']:.0f}% | {p['F1']:.3f} | {p['hand_IoU']:.3f} | "
            f"{p['mIoU']:.3f} | {ap} | {ap50} |")


def tables(run: Path) -> str:
    """Markdown tables of every evaluated case, one per held-out set."""
    lines = []
    for held, title in SETS.items():
        lines += [f"**{title}**", "",
                  "| case | F1 | IoU | Acc | TP/FP/FN | TPH | pixel F1 | pixel IoU | mIoU | "
                  "mask AP | AP50 |", "|" + " --- |" * 11]
        for case, label in LABELS.items():
            path = run / "eval" / case / held / "metrics.json"
            if path.exists():
                lines.append(metric_row(label, json.loads(path.read_text())))
        lines.append("")
    return "\n".join(lines)


def predictions_of(run: Path, case: str, held: str) -> list[dict]:
    """The COCO results a case was scored on."""
    if case == "5":
        return json.loads((run / "mediapipe" / f"{held}_results.json").read_text())
    return json.loads((run / "eval" / case / held / "predictions.json").read_text())


def error_sheet(run: Path, case: str, held: str) -> np.ndarray:
    """Tile one error map per image of a held-out set (BGR uint8)."""
    metrics = json.loads((run / "eval" / case / held / "metrics.json").read_text())
    thresh = metrics["settings"]["score_thresh"]
    gt = COCO(metrics["settings"]["ground_truth"])
    kept: dict[int, list[dict]] = {}
    for result in predictions_of(run, case, held):
        if result["score"] >= thresh:
            kept.setdefault(result["image_id"], []).append(result)
    tiles = []
    for image_id in sorted(gt.getImgIds()):
        info = gt.loadImgs(image_id)[0]
        shape = (info["height"], info["width"])
        truth = np.zeros(shape, bool)
        for ann in gt.loadAnns(gt.getAnnIds(imgIds=image_id)):
            truth |= gt.annToMask(ann).astype(bool)
        predicted = np.zeros(shape, bool)
        for result in kept.get(image_id, []):
            predicted |= mask_utils.decode(result["segmentation"]).astype(bool)
        tile = np.zeros((*shape, 3), np.uint8)
        tile[truth & predicted] = (0, 200, 0)
        tile[~truth & predicted] = (0, 0, 230)
        tile[truth & ~predicted] = (230, 80, 0)
        side = TILE[held]
        tile = cv2.resize(tile, (side, round(side * shape[0] / shape[1])),
                          interpolation=cv2.INTER_NEAREST)
        tiles.append(cv2.copyMakeBorder(tile, 1, 1, 1, 1, cv2.BORDER_CONSTANT,
                                        value=(128, 128, 128)))
    columns = 5 if held == "own25" else 10
    height = max(t.shape[0] for t in tiles)
    tiles = [cv2.copyMakeBorder(t, 0, height - t.shape[0], 0, 0, cv2.BORDER_CONSTANT)
             for t in tiles]
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    return np.vstack([np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)])


def main() -> None:
    """Print the tables; write the sheets of the cases asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="runs/s2r")
    parser.add_argument("--sheets", default="", help="folder for error-map sheets (PNG)")
    parser.add_argument("--sheet-cases", default="1r,2r,3,4,5")
    args = parser.parse_args()
    run = Path(args.run)
    print(tables(run))
    if args.sheets:
        for case in args.sheet_cases.split(","):
            for held in SETS:
                if not (run / "eval" / case / held / "metrics.json").exists():
                    continue
                ok, png = cv2.imencode(".png", error_sheet(run, case, held),
                                       [cv2.IMWRITE_PNG_COMPRESSION, 9])
                write_bytes_atomic(Path(args.sheets) / f"{case}_{held}.png", png.tobytes())


if __name__ == "__main__":
    main()
