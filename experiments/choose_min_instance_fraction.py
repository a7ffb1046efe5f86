"""Choose the semantic models' ``MODEL.UNET.MIN_INSTANCE_FRACTION`` on the validation photos.

    python experiments/choose_min_instance_fraction.py --output-dir runs/protocol \
        [--runs unet_mobileunet_s0,unet_augment_s0,...] [--fractions 0,0.001,...]

A U-Net's instances are the connected components of its hand mask; small specks become false
detections. Each finished run of ``experiments/unet_table.py`` predicts ``val5`` (the protocol's
validation split of the training photos) once, keeping every component; the components smaller
than each candidate fraction of the image's area are then dropped and the rest scored with
``tools/evaluate.py --predictions``. The choice is the smallest fraction whose mean hand F1
over the runs is within ``--tolerance`` (0.01, less than one detection's worth on these five
photos) of the best: the validation photos each hold one large hand, so beyond that they
cannot tell whether a larger fraction would also drop small hands. No held-out set is read.
Writes ``OUT/eval/min_instance_fraction.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

sys.path.insert(0, str(Path(__file__).resolve().parent))
from protocol import output_folder  # noqa: E402
from synth_to_real import PY, REAL, run  # noqa: E402

FRACTIONS = "0,0.0005,0.001,0.002,0.005,0.01,0.02,0.05"


def val5_predictions(out: Path, name: str, log: Path) -> Path:
    """Every component the run predicts on ``val5`` (evaluated once, resumable)."""
    folder = out / "eval" / name / "val5_all_components"
    if not (folder / "predictions.json").exists():
        run([PY, "tools/evaluate.py", "--run", out / "runs" / name, "--coco",
             out / "real" / "val5.json", "--image-root", REAL / "own_hands_50" / "images",
             "--output-dir", folder, "--quiet", "MODEL.UNET.MIN_INSTANCE_AREA", 0,
             "MODEL.UNET.MIN_INSTANCE_FRACTION", "0.0"], log)
    return folder / "predictions.json"


def hand_f1(out: Path, predictions: Path, fraction: float, log: Path) -> float:
    """Hand F1 on ``val5`` of the predictions whose area is at least ``fraction`` of the image."""
    truth = json.loads((out / "real" / "val5.json").read_text())
    pixels = {image["id"]: image["width"] * image["height"] for image in truth["images"]}
    kept = [p for p in json.loads(predictions.read_text())
            if mask_utils.area(p["segmentation"]) >= math.ceil(fraction * pixels[p["image_id"]])]
    folder = predictions.parent.parent / f"val5_fraction_{fraction:g}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kept.json").write_text(json.dumps(kept))
    run([PY, "tools/evaluate.py", "--predictions", folder / "kept.json", "--coco",
         out / "real" / "val5.json", "--output-dir", folder, "--quiet"], log)
    return json.loads((folder / "metrics.json").read_text())["hands"]["F1"]


def main() -> None:
    """Score every candidate fraction on every run; print the table and the choice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="runs/protocol", help="protocol.py's folder")
    parser.add_argument("--runs", default="", help="run names under OUT/runs (default: all "
                        "finished unet_* runs)")
    parser.add_argument("--fractions", default=FRACTIONS)
    parser.add_argument("--tolerance", type=float, default=0.01,
                        help="choose the smallest fraction this close to the best mean F1")
    args = parser.parse_args()
    out, log = output_folder(args.output_dir)
    names = (args.runs.split(",") if args.runs else
             sorted(p.parent.name for p in (out / "runs").glob("unet_*/model_final.pth")
                    if not p.parent.name.startswith("unet_maskrcnn")))
    missing = [n for n in names if not (out / "runs" / n / "model_final.pth").exists()]
    if not names or missing:
        sys.exit(f"error: no finished run {missing or 'unet_*'} under {out / 'runs'}")
    fractions = [float(f) for f in args.fractions.split(",")]
    table = {name: [hand_f1(out, val5_predictions(out, name, log), f, log) for f in fractions]
             for name in names}
    means = np.mean(list(table.values()), axis=0)
    chosen = fractions[int(np.flatnonzero(means >= means.max() - args.tolerance - 1e-9)[0])]
    print(f"{'fraction':>9s} {'mean hand F1 on val5':>21s}   ({len(names)} runs)")
    for fraction, mean in zip(fractions, means, strict=True):
        print(f"{fraction:9g} {mean:21.3f}{'   <- chosen' if fraction == chosen else ''}")
    report = {"fractions": fractions, "hand_f1": table, "mean": means.tolist(),
              "tolerance": args.tolerance, "chosen": chosen}
    (out / "eval" / "min_instance_fraction.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
