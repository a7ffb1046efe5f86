"""COCO output of a run: one atomic record file per finished frame, assembled into annotations.json.

A frame counts as finished only when its record exists (it is written after the image has been
renamed into place), so a killed run resumes by skipping recorded frames and redoing the rest.
Image and annotation ids are ``pose_id + 1`` and therefore never repeat inside a run.
"""

from __future__ import annotations

import json
import os

from synth.fsutil import atomic_write_json
from synth.keypoints import KEYPOINT_NAMES, SKELETON
from synth.rle import encode, mask_area, mask_bbox

CATEGORY = {"id": 1, "name": "hand", "supercategory": "person", "keypoints": KEYPOINT_NAMES,
            "skeleton": SKELETON}
MIN_AREA = 16  # pixels: a hand cut down to less than this by the frame edge is not annotated
MAX_HANDS = 2
RUN_FILE = "run.json"
ANNOTATIONS = "annotations.json"


def image_relpath(job, image_format: str) -> str:
    """Path of a frame's image relative to the output folder."""
    return f"images/{job.structure}/{job.pose_id:06d}.{image_format}"


def record_path(out: str, pose_id: int) -> str:
    """Path of a frame's record file."""
    return os.path.join(out, "records", f"{pose_id:06d}.json")


def is_done(out: str, job, image_format: str) -> bool:
    """Return True if the frame's record and image both exist."""
    return (os.path.exists(record_path(out, job.pose_id))
            and os.path.exists(os.path.join(out, image_relpath(job, image_format))))


def frame_record(job, file_name: str, size: tuple, image_info: dict, instances: list,
                 compressed: bool) -> dict:
    """COCO image + annotation entries of one rendered frame.

    Args:
        job: The ``synth.joblist.Job``.
        file_name: Image path relative to the output folder.
        size: (height, width).
        image_info: Extra image fields (hands, view, mask extent, ...).
        instances: Per hand: ``(mask, keypoints, num_keypoints, extra fields)``; hands whose
            visible mask is smaller than ``MIN_AREA`` pixels get no annotation.
        compressed: Use compressed RLE strings.

    Returns:
        ``{"image": {...}, "annotations": [...]}``.

    """
    h, w = size
    ident = job.pose_id + 1
    image = {"id": ident, "file_name": file_name, "width": int(w), "height": int(h),
             "structure": job.structure, "pose": [round(v, 6) for v in job.pose],
             "pose_id": job.pose_id, "grid_index": job.grid_index, **image_info}
    anns = []
    for k, (mask, keypoints, num_keypoints, extra) in enumerate(instances):
        area = mask_area(mask)
        if area < MIN_AREA:
            continue
        anns.append({"id": job.pose_id * MAX_HANDS + k + 1, "image_id": ident,
                     "category_id": CATEGORY["id"], "iscrowd": 0,
                     "segmentation": encode(mask, compressed), "area": area,
                     "bbox": mask_bbox(mask), "keypoints": keypoints,
                     "num_keypoints": num_keypoints, **extra})
    return {"image": image, "annotations": anns}


def write_record(out: str, job, record: dict) -> None:
    """Atomically store a frame's record (after its image is in place)."""
    atomic_write_json(record_path(out, job.pose_id), record)


def check_run_config(out: str, config: dict) -> None:
    """Store the run's settings, or check that a resumed run uses the same ones.

    Raises:
        ValueError: If ``out`` holds frames of a run with different settings.

    """
    path = os.path.join(out, RUN_FILE)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
        diff = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k))
        if diff:
            raise ValueError(f"--output-dir {out!r} holds a run with other settings "
                             f"({', '.join(diff)}); use a new folder")
        return
    atomic_write_json(path, config, indent=1)


def assemble(out: str, jobs, config: dict) -> dict:
    """Write ``annotations.json`` from the records of ``jobs`` (finished frames only).

    Args:
        out: Output folder.
        jobs: The run's jobs.
        config: Run settings, stored under ``info``.

    Returns:
        Counts: ``{"images": n, "annotations": m, "missing": k}``.

    """
    images, anns, missing = [], [], 0
    for job in sorted(jobs, key=lambda j: j.pose_id):
        try:
            with open(record_path(out, job.pose_id), encoding="utf-8") as f:
                rec = json.load(f)
        except FileNotFoundError:
            missing += 1
            continue
        images.append(rec["image"])
        anns += rec["annotations"]
    coco = {"info": {"description": "d2hands synthetic hands (L2/L11 pose grid)",
                     "settings": config},
            "images": images, "annotations": anns, "categories": [CATEGORY]}
    atomic_write_json(os.path.join(out, ANNOTATIONS), coco)
    return {"images": len(images), "annotations": len(anns), "missing": missing}
