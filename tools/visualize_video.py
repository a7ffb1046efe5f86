"""Draw a model's hand masks on a video, a folder of images or a glob.

    python tools/visualize_video.py (--run DIR [--session K] | --config-file CFG --weights W) \
        --input IN --output OUT.mp4 [--score-thresh S] [--top-1] [--max-frames N] [--every K] \
        [--batch B] [--save-predictions FILE.json] [--contact-sheet PNG] [KEY VALUE ...]

The code lives in ``d2hands.predict.video_cli`` (also ``python -m d2hands.predict.video_cli``).
"""

from d2hands.cli import run_cli
from d2hands.predict.video_cli import main

if __name__ == "__main__":
    run_cli(main)
