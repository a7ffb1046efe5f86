"""The protocol's rows: what each recipe adds, and its ``repetitive_train.py`` arguments.

Each row adds one thing to the row before it (``ROWS``); ``row_args`` gives a row's arguments
at one seed, trained on 20 real photos or on the nested subsets of 5 and 10.
"""

from __future__ import annotations

import json
from pathlib import Path

from protocol_data import REAL_PHOTOS, hdri_dir, register

CONFIG = "configs/hands_mnv2_fpn_cpu.yaml"
SCHEDULE = "all,all,3+,4+,heads"
COMMON = ["DATALOADER.NUM_WORKERS", "1", "DATASETS.TEST", '("val5",)']
# Each row: (what it adds, repetitive_train arguments builder key)
ROWS = {
    "real": "real photos only (20 train + 5 val)",
    "paper_rep": "+ paper-look renders, real x10, repetitive",
    "paper_conv": "paper-look renders + real x10, conventional (equal steps)",
    "photo": "+ photo-like renders (instead of paper-look)",
    "composite": "+ renders composited onto backgrounds",
    "copy_paste": "+ real-hand copy-paste",
    "lsj": "+ large scale jitter",
    "last_real": "+ a real-heavy last session (lr / 5)",
    "whole_real": "lsj + the real photos also kept whole (real20 x5 uncomposited)",
    "distractors": "whole_real + 0-3 non-hand cut-outs pasted like the hands, 4 blend modes",
    "distractor_shapes": "distractors without skin-coloured blobs (fist-like): shapes only",
    "match_light": "whole_real + pasted hands' light moved 0-60% towards their surroundings",
    "shapes_light": "distractor_shapes + pasted hands' light matched (match_light's range)",
    "hard_negatives": "whole_real + hand-free crops next to the real20 hands (x5), no label",
    "held": "distractor_shapes on renders whose hands hold things half the time "
            "(--held-objects 0.5)",
    "whole_more": "distractor_shapes with the whole real photos x15 (instead of x5)",
    "more_distractors": "distractor_shapes with 2-6 distractors per composite (instead of 0-3)",
    "long_decay": "distractor_shapes for twice the protocol's steps, its lr decayed over the "
                  "last two sessions (0.005 x 3, 0.0015, 0.0005)",
    "solids": "long_decay with a third kind of distractor: shaded solids of any colour "
              "(fruit-, crate-, cup-like objects)",
    "large_hands": "distractor_shapes with pasted hands (and distractors) up to 0.9 of the image "
                   "height (was 0.6)",
    "close_ups": "distractor_shapes with one paste in ten (hands and distractors) a close-up, "
                 "0.6-0.95 of the image height",
    "contained": "distractor_shapes' trained runs, scored with HANDS.SUPPRESS_CONTAINED 0.6 "
                 "(hands inside higher-scoring hands dropped; nothing trained)",
    "flip": "distractor_shapes' trained runs, scored with flip test-time augmentation "
            "(HANDS.FLIP_TTA; nothing trained)",
    "mined": "whole_real + crops of whole_real's false detections on real20 (same seed, x5)",
    "synthetic": "lsj without a real photo: renders on procedural backgrounds (licence-clean)",
    "synthetic_fast": "synthetic with a 64-channel FPN (half the exported cost)",
    "synthetic_long": "synthetic_fast with long_decay's levers that need no photo: 0-3 "
                      "distractor shapes, 4 blend modes, 6,000 steps with the lr decayed",
    "synthetic_close": "synthetic_fast with one paste in ten a close-up (0.6-0.95 of the image "
                       "height): its misses on own25 are large hands",
    "synthetic_hdri": "synthetic_fast with real scenes among the backgrounds: views of the 8 "
                      "CC0 HDRIs bundled with Blender beside the procedural ones",
    "long_hdri": "long_decay with views of Blender's 8 CC0 HDRIs among the backgrounds (real "
                 "scenes without hands: cars, furniture, fences, grass)",
    "mediapipe": "MediaPipe Hands 0.10.21 (hull masks)",
}
# Rows without a real training photo: the real-photo curve's 0 (issue 36).
NO_REAL_ROWS = ("synthetic", "synthetic_fast", "synthetic_long", "synthetic_close",
                "synthetic_hdri", "mediapipe")
# Rows built on another row's trained model at the same seed (20 photos only).
TEACHERS = {"mined": "whole_real"}
# Rows that train nothing (experiments/protocol_reuse.py): row -> (the row whose trained run
# it scores, the KEY VALUE opts it adds at test time).
EVAL_ONLY = {
    # 0.6: the best mean of val5 + valcomp's best-threshold F1 over 0.5-0.9, distractor_shapes
    # seeds 0-2 (docs/RESULTS.md, levers)
    "contained": ("distractor_shapes", ["HANDS.SUPPRESS_CONTAINED", "0.6"]),
    # flip test-time augmentation, its threshold chosen with it on (measured before at the
    # distractors row's threshold only)
    "flip": ("distractor_shapes", ["HANDS.FLIP_TTA", "True"]),
}
# whole_more: real20 kept whole x15, so that whole photos are ~40% of a session's images, not ~18%
WHOLE_MORE = 15.0
# more_distractors: distractors per composite, min and max (distractor_shapes: 0-3, about as
# many as the 1-3 hands); more non-hands than hands, so that looking pasted says less
MORE_DISTRACTORS = (2, 6)
# long_decay: steps per session as a multiple of the protocol's, and each session's lr; one of
# the last two sessions is nearly always chosen (under-training?); the 6,000 steps
LONG_STEPS = 2
LONG_LR = (0.005, 0.005, 0.005, 0.0015, 0.0005)
# large_hands: the largest pasted cut-out's box (hands and distractors alike), as a fraction
# of the canvas height (default 0.6)
LARGE_HANDS = 0.9
# close_ups: the share of pastes drawn from the close-up size range (its default, 0.6-0.95);
# every other size loses a tenth of its share, where large_hands' wider range took 40%
CLOSE_UPS = 0.1
# distractors: 0-3 non-hand cut-outs per composite, pasted with 4 blend modes (Dwibedi et al.);
# distractor_shapes: the same without the skin-coloured blobs
DISTRACTORS = ["HANDS.COMPOSITE.DISTRACTORS", "[0, 3]",
               "HANDS.COMPOSITE.BLEND_MODES", '["none", "feather", "gaussian", "poisson"]']
SHAPE_KINDS = ["HANDS.COMPOSITE.DISTRACTOR_KINDS", '["blob", "silhouette"]']
SHAPES = [*DISTRACTORS, *SHAPE_KINDS]
MINE_SCORE = 0.3  # below the chosen thresholds (0.8-0.9): near-misses are mined too


def mined_dir(out: Path, seed: int) -> Path:
    """Where the ``mined`` row's negatives of one seed are written (by its teacher's model)."""
    return out / "mined" / run_name(TEACHERS["mined"], seed)


def run_name(row: str, seed: int, photos: int = REAL_PHOTOS) -> str:
    """A row-seed's run, eval and record name (``<row>_p<N>_s<seed>`` with fewer photos)."""
    return f"{row}_s{seed}" if photos == REAL_PHOTOS else f"{row}_p{photos}_s{seed}"


def row_args(row: str, out: Path, steps: int, seed: int, photos: int = REAL_PHOTOS) -> list[str]:
    """repetitive_train.py arguments of a row at one seed, trained on ``photos`` real photos.

    Fewer photos than 20: the same arguments with ``real20`` (its set, its copy and its
    inpainted backgrounds) replaced by the nested subset ``real5`` or ``real10``.
    """
    if photos != REAL_PHOTOS:
        if row in NO_REAL_ROWS:
            raise ValueError(f"row {row} trains on no real photo; --real-photos does not apply")
        if row in TEACHERS:
            raise ValueError(f"row {row} is measured with 20 real photos only")
        return [a.replace("real20", f"real{photos}")
                for a in row_args(row, out, steps, seed)]
    base = ["--seed", str(seed), "--select", "val", *COMMON, "SEED", str(seed),
            "DATASETS.REGISTER", register(out)]
    per = str(steps // len(SCHEDULE.split(",")))
    chain = ["--subsets", "5", "--schedule", SCHEDULE, "--iters", per]
    if row == "real":
        return ["--subsets", "1", "--schedule", "all", "--iters", str(steps), *base,
                "DATASETS.TRAIN", '("real20",)']
    if row == "synthetic":  # nothing the project may not ship: renders, procedural backgrounds
        return chain + base + [
            "DATASETS.TRAIN", '("photo",)', "HANDS.SUBSET_DATASET", "photo",
            "HANDS.COMPOSITE.ENABLED", "True", "HANDS.COMPOSITE.DATASETS", '["photo"]',
            "HANDS.COMPOSITE.BACKGROUNDS", '["procedural"]', "HANDS.SCALE_JITTER.ENABLED", "True"]
    if row == "synthetic_fast":  # the exported path's 2x speed target (docs/BENCHMARKS.md)
        return [*row_args("synthetic", out, steps, seed), "MODEL.FPN.OUT_CHANNELS", "64"]
    if row == "synthetic_long":  # a default model to ship: the best recipe, less the photos
        return longer([*row_args("synthetic_fast", out, steps, seed), *SHAPES])
    if row == "synthetic_close":  # renders-only models miss own25's large, close hands
        return [*row_args("synthetic_fast", out, steps, seed),
                "HANDS.COMPOSITE.CLOSE_UP_PROB", str(CLOSE_UPS)]
    if row == "synthetic_hdri":  # renders-only models fire on sleeves and miss plain hands
        return with_opts(row_args("synthetic_fast", out, steps, seed), {
            "HANDS.COMPOSITE.BACKGROUNDS": json.dumps(["procedural", str(hdri_dir(out))])})
    renders = "paper" if row in ("paper_rep", "paper_conv") else "photo"
    args = chain + (["--conventional"] if row == "paper_conv" else []) + base + [
        "DATASETS.TRAIN", f'("{renders}", "real20")', "DATASETS.REPLICATION",
        '[["real20", 10.0]]', "HANDS.SUBSET_DATASET", renders]
    order = ["composite", "copy_paste", "lsj", "last_real"]
    if row == "whole_real":  # lsj, plus real20 again under a name compositing leaves alone
        return with_opts(row_args("lsj", out, steps, seed), {
            "DATASETS.TRAIN": f'("{renders}", "real20", "real20_comp")',
            "DATASETS.REPLICATION": '[["real20", 10.0], ["real20_comp", 5.0]]'})
    if row == "distractors":  # Dwibedi et al. 2017: what looks pasted is not always a hand
        return [*row_args("whole_real", out, steps, seed), *DISTRACTORS]
    if row in EVAL_ONLY:  # trains nothing: the weights are its source row's (protocol_reuse)
        return row_args(EVAL_ONLY[row][0], out, steps, seed)
    if row == "distractor_shapes":  # distractors lost fists; a skin blob looks like a fist
        return [*row_args("distractors", out, steps, seed), *SHAPE_KINDS]
    if row == "match_light":  # less pasted-looking hands (issue 36)
        return [*row_args("whole_real", out, steps, seed), "HANDS.COMPOSITE.MATCH_LIGHT",
                "[0.0, 0.6]"]
    if row == "shapes_light":  # match_light cut own25's and multi's false detections (issue 36)
        return [*row_args("distractor_shapes", out, steps, seed), "HANDS.COMPOSITE.MATCH_LIGHT",
                "[0.0, 0.6]"]
    if row == "hard_negatives":  # what sits beside a hand (sleeve, arm, objects) is not one
        real20 = json.loads(register(out))[0]
        args = with_set(row_args("whole_real", out, steps, seed), out,
                        ["real20_neg", *real20[1:]], {  # real20's photos under a third name
            "DATASETS.TRAIN": f'("{renders}", "real20", "real20_comp", "real20_neg")',
            "DATASETS.REPLICATION": '[["real20", 10.0], ["real20_comp", 5.0], '
                                    '["real20_neg", 5.0]]'})
        return [*args, "HANDS.HARD_NEGATIVES.DATASETS", '["real20_neg"]']
    if row == "whole_more":  # the mix of whole photos and composites (issue 36)
        return with_opts(row_args("distractor_shapes", out, steps, seed), {
            "DATASETS.REPLICATION": f'[["real20", 10.0], ["real20_comp", {WHOLE_MORE}]]'})
    if row == "more_distractors":  # own25's false detections: salient non-hands (issue 36)
        return with_opts(row_args("distractor_shapes", out, steps, seed), {
            "HANDS.COMPOSITE.DISTRACTORS": f"{list(MORE_DISTRACTORS)}"})
    if row == "long_decay":  # one of the last two sessions is nearly always chosen
        return longer(row_args("distractor_shapes", out, steps, seed))
    if row == "long_hdri":  # own25's false detections are salient real objects (issue 36)
        return with_opts(row_args("long_decay", out, steps, seed), {
            "HANDS.COMPOSITE.BACKGROUNDS": json.dumps(
                ["procedural", "inpainted:real20", str(hdri_dir(out))])})
    if row == "solids":  # long_decay's own25 false detections: a fire picture, a crate, an apple
        return with_opts(row_args("long_decay", out, steps, seed), {
            "HANDS.COMPOSITE.DISTRACTOR_KINDS": '["blob", "silhouette", "solid"]'})
    if row == "large_hands":  # close-ups: missed or split into parts (own25 79, 81, 82)
        return [*row_args("distractor_shapes", out, steps, seed), "HANDS.COMPOSITE.HAND_SIZE",
                f"[0.15, {LARGE_HANDS}]"]
    if row == "close_ups":  # large_hands found the close-ups but lost small hands and fists
        return [*row_args("distractor_shapes", out, steps, seed),
                "HANDS.COMPOSITE.CLOSE_UP_PROB", str(CLOSE_UPS)]
    if row == "held":  # hands partly hidden by what they hold are still hands (issue 36)
        held = out / "photo_held"
        return with_set(row_args("distractor_shapes", out, steps, seed), out,
                        ["photo_held", str(held / "annotations.json"), str(held)], {
            "DATASETS.TRAIN": '("photo_held", "real20", "real20_comp")',
            "HANDS.SUBSET_DATASET": "photo_held",
            "HANDS.COMPOSITE.DATASETS": '["photo_held", "real20"]'})
    if row == "mined":  # the model's own false detections on its training photos (issue 36)
        mined = mined_dir(out, seed)
        args = with_set(row_args("whole_real", out, steps, seed), out,
                        ["mined", str(mined / "annotations.json"), str(mined)], {
            "DATASETS.TRAIN": f'("{renders}", "real20", "real20_comp", "mined")',
            "DATASETS.REPLICATION": '[["real20", 10.0], ["real20_comp", 5.0], ["mined", 5.0]]'})
        return [*args, "DATALOADER.FILTER_EMPTY_ANNOTATIONS", "False"]
    if row not in order:
        return args
    added = order[:order.index(row) + 1]
    composited = '["photo", "real20"]' if "copy_paste" in added else '["photo"]'
    args += ["HANDS.COMPOSITE.ENABLED", "True", "HANDS.COMPOSITE.DATASETS", composited,
             "HANDS.COMPOSITE.BACKGROUNDS", '["procedural", "inpainted:real20"]']
    if "lsj" in added:
        args += ["HANDS.SCALE_JITTER.ENABLED", "True"]
    if "last_real" in added:
        lr = 0.005
        args[args.index("--iters"):args.index("--iters")] = [
            "--lr", ",".join([str(lr)] * 4 + [str(lr / 5)]),
            "--session-data", "last=real20_comp:1"]
        args[args.index("HANDS.COMPOSITE.DATASETS") + 1] = '["photo", "real20", "real20_comp"]'
    return args


def longer(args: list[str]) -> list[str]:
    """A chain's arguments with ``long_decay``'s schedule: more steps per session, lr decayed."""
    args = list(args)
    at = args.index("--iters")
    args[at + 1] = str(LONG_STEPS * int(args[at + 1]))
    args[at:at] = ["--lr", ",".join(str(lr) for lr in LONG_LR)]
    return args


def with_set(args: list[str], out: Path, entry: list[str], values: dict[str, str]
             ) -> list[str]:
    """``with_opts``, with one more set (``[name, json, image root]``) registered."""
    register_all = json.dumps([*json.loads(register(out)), entry])
    return with_opts(args, {"DATASETS.REGISTER": register_all, **values})


def with_opts(args: list[str], values: dict[str, str]) -> list[str]:
    """``args`` with the values of some trailing ``KEY VALUE`` options replaced."""
    args = list(args)
    for key, value in values.items():
        args[args.index(key) + 1] = value
    return args
