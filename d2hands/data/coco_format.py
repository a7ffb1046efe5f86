"""The hands COCO format: one torch-free reader that parses and validates every dataset.

Training, ``tools/inspect_data.py``, evaluation and the video tools all read COCO files here,
so a file is accepted or refused the same way everywhere, with a :class:`DatasetError` that
names the first offending entries. The detectron2 dataset dicts (``coco_hands.py``) and the
evaluation's ground truth sit on top of :class:`HandsCoco`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from .coco_checks import annotation_mask, category_ids, id_problem, image_problem, is_int
from .errors import DatasetError, ProblemList
from .image_checks import probe_images, resolve_inside


@dataclass(frozen=True)
class ImageInfo:
    """One image of a dataset."""

    id: Any
    file_name: str
    height: int
    width: int


@dataclass
class HandsCoco:
    """A validated hands COCO dataset.

    Attributes:
        dataset: A copy of the COCO dict as pycocotools expects it: annotations get missing
            ``id``, ``iscrowd`` (0), ``area`` and ``bbox`` (from the mask) filled in, and
            uncompressed RLEs are compressed.
        images: Images by id, in the order of the file.
        hands: Compressed RLEs (``counts`` as bytes) of the hands, i.e. annotations with
            ``iscrowd`` 0 of any category, by image id; every image has an entry.
        category_ids: The ids of the categories, in file order.
        source: The JSON file, if read from one.
        paths: Resolved image paths by image id, when an image root was given.

    """

    dataset: dict
    images: dict[Any, ImageInfo]
    hands: dict[Any, list[dict]]
    category_ids: list
    source: str | None = None
    paths: dict[Any, Path] = field(default_factory=dict)
    _coco: COCO | None = field(default=None, repr=False)

    def coco(self) -> COCO:
        """Return a pycocotools COCO object for ``dataset`` (built once, quietly)."""
        if self._coco is None:
            coco = COCO()
            coco.dataset = self.dataset
            with contextlib.redirect_stdout(io.StringIO()):
                coco.createIndex()
            self._coco = coco
        return self._coco


def read_coco_json(json_path: str | os.PathLike) -> dict[str, Any]:
    """Parse a COCO JSON file and check its top level (``images``, ``annotations``, ...).

    Raises:
        DatasetError: For a missing, unreadable or invalid file.

    """
    source = os.fspath(json_path)
    try:
        with open(source, encoding="utf-8") as handle:
            coco = json.load(handle)
    except FileNotFoundError:
        raise DatasetError(source, [("file not found", source)]) from None
    except json.JSONDecodeError as exc:
        raise DatasetError(source, [("invalid JSON", f"{exc.msg} at line {exc.lineno} "
                                     f"column {exc.colno}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(source, [("unreadable file", str(exc))]) from None
    except RecursionError:
        raise DatasetError(source, [("invalid COCO file", "JSON nested too deeply")]) from None
    _check_top_level(coco, source)
    return coco


def _check_top_level(coco: Any, source: str) -> None:
    if not isinstance(coco, dict):
        raise DatasetError(source, [("invalid COCO file", "top level is not an object")])
    missing = [key for key in ("images", "annotations", "categories")
               if not isinstance(coco.get(key), list)]
    if missing:
        raise DatasetError(source, [("invalid COCO file", f"no {k!r} list") for k in missing])


def _read_images(entries: list, image_root: Path | None, problems: ProblemList
                 ) -> tuple[dict[Any, ImageInfo], dict[Any, Path]]:
    images: dict[Any, ImageInfo] = {}
    paths: dict[Any, Path] = {}
    for index, img in enumerate(entries):
        where = f"images[{index}]" + (f" (id {img['id']!r})" if isinstance(img, dict)
                                      and "id" in img else "")
        problem = image_problem(img)
        if problem is None and img["id"] in images:
            problem = "duplicate image id"
        if problem is None and image_root is not None and not img.get("file_name"):
            problem = "image entry has no 'file_name'"
        if problem:
            problems.add(problem, where)
            continue
        name = str(img.get("file_name") or img["id"])
        if image_root is not None:
            path = resolve_inside(image_root, name)
            if path is None:
                problems.add("file_name escapes the image root", name)
                continue
            paths[img["id"]] = path
        images[img["id"]] = ImageInfo(img["id"], name, img["height"], img["width"])
    return images, paths


def _check_files(images: dict[Any, ImageInfo], paths: dict[Any, Path],
                 problems: ProblemList) -> None:
    ids = list(paths)
    for image_id, (size, problem) in zip(ids, probe_images([paths[i] for i in ids]), strict=True):
        img = images[image_id]
        if problem:
            problems.add(problem, str(paths[image_id]))
        elif size != (img.width, img.height):
            problems.add("image size differs from the JSON",
                         f"{img.file_name} is {size[0]}x{size[1]}, JSON says "
                         f"{img.width}x{img.height}")


def _read_annotations(entries: list, images: dict[Any, ImageInfo], cats: set,
                      problems: ProblemList) -> tuple[list[dict], dict[Any, list[dict]]]:
    hands: dict[Any, list[dict]] = {i: [] for i in images}
    anns: list[dict] = []
    used = [a["id"] for a in entries if isinstance(a, dict) and is_int(a.get("id"))]
    next_id = max(used, default=0) + 1
    seen: set = set()
    for index, ann in enumerate(entries):
        if not isinstance(ann, dict):
            problems.add("annotation is not an object", f"annotations[{index}]")
            continue
        where = (f"annotations[{index}] (id {ann.get('id')!r:.40}, image_id "
                 f"{ann.get('image_id')!r:.40})")
        missing = [k for k in ("image_id", "category_id", "segmentation") if k not in ann]
        if missing:
            problems.add(f"annotation without {' and '.join(map(repr, missing))} (hands need "
                         "masks)", where)
            continue
        problem = id_problem(ann)
        if problem:
            problems.add(problem, where)
            continue
        img = images.get(ann["image_id"])
        if img is None:
            problems.add("image_id is not in 'images'", where)
            continue
        where = f"{where} of {img.file_name}"
        if ann["category_id"] not in cats:
            problems.add("unknown category id", f"{ann['category_id']!r} in {where}")
            continue
        if "id" in ann and ann["id"] in seen:
            problems.add("duplicate annotation id", where)
            continue
        rle, problem = annotation_mask(ann, img.height, img.width)
        if problem:
            problems.add(problem, where)
            continue
        out = dict(ann)
        if "id" not in out:
            out["id"], next_id = next_id, next_id + 1
        seen.add(out["id"])
        out["iscrowd"] = ann.get("iscrowd", 0)
        out.setdefault("area", float(mask_utils.area(rle)))
        out.setdefault("bbox", [float(v) for v in mask_utils.toBbox(rle)])
        if isinstance(ann["segmentation"], dict):
            out["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
        anns.append(out)
        if not out["iscrowd"]:
            hands[img.id].append(rle)
    if anns and all(a["iscrowd"] for a in anns):
        problems.add("every annotation is a crowd region (iscrowd 1), which training and "
                     "evaluation ignore, so the set has no hand", f"{len(anns)} annotations; "
                     "some exporters (CVAT) write masks that way: set iscrowd to 0")
    return anns, hands


def load_coco(data: str | os.PathLike | dict, image_root: str | os.PathLike | None = None,
              one_category: bool = False, check_files: bool = True,
              source: str | None = None) -> HandsCoco:
    """Read and validate a hands COCO dataset.

    Every check either reader had: the top level; positive integer image sizes; unique image
    and annotation ids; ``file_name`` entries that stay inside the image root; known image and
    category ids; a mask on every annotation (polygons of 3+ finite points inside the image,
    or RLE at the image's size whose run lengths add up to height * width); non-empty masks;
    boxes inside the image; finite areas; and, with an image root, every image present,
    decodable, complete and of the size the JSON says.

    Args:
        data: A COCO JSON file or the parsed dict (not modified).
        image_root: The folder ``file_name`` entries are relative to; None when no image is read.
        one_category: Require exactly one category (training's ``hand``).
        check_files: With an image root, open every image's header.
        source: How to name the dataset in messages (default: the file, else "dataset").

    Returns:
        The validated dataset.

    Raises:
        DatasetError: Naming the first offending files or entries.

    """
    if isinstance(data, (str, os.PathLike)):
        source = source or os.fspath(data)
        coco = read_coco_json(data)
    else:
        source = source or "dataset"
        _check_top_level(data, source)
        coco = data
    problems = ProblemList(source)
    cats = category_ids(coco["categories"], one_category, problems)
    root = Path(image_root) if image_root is not None else None
    images, paths = _read_images(coco["images"], root, problems)
    if root is not None and check_files:
        _check_files(images, paths, problems)
    anns, hands = _read_annotations(coco["annotations"], images, cats, problems)
    problems.raise_if_any()
    dataset = dict(coco, annotations=anns, images=[dict(i) for i in coco["images"]],
                   categories=[dict(c) for c in coco["categories"]])
    is_file = isinstance(data, (str, os.PathLike))
    return HandsCoco(dataset, images, hands, [c["id"] for c in coco["categories"]],
                     source if is_file else None, paths)
