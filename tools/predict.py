"""Segment the hands in photos, a folder, a glob, a video or a webcam (``d2hands-predict``).

    python tools/predict.py --input photo.jpg --output-dir out/     # the default model
    python tools/predict.py --input clip.mp4 --video-output clip_hands.mp4 --run runs/mine
"""

import sys

from d2hands.predict.cli import main

if __name__ == "__main__":
    sys.exit(main())
