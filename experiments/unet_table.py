"""The U-Net paper's Table 1 on our data: each row x 3 seeds, scored on the held-out real sets.

    python experiments/unet_table.py --output-dir runs/protocol [--iters 200] [--seeds 0,1,2] \
        [--rows base,bn_do10,bn_do20,augment,mobileunet,maskrcnn,mediapipe]

Rows follow the paper's Table 1 (Krener-Iversen, DTU): the base model; the full U-Net with
batch norm and 10% dropout; with 20% dropout; with the augmentation set; and the production
baseline MobileUNet (ImageNet MobileNetV2 encoder). Every row trains with
``tools/train_net.py`` on the 20 ``real20`` photos, stops early on the validation loss of
``val5`` and is scored on the held-out sets of ``experiments/protocol.py`` (``own25_test``,
``fist_100`` and the semi-synthetic ``multi``). It shares the protocol's output folder: the
sets are prepared there when missing, runs are ``runs/unet_<row>_s<seed>`` (``maskrcnn`` is the
protocol's ``real`` row, Mask R-CNN on the real photos, at ``--iters`` steps), and MediaPipe is
the protocol's own row. Resumable: finished steps are skipped.
``experiments/protocol_report.py --run OUT --table unet`` prints the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from protocol import (  # noqa: E402  (shared steps)
    RECORDS,
    checked_rows,
    mediapipe,
    output_folder,
    records_dir,
    score_held_out,
    train_and_score,
)
from protocol_data import prepare_real_sets  # noqa: E402
from synth_to_real import PY, REAL, run  # noqa: E402

PAPER = "configs/unet_paper.yaml"
ROWS = {
    "base": ("configs/unet_base.yaml", [], "base model (3 levels, 1 conv each)"),
    "bn_do10": (PAPER, ["MODEL.UNET.DROPOUT", "0.1", "HANDS.AUGMENT.ENABLED", "False"],
                "full U-Net + dropout 10% + batch norm"),
    "bn_do20": (PAPER, ["HANDS.AUGMENT.ENABLED", "False"], "full U-Net + dropout 20% + batch norm"),
    "augment": (PAPER, [], "+ augmentation (crop, flip, noise, blur, rotation)"),
    "mobileunet": ("configs/mobileunet_cpu.yaml", [], "MobileUNet (ImageNet MobileNetV2 encoder)"),
    "maskrcnn": ("", [], "Mask R-CNN MobileNetV2-FPN, real photos only"),
    "mediapipe": ("", [], "MediaPipe Hands 0.10.21 (hull masks)"),
}
# Folders under OUT/eval holding each row's <set>/metrics.json (MediaPipe: the protocol's).
EVAL_PREFIX = {row: f"unet_{row}" for row in ROWS} | {"mediapipe": "mediapipe"}


def train_row(out: Path, row: str, seed: int, iters: int, period: int, log: Path) -> None:
    """Train one U-Net row at one seed (skipped when done), then score every held-out set."""
    config, extra, _ = ROWS[row]
    name = f"{EVAL_PREFIX[row]}_s{seed}"
    run_dir = out / "runs" / name
    if not (run_dir / "early_stop.json").exists() or not (run_dir / "model_final.pth").exists():
        photos = str(REAL / "own_hands_50" / "images")
        register = [["real20", str(out / "real" / "real20.json"), photos],
                    ["val5", str(out / "real" / "val5.json"), photos]]
        run([PY, "tools/train_net.py", "--resume", "--config-file", config, *extra,
             "DATASETS.REGISTER", json.dumps(register), "DATASETS.TRAIN", '("real20",)',
             "DATASETS.TEST", '("val5",)', "SOLVER.MAX_ITER", iters, "SOLVER.IMS_PER_BATCH", 2,
             "SOLVER.CHECKPOINT_PERIOD", period, "HANDS.EARLY_STOP.PERIOD", period,
             "HANDS.EARLY_STOP.PATIENCE", 4, "TEST.EVAL_PERIOD", 0, "SEED", seed,
             "OUTPUT_DIR", run_dir], log)
    score_held_out(out, run_dir, name, log)


def main() -> None:
    """Run the requested rows for every seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="runs/protocol", help="protocol.py's folder")
    parser.add_argument("--iters", type=int, default=200, help="most steps of every run")
    parser.add_argument("--period", type=int, default=25, help="validation every N steps")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--rows", default=",".join(ROWS))
    args = parser.parse_args()
    rows = checked_rows(args.rows, ROWS)
    out, log = output_folder(args.output_dir)
    prepare_real_sets(out, log)
    for row in rows:
        if row == "mediapipe":
            mediapipe(out, log, records_dir(3000, RECORDS))  # the protocol's record, rewritten
            continue
        for seed in (int(s) for s in args.seeds.split(",")):
            if row == "maskrcnn":
                train_and_score(out, "real", seed, args.iters, log, f"unet_maskrcnn_s{seed}")
            else:
                train_row(out, row, seed, args.iters, args.period, log)


if __name__ == "__main__":
    main()
