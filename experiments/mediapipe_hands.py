"""MediaPipe Hands as a peer baseline: one instance mask per detected hand, as COCO results.

MediaPipe gives 21 landmarks per hand, not a mask. The mask here is the convex hull of the
landmarks, grown by ``--margin`` times the hand's size (the landmarks sit on joint centres, so the
bare hull misses the finger and palm edges). The score is MediaPipe's handedness confidence.

Runs in its own virtual environment (``mediapipe==0.10.21`` pins numpy < 2 and protobuf < 5),
without d2hands; the results are scored with ``tools/evaluate.py --predictions`` so they are
measured by the same code as the Mask R-CNN runs:

    python3.11 -m venv .cache/mediapipe-venv
    .cache/mediapipe-venv/bin/pip install mediapipe==0.10.21 "numpy<2" pycocotools==2.0.11
    .cache/mediapipe-venv/bin/python experiments/mediapipe_hands.py \
        --coco GT.json --image-root DIR --output results.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils


def hull_mask(points: np.ndarray, height: int, width: int, margin: float) -> np.ndarray:
    """Filled convex hull of pixel ``points`` (N x 2), dilated by ``margin`` x the hand's size."""
    mask = np.zeros((height, width), np.uint8)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    size = float(np.sqrt(max(cv2.contourArea(hull.astype(np.float32)), 1.0)))
    radius = int(round(margin * size))
    if radius > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        mask = cv2.dilate(mask, kernel)
    return mask


def predict(coco: dict, image_root: Path, margin: float, max_hands: int) -> list[dict]:
    """Run MediaPipe Hands on every image of a COCO file; return COCO instance results."""
    import mediapipe as mp

    results = []
    with mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=max_hands,
                                  model_complexity=1, min_detection_confidence=0.5) as hands:
        for image in coco["images"]:
            bgr = cv2.imread(str(image_root / image["file_name"]))
            if bgr is None:
                sys.exit(f"error: cannot read {image_root / image['file_name']}")
            height, width = bgr.shape[:2]
            found = hands.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            for landmarks, handedness in zip(found.multi_hand_landmarks or [],
                                             found.multi_handedness or [], strict=True):
                points = np.array([[p.x * width, p.y * height] for p in landmarks.landmark])
                rle = mask_utils.encode(np.asfortranarray(hull_mask(points, height, width,
                                                                    margin)))
                rle["counts"] = rle["counts"].decode("ascii")
                results.append({"image_id": image["id"], "category_id": 1, "segmentation": rle,
                                "score": float(handedness.classification[0].score)})
    return results


def main() -> None:
    """Parse arguments, predict, and write the results file atomically."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coco", required=True, help="COCO ground truth (for the image list)")
    parser.add_argument("--image-root", required=True, help="folder of the COCO file's images")
    parser.add_argument("--output", "--out", dest="out", required=True,
                        help="COCO results JSON to write (--out: old spelling)")
    parser.add_argument("--margin", type=float, default=0.05,
                        help="hull growth as a fraction of sqrt(hull area); 0.05 scored best "
                        "of 0-0.2 on the 25 training photos")
    parser.add_argument("--max-hands", type=int, default=2)
    args = parser.parse_args()
    try:
        coco = json.loads(Path(args.coco).read_text())
    except (OSError, ValueError) as exc:
        sys.exit(f"error: cannot read {args.coco}: {exc}")
    results = predict(coco, Path(args.image_root), args.margin, args.max_hands)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(results, f)
    umask = os.umask(0o022)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files
    os.replace(tmp, out)
    print(f"{len(results)} hands on {len(coco['images'])} images -> {out}")


if __name__ == "__main__":
    main()
