"""The README's picture: the default model's masks on photo-look renders pasted onto CC0 photos.

Everything in the picture may ship: the project's own renders (``--preset photo``) composited by
``tools/compose_dataset.py`` onto scikit-image's CC0 photographs, then ``tools/predict.py``
with the default model; its overlays are tiled 2 x 2.

    python experiments/readme_picture.py --protocol runs/protocol  # after protocol.py ran once
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from d2hands.io_utils import write_bytes_atomic  # noqa: E402

PHOTOS = ["coffee.png", "chelsea.png"]


def tile(image, size=(480, 360)):
    """The centre of ``image`` at the tile's aspect ratio, resized to the tile."""
    height, width = image.shape[:2]
    crop_w = min(width, height * size[0] // size[1])
    crop_h = min(height, width * size[1] // size[0])
    x, y = (width - crop_w) // 2, (height - crop_h) // 2
    return cv2.resize(image[y:y + crop_h, x:x + crop_w], size, interpolation=cv2.INTER_AREA)


def main() -> None:
    """Compose, predict and tile into ``docs/readme_predictions.jpg``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", type=Path, default=ROOT / "runs" / "protocol",
                        help="a protocol folder holding photo/ renders and backgrounds/")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "readme_predictions.jpg")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    backgrounds = work / "backgrounds"
    backgrounds.mkdir()
    for name in PHOTOS:
        (backgrounds / name).symlink_to(args.protocol / "backgrounds" / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, str(ROOT / "tools" / "compose_dataset.py"), "--coco",
                    str(args.protocol / "photo" / "annotations.json"), "--image-root",
                    str(args.protocol / "photo"), "--backgrounds", str(backgrounds),
                    "--num-images", "4", "--hands", "1,2", "--seed", str(args.seed),
                    "--output-dir", str(work / "composites")], check=True, env=env)
    subprocess.run([sys.executable, str(ROOT / "tools" / "predict.py"), "--input",
                    str(work / "composites" / "images"), "--output-dir", str(work / "out")],
                   check=True, env=env)
    overlays = [tile(cv2.imread(str(p))) for p in sorted((work / "out").glob("*_overlay.jpg"))[:4]]
    tiled = cv2.vconcat([cv2.hconcat(overlays[:2]), cv2.hconcat(overlays[2:])])
    ok, jpg = cv2.imencode(".jpg", tiled, [cv2.IMWRITE_JPEG_QUALITY, 85])
    write_bytes_atomic(args.output, jpg.tobytes())
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
