"""Generated fixtures: tiny COCO hand sets and clips with known masks, for tests and trials.

    python -m d2hands.testing.toy out/toy --num-images 32
    python -m d2hands.testing.toy_clip out/clip
"""
