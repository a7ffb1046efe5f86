"""Crop a model's false detections out of training photos or hand-free images, as a COCO set.

    python tools/mine_negatives.py --run runs/mine --coco real20.json --image-root photos/ \
        --output-dir runs/mined
"""

import sys

from d2hands.predict.mine_cli import main

if __name__ == "__main__":
    sys.exit(main())
