"""Merge the outputs of several shards into one COCO file with unique ids.

Usage: ``python -m synth.merge DIR/shard0 DIR/shard1 ... --output DIR/annotations.json``. The merged
file must sit in a folder that contains every shard folder; image paths are rewritten relative to
it (use that folder as the image root, e.g. ``shard0/images/L2/000012.png``); images and
annotations are renumbered 1..N in (pose id, shard order) order; the same pose appearing in
two shards, or shards rendered with different options (preset, view, mask extent, ...: every
setting of ``run.json`` but the shard), is an error.
"""

from __future__ import annotations

import json
import os
import sys

from synth.argparsing import OneLineParser
from synth.fsutil import atomic_write_json
from synth.records import ANNOTATIONS, CATEGORY

SHARD_KEYS = ("shard",)


def _is_shard_coco(coco) -> bool:
    if not isinstance(coco, dict) or not isinstance(coco.get("info", {}), dict):
        return False
    lists = [coco.get(k) for k in ("images", "annotations", "categories")]
    if not all(isinstance(v, list) and all(isinstance(e, dict) for e in v) for v in lists):
        return False
    ids = [im.get("id") for im in coco["images"]] + [a.get("image_id")
                                                     for a in coco["annotations"]]
    return all(isinstance(i, int) and not isinstance(i, bool) for i in ids) and all(
        isinstance(im.get("file_name"), str) for im in coco["images"])


def merge(dirs: list[str], out_json: str) -> dict:
    """Merge shard folders.

    Args:
        dirs: Shard output folders, each with ``annotations.json``.
        out_json: Merged COCO file to write.

    Returns:
        The merged COCO dict.

    Raises:
        ValueError: On a missing or malformed shard file, a shard outside the merged file's
            folder, or a pose rendered twice.
    """
    root = os.path.dirname(os.path.abspath(out_json))
    for d in dirs:
        if os.path.realpath(os.path.join(d, ANNOTATIONS)) == os.path.realpath(out_json):
            raise ValueError(f"--output {out_json} is the annotations file of the shard {d} "
                             "and would overwrite it; write the merged file next to the shards")
        if os.path.relpath(os.path.abspath(d), root).startswith(".."):
            raise ValueError(f"shard {d!r} is not inside {root!r}, the merged file's folder "
                             "(the image root); write the merged file next to the shards")
    entries, seen, settings = [], {}, None
    for order, d in enumerate(dirs):
        path = os.path.join(d, ANNOTATIONS)
        try:
            with open(path, encoding="utf-8") as f:
                coco = json.load(f)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise ValueError(f"{path}: {type(exc).__name__}: {exc}") from None
        if not _is_shard_coco(coco):
            raise ValueError(f"{path} is not a COCO file of a render (a JSON object with "
                             "'images', 'annotations' and 'categories' lists)")
        if [c.get("name") for c in coco.get("categories", [])] != [CATEGORY["name"]]:
            raise ValueError(f"{path}: expected the single category 'hand'")
        own = {k: v for k, v in coco.get("info", {}).get("settings", {}).items()
               if k not in SHARD_KEYS}
        if settings is None:
            settings, first = own, d
        elif own != settings:
            diff = sorted(k for k in set(own) | set(settings) if own.get(k) != settings.get(k))
            raise ValueError(f"{d} was rendered with other options than {first} "
                             f"({', '.join(diff)}); merge shards of one run only")
        anns: dict[int, list] = {}
        for a in coco["annotations"]:
            anns.setdefault(a["image_id"], []).append(a)
        for im in coco["images"]:
            key = (im.get("structure"), im.get("pose_id", im["id"]))
            if key in seen:
                raise ValueError(f"pose {key} is in both {seen[key]} and {d}")
            seen[key] = d
            entries.append((im.get("pose_id", im["id"]), order, d, im, anns.get(im["id"], [])))
    entries.sort(key=lambda e: (e[0], e[1]))
    images, annotations = [], []
    for new_id, (_pid, _order, d, im, anns) in enumerate(entries, start=1):
        im = dict(im, id=new_id)
        src = os.path.abspath(os.path.join(d, im["file_name"]))
        im["file_name"] = os.path.relpath(src, root).replace(os.sep, "/")
        images.append(im)
        for a in anns:
            annotations.append(dict(a, id=len(annotations) + 1, image_id=new_id))
    merged = {"info": {"description": "d2hands synthetic hands, merged shards",
                       "shards": [os.path.abspath(d) for d in dirs],
                       "settings": dict(settings or {}, shard=None)},
              "images": images, "annotations": annotations,
              "categories": coco.get("categories", [CATEGORY])}
    os.makedirs(root, exist_ok=True)
    atomic_write_json(out_json, merged)
    return merged


def main(argv=None) -> int:
    """CLI entry point."""
    ap = OneLineParser(prog="python -m synth.merge", description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="+", help="shard output folders")
    ap.add_argument("--output", dest="out", required=True,
                    help="merged annotations.json to write")
    args = ap.parse_args(argv)
    try:
        merged = merge(args.dirs, args.out)
    except ValueError as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)
        return 2
    except OSError as exc:  # writing the merged file failed: an I/O error, status 1
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"merged {len(args.dirs)} shards: {len(merged['images'])} images, "
          f"{len(merged['annotations'])} annotations -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
