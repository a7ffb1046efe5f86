"""Split one COCO file into seeded random parts (e.g. train / held-out), images kept in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io_utils import write_json_atomic
from .coco_format import read_coco_json


def split_coco_file(json_path: str | Path, parts: dict[str, int], out_dir: str | Path,
                    seed: int = 0) -> dict[str, Path]:
    """Write ``out_dir/<name>.json`` per part; the image ``file_name`` entries stay as they are.

    Args:
        json_path: the COCO file to split.
        parts: part name -> weight; images are shared out in proportion (at least one each).
        out_dir: where the part files go.
        seed: seed of the random assignment.

    Returns:
        Part name -> path of its COCO file.
    """
    coco = read_coco_json(Path(json_path))
    images = coco["images"]
    total_weight = sum(parts.values())
    if len(images) < len(parts):
        raise ValueError(f"{json_path} has {len(images)} images, too few for {len(parts)} parts")
    order = np.random.default_rng(seed).permutation(len(images)).tolist()
    out, start = {}, 0
    names = list(parts)
    for index, name in enumerate(names):
        count = (len(images) - start if index == len(names) - 1
                 else max(1, round(len(images) * parts[name] / total_weight)))
        chosen = {images[i]["id"] for i in order[start:start + count]}
        start += count
        part = {key: value for key, value in coco.items() if key not in ("images", "annotations")}
        part["images"] = [img for img in images if img["id"] in chosen]
        part["annotations"] = [a for a in coco["annotations"] if a["image_id"] in chosen]
        out[name] = Path(out_dir) / f"{name}.json"
        write_json_atomic(out[name], part)
    return out
