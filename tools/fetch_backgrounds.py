"""Write licence-clean background photos for compositing, from files the package index ships.

    python tools/fetch_backgrounds.py [--output-dir .cache/backgrounds/skimage] [--wheel W.whl]
    python tools/fetch_backgrounds.py --source blender-hdri [--views 24] [--output-dir DIR]

``--source skimage`` (default): the scikit-image wheel's photos (``pip download scikit-image
--no-deps`` without ``--wheel``); only those whose licence scikit-image documents as CC0 or
public domain, and that show no people. ``--source blender-hdri``: random camera views of the
eight CC0 360-degree photos bundled with Blender (the ``bpy`` that ``make setup`` installs), real
scenes a shipped model may be trained on. ``LICENSES.md`` beside the images names each source.
Use the folder in ``HANDS.COMPOSITE.BACKGROUNDS`` (docs/COMPOSITING.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from d2hands.cli import ArgumentParser, run_cli
from d2hands.data.compositing.hdri_views import blender_hdri_dir, write_views
from d2hands.data.compositing.photo_collections import download_wheel, extract
from d2hands.errors import UsageError
from d2hands.io_utils import check_outputs_spare_inputs

SOURCES = ("skimage", "blender-hdri")


def main(argv=None) -> list[Path]:
    """Command-line entry point."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=SOURCES, default="skimage")
    parser.add_argument("--output-dir", type=Path,
                        help="default: .cache/backgrounds/<source>")
    parser.add_argument("--wheel", type=Path, help="skimage: a scikit-image wheel already "
                        "downloaded")
    parser.add_argument("--views", type=int, default=24, help="blender-hdri: views per HDRI")
    parser.add_argument("--hdri-dir", type=Path, help="blender-hdri: Blender's "
                        "studiolights/world folder (default: the installed bpy's)")
    parser.add_argument("--seed", type=int, default=0, help="blender-hdri: seed of the views")
    args = parser.parse_args(argv)
    out = args.output_dir or Path(".cache/backgrounds") / args.source
    if args.source == "blender-hdri":
        if args.wheel is not None:
            raise UsageError("--wheel belongs to --source skimage")
        if not 1 <= args.views <= 1000:
            raise UsageError(f"--views must be 1-1000, got {args.views}")
        source = args.hdri_dir or blender_hdri_dir()
        if not source.is_dir():
            raise UsageError(f"--hdri-dir {source} is not a folder")
        check_outputs_spare_inputs({"--output-dir": out}, {"--hdri-dir": source})
        written = write_views(source, out, args.views, args.seed)
    elif args.wheel is not None:
        if not args.wheel.is_file():
            raise UsageError(f"--wheel {args.wheel} does not exist")
        written = extract(args.wheel, out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            written = extract(download_wheel(Path(tmp)), out)
    print(f"wrote {len(written)} background images and LICENSES.md to {out}")
    return written


if __name__ == "__main__":
    run_cli(main)
