"""Contact sheet: 12 rendered frames from both structures with their mask outlines, as one PNG.

Each hand's outline has its own colour (red, then blue).

Usage: ``python -m synth.contact_sheet DIR --output sheet.png`` on a render output folder (PNG
images), or ``render_poses.py ... --contact-sheet sheet.png`` right after rendering. With several
folders (``DIR1 DIR2 --count 4``) each folder gets its own rows, a grey bar between them: runs of
the same poses with other options, one above the other.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

from synth.argparsing import OneLineParser
from synth.imageio import read_png, write_png
from synth.rle import decode

TILES = 12
COLUMNS = 4
TILE_WIDTH = 400
OUTLINE_COLOURS = ((230, 20, 20), (20, 90, 230))


def pick_images(images: list[dict], count: int = TILES) -> list[dict]:
    """Spread ``count`` images evenly over the structures present (e.g. 6 L2 + 6 L11)."""
    groups: dict[str, list] = {}
    for im in sorted(images, key=lambda i: i["id"]):
        groups.setdefault(im.get("structure", "?"), []).append(im)
    picked, names = [], list(groups)  # in id order: L2 before L11
    for k, name in enumerate(names):
        want = count // len(names) + (1 if k < count % len(names) else 0)
        group = groups[name]
        idx = np.unique(np.linspace(0, len(group) - 1, min(want, len(group))).round().astype(int))
        picked += [group[i] for i in idx]
    return picked


def _outline(mask: np.ndarray) -> np.ndarray:
    edge = np.zeros_like(mask)
    edge[1:, :] |= mask[1:, :] != mask[:-1, :]
    edge[:, 1:] |= mask[:, 1:] != mask[:, :-1]
    return edge & mask


def write_contact_sheet(out_dir: str, sheet_path: str, count: int = TILES) -> str:
    """Tile ``count`` frames of a render folder (mask outline in red) into one PNG.

    Args:
        out_dir: Render output folder with ``annotations.json``.
        sheet_path: PNG to write.
        count: Number of frames.

    Returns:
        ``sheet_path``.

    """
    sheet = _sheet(out_dir, count)
    write_png(sheet_path, sheet, 6)
    return sheet_path


def write_comparison_sheet(out_dirs: list[str], sheet_path: str, count: int = TILES) -> str:
    """One block of rows per render folder (the same ``count`` picks in each), stacked."""
    sheets = [_sheet(d, count) for d in out_dirs]
    width = max(s.shape[1] for s in sheets)
    bar = np.full((12, width, 3), 160, np.uint8)
    blocks = []
    for k, sheet in enumerate(sheets):
        if k:
            blocks.append(bar)
        padded = np.full((sheet.shape[0], width, 3), 255, np.uint8)
        padded[:, :sheet.shape[1]] = sheet
        blocks.append(padded)
    write_png(sheet_path, np.concatenate(blocks), 6)
    return sheet_path


def _sheet(out_dir: str, count: int) -> np.ndarray:
    with open(os.path.join(out_dir, "annotations.json"), encoding="utf-8") as f:
        coco = json.load(f)
    anns: dict[int, list] = {}
    for a in coco["annotations"]:
        anns.setdefault(a["image_id"], []).append(a)
    tiles = []
    for im in pick_images(coco["images"], count):
        img = read_png(os.path.join(out_dir, im["file_name"])).copy()
        for k, ann in enumerate(anns.get(im["id"], [])):
            edge = _outline(decode(ann["segmentation"]))
            edge[1:] |= edge[:-1].copy()  # two pixels wide: still visible after downscaling
            edge[:, 1:] |= edge[:, :-1].copy()
            img[edge] = OUTLINE_COLOURS[k % len(OUTLINE_COLOURS)]
        step = max(1, img.shape[1] // TILE_WIDTH)
        tile = img[::step, ::step]
        tile[:2], tile[-2:], tile[:, :2], tile[:, -2:] = 160, 160, 160, 160
        tiles.append(tile)
    if not tiles:
        raise ValueError(f"{out_dir}: no images to show")
    h = max(t.shape[0] for t in tiles)
    w = max(t.shape[1] for t in tiles)
    rows = -(-len(tiles) // COLUMNS)
    sheet = np.full((rows * h, COLUMNS * w, 3), 255, np.uint8)
    for k, t in enumerate(tiles):
        r, c = divmod(k, COLUMNS)
        sheet[r * h:r * h + t.shape[0], c * w:c * w + t.shape[1]] = t
    return sheet


def main(argv=None) -> int:
    """CLI entry point."""
    ap = OneLineParser(prog="python -m synth.contact_sheet", description=__doc__)
    ap.add_argument("out_dirs", nargs="+", help="render folders (several: one block each)")
    ap.add_argument("--output", dest="out", required=True, help="PNG file to write")
    ap.add_argument("--count", type=int, default=TILES)
    args = ap.parse_args(argv)
    try:
        if len(args.out_dirs) == 1:
            write_contact_sheet(args.out_dirs[0], args.out, args.count)
        else:
            write_comparison_sheet(args.out_dirs, args.out, args.count)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
