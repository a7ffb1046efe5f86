"""Benchmark: hand + pixel metrics vs pycocotools' COCOeval segm on the same results file.

1,000 synthetic 1280x720 images with 0-4 ground-truth hands (ellipse polygons) and up to 5
predictions each (jittered copies of the hands plus random false positives, RLE-encoded),
written as COCO JSON files, then timed in one process:

- ours: hand metrics (matching) + pixel metrics from the validated RLEs (``score_images`` +
  summaries), and separately the loading/validation of both files;
- pycocotools: ``COCOeval(gt, dt, "segm").evaluate()`` + ``accumulate()``, and separately
  ``COCO(gt)`` + ``loadRes(results)``.

Usage: python benchmarks/bench_eval_metrics.py [--images 1000] [--repeat 3] [--seed 0] [--fill]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time

import cv2
import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from d2hands.evaluation import (  # noqa: E402
    load_ground_truth,
    load_results,
    score_images,
    summarize_hands,
    summarize_pixels,
)

H, W = 720, 1280


def ellipse_polygon(rng, cx=None, cy=None, ax=None, ay=None, angle=None):
    cx = rng.uniform(80, W - 80) if cx is None else cx
    cy = rng.uniform(80, H - 80) if cy is None else cy
    ax = rng.uniform(25, 160) if ax is None else ax
    ay = rng.uniform(25, 160) if ay is None else ay
    angle = rng.uniform(0, 180) if angle is None else angle
    pts = cv2.ellipse2Poly((int(cx), int(cy)), (int(ax), int(ay)), int(angle), 0, 360, 8)
    return [float(v) for v in pts.reshape(-1)], (cx, cy, ax, ay, angle)


def make_dataset(n_images: int, seed: int, fill: bool = False) -> tuple[dict, list]:
    rng = np.random.default_rng(seed)
    images, anns, results = [], [], []
    for i in range(1, n_images + 1):
        images.append({"id": i, "file_name": f"{i:05d}.png", "height": H, "width": W})
        params = []
        for _ in range(int(rng.integers(0, 5))):
            poly, p = ellipse_polygon(rng)
            params.append(p)
            rle = mask_utils.frPyObjects([poly], H, W)[0]
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": 1,
                         "segmentation": [poly], "iscrowd": 0,
                         "area": float(mask_utils.area(rle)),
                         "bbox": [float(v) for v in mask_utils.toBbox(rle)]})
        preds = []
        for cx, cy, ax, ay, angle in params:
            if rng.random() < 0.85:
                j = rng.normal(0, 0.12, 5)
                preds.append(ellipse_polygon(rng, cx + j[0] * ax, cy + j[1] * ay,
                                             ax * (1 + j[2]), ay * (1 + j[3]), angle + 20 * j[4]))
        while len(preds) < 5 and (fill or rng.random() < 0.5):
            preds.append(ellipse_polygon(rng))
        for poly, _ in preds[:5]:
            rle = mask_utils.frPyObjects([poly], H, W)[0]
            results.append({"image_id": i, "category_id": 1,
                            "segmentation": {"size": [H, W], "counts": rle["counts"].decode()},
                            "score": round(float(rng.uniform(0.3, 1.0)), 4)})
    gt = {"images": images, "annotations": anns,
          "categories": [{"id": 1, "name": "hand", "supercategory": "hand"}]}
    return gt, results


def time_once(gt_path: str, res_path: str) -> dict[str, float]:
    t0 = time.perf_counter()
    gt = load_ground_truth(gt_path)
    preds = load_results(res_path, gt)
    t1 = time.perf_counter()
    images = score_images(gt, preds, 0.7, 0.5)
    hands = summarize_hands(r.match for r in images)
    pixel = summarize_pixels(r.pixels for r in images)
    t2 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(gt_path)
        coco_dt = coco_gt.loadRes(res_path)
        t3 = time.perf_counter()
        ev = COCOeval(coco_gt, coco_dt, "segm")
        ev.evaluate()
        ev.accumulate()
    t4 = time.perf_counter()
    assert hands["TtlHnd"] == len(coco_gt.getAnnIds()) and 0 <= pixel["F1"] <= 1
    return {"ours_load": t1 - t0, "ours_metrics": t2 - t1, "coco_load": t3 - t2,
            "coco_eval": t4 - t3}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fill", action="store_true",
                    help="exactly 5 predictions on every image (worst case)")
    args = ap.parse_args()
    t = time.perf_counter()
    gt, results = make_dataset(args.images, args.seed, args.fill)
    print(f"generated {len(gt['images'])} images {W}x{H}, {len(gt['annotations'])} hands, "
          f"{len(results)} predictions in {time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, res_path = os.path.join(tmp, "gt.json"), os.path.join(tmp, "results.json")
        with open(gt_path, "w") as f:
            json.dump(gt, f)
        with open(res_path, "w") as f:
            json.dump(results, f)
        runs = [time_once(gt_path, res_path) for _ in range(args.repeat)]
    best = {k: min(r[k] for r in runs) for k in runs[0]}
    ours_total = best["ours_load"] + best["ours_metrics"]
    coco_total = best["coco_load"] + best["coco_eval"]
    print(f"best of {args.repeat} runs, seconds:")
    print(f"  hand + pixel metrics (from validated RLEs)   {best['ours_metrics']:.3f}")
    print(f"  COCOeval segm evaluate + accumulate          {best['coco_eval']:.3f}")
    print(f"  ratio metrics / COCOeval                     {best['ours_metrics'] / best['coco_eval']:.2f}")  # noqa: E501
    print(f"  ours incl. reading + validating both files   {ours_total:.3f}")
    print(f"  pycocotools incl. COCO() + loadRes()         {coco_total:.3f}")
    print(f"  ratio end to end                             {ours_total / coco_total:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
