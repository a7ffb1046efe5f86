"""A rendered test clip: ``synth/render_poses.py --sequence N`` frames encoded to MP4.

One photo-look hand in front view (its arm, sleeve and size stay the same over the clip), the
mask stopping at the wrist.

Writes ``OUT/render/`` (the frames and their COCO file), ``OUT/clip.mp4`` and
``OUT/annotations.json`` whose image ids are frame indices (0-based), as
``tools/visualize_video.py --save-predictions`` numbers them, with ``file_name`` relative to
``OUT``.

    python -m d2hands.demo.synth_clip OUT [--frames 48] [--resolution 320x180] [--background DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import cv2

from ..io_utils import write_json_atomic
from ..resources import render_script
from ..video.writer import SafeVideoWriter


def write_synth_clip(out_dir: str | Path, frames: int = 48, resolution: str = "320x180",
                     fps: float = 12.0, background: str | None = None, seed: int = 0,
                     log: Path | None = None) -> Path:
    """Render (or resume rendering) the clip and encode it; return the MP4's path.

    Args:
        out_dir: output folder.
        frames: number of frames along the path.
        resolution: ``WIDTHxHEIGHT``.
        fps: frame rate of the MP4.
        background: a folder with background photo(s); white if None.
        seed: seed of the finger states along the path.
        log: a file that takes Blender's output (default: the console).
    """
    out_dir = Path(out_dir)
    render = out_dir / "render"
    command = [sys.executable, str(render_script()), "--output-dir", str(render),
               "--sequence", str(frames), "--resolution", resolution, "--seed", str(seed),
               "--view", "front", "--hands-per-image", "1", "--quiet"]
    if background:
        command += ["--background", str(background)]
    run_logged(command, log, "rendering the clip")
    coco = json.loads((render / "annotations.json").read_text())
    images = sorted(coco["images"], key=lambda img: img["pose_id"])
    frame_of = {img["id"]: img["pose_id"] for img in images}
    width, height = images[0]["width"], images[0]["height"]
    with SafeVideoWriter(out_dir / "clip.mp4", fps, (width, height)) as writer:
        for img in images:
            writer.write(cv2.imread(str(render / img["file_name"]), cv2.IMREAD_COLOR))
    clip_coco = dict(coco)
    clip_coco["images"] = [dict(img, id=img["pose_id"], file_name=f"render/{img['file_name']}")
                           for img in images]
    clip_coco["annotations"] = [dict(a, image_id=frame_of[a["image_id"]])
                                for a in coco["annotations"]]
    write_json_atomic(out_dir / "annotations.json", clip_coco)
    return out_dir / "clip.mp4"


def run_logged(command: list[str], log: Path | None, what: str) -> None:
    """Run a command, its output appended to ``log`` (or on the console if None).

    Raises:
        ChildProcessError: If it fails; the message names the log.

    """
    if log is None:
        result = subprocess.run(command)
    else:
        with open(log, "a") as handle:
            result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode:
        where = f"; see {log}" if log else ""
        raise ChildProcessError(f"{what} failed (exit status {result.returncode}){where}")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--resolution", default="320x180")
    parser.add_argument("--fps", type=float, default=12.0)
    parser.add_argument("--background", default=None, help="folder of background photo(s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write_synth_clip(args.out_dir, args.frames, args.resolution, args.fps,
                           args.background, args.seed))


if __name__ == "__main__":
    main()
