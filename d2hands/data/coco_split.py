"""Split one COCO file into seeded random parts (e.g. train / held-out), images kept in place."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ..errors import UsageError
from ..io_utils import check_outputs_spare_inputs, write_json_atomic
from .coco_format import read_coco_json

PART_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def check_parts(parts: dict[str, float]) -> None:
    """Refuse part names that are not plain file names and weights that are not finite > 0."""
    for name, weight in parts.items():
        if not PART_NAME.fullmatch(name) or name.endswith(".json"):
            raise UsageError(f"part name {name!r}: use letters, digits, '_', '-' and '.' only "
                             "(it names OUTPUT_DIR/<name>.json)")
        if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight > 0):
            raise UsageError(f"part {name!r}: its weight must be a finite number > 0, got "
                             f"{weight!r}")
    if len(parts) < 2:
        raise UsageError("split into at least two parts")


def part_sizes(num_images: int, weights: list[float]) -> list[int]:
    """Image counts in proportion to ``weights``, each at least 1, adding up to ``num_images``.

    Largest remainder: every part gets the floor of its share (at least 1), then the images
    left over go to the parts furthest below their share.
    """
    total = sum(weights)
    shares = [num_images * w / total for w in weights]
    sizes = [max(1, math.floor(s)) for s in shares]
    while sum(sizes) > num_images:  # the minimum of 1 took images: give back the most over
        over = max((i for i in range(len(sizes)) if sizes[i] > 1),
                   key=lambda i: sizes[i] - shares[i])
        sizes[over] -= 1
    while sum(sizes) < num_images:
        sizes[max(range(len(sizes)), key=lambda i: shares[i] - sizes[i])] += 1
    return sizes


def split_coco_file(json_path: str | Path, parts: dict[str, float], out_dir: str | Path,
                    seed: int = 0) -> dict[str, Path]:
    """Write ``out_dir/<name>.json`` per part; the image ``file_name`` entries stay as they are.

    Args:
        json_path: the COCO file to split.
        parts: part name -> weight; images are shared out in proportion (at least one each).
        out_dir: where the part files go.
        seed: seed of the random assignment.

    Returns:
        Part name -> path of its COCO file.

    Raises:
        UsageError: For bad part names or weights, too few images, or a part file that would
            overwrite the input.
        DatasetError: For an invalid COCO file.

    """
    check_parts(parts)
    names = list(parts)
    out = {name: Path(out_dir) / f"{name}.json" for name in names}
    check_outputs_spare_inputs({f"part {name}": path for name, path in out.items()},
                               {"COCO file": json_path})
    coco = read_coco_json(Path(json_path))
    images = coco["images"]
    if len(images) < len(parts):
        raise UsageError(f"{json_path} has {len(images)} images, too few for {len(parts)} parts "
                         "(each part gets at least one)")
    order = np.random.default_rng(seed).permutation(len(images)).tolist()
    start = 0
    sizes = part_sizes(len(images), [parts[n] for n in names])
    for name, count in zip(names, sizes, strict=True):
        chosen = {images[i]["id"] for i in order[start:start + count]}
        start += count
        part = {key: value for key, value in coco.items() if key not in ("images", "annotations")}
        part["images"] = [img for img in images if img["id"] in chosen]
        part["annotations"] = [a for a in coco["annotations"] if a["image_id"] in chosen]
        write_json_atomic(out[name], part)
    return out
