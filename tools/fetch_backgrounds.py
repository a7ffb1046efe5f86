"""Copy licence-clean background photos out of the scikit-image wheel (PyPI) for compositing.

    python tools/fetch_backgrounds.py [--output-dir .cache/backgrounds/skimage] [--wheel W.whl]

Without ``--wheel``, ``pip download scikit-image --no-deps`` fetches the wheel from the package
index. Only images whose licence scikit-image documents as CC0 or public domain, and that show
no people, are copied; ``LICENSES.md`` beside them names each. Use the folder in
``HANDS.COMPOSITE.BACKGROUNDS`` (docs/COMPOSITING.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from d2hands.cli import ArgumentParser, run_cli
from d2hands.data.compositing.photo_collections import download_wheel, extract
from d2hands.errors import UsageError


def main(argv=None) -> list[Path]:
    """Command-line entry point."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path(".cache/backgrounds/skimage"))
    parser.add_argument("--wheel", type=Path, help="a scikit-image wheel already downloaded")
    args = parser.parse_args(argv)
    if args.wheel is not None:
        if not args.wheel.is_file():
            raise UsageError(f"--wheel {args.wheel} does not exist")
        written = extract(args.wheel, args.output_dir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            written = extract(download_wheel(Path(tmp)), args.output_dir)
    print(f"wrote {len(written)} background images and LICENSES.md to {args.output_dir}")
    return written


if __name__ == "__main__":
    run_cli(main)
