"""The protocol's data: renders, real splits, held-out and validation sets, their registration.

Training uses renders and at most the 25 ``own25_train`` photos: 20 to train on (``real20``) and
5 to validate on (``val5``), with ``valcomp`` (``val5``'s hands composited onto procedural
backgrounds) beside them. Held out, never used to choose anything: ``own25_test``,
``fist_100`` and ``multi`` (the ``own25_test`` hands pasted 1-4 per image onto scikit-image's
CC0 photos, which no training run uses).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from synth_to_real import PY, REAL, run

RENDER = ["--resolution", "384x288", "--workers", "2", "--quiet", "--keep-rgba", "--seed", "1"]
# The held row's renders: the photo look's layouts, half the hands holding something.
HELD_OBJECTS = 0.5
# Real training photos: real20, and its nested subsets real10 and real5 (the real-photo curve).
REAL_PHOTOS = 20
REAL_SUBSETS = (5, 10, 20)
# The sets a session is chosen on (tools/choose_session.py): the F1 curve pools them.
VALIDATION = ("val5", "valcomp")
# The test input sizes (shorter side) the chosen session is scored at; its best is kept.
TEST_SIZES = (256, 320, 416)


def prepare(out: Path, renders: int, log: Path, rows: list[str]) -> None:
    """The renders the rows train on (paper, photo, photo holding things) and the real sets."""
    looks = {"paper" if row in ("paper_rep", "paper_conv") else "photo" for row in rows
             if row not in ("real", "mediapipe")}
    if "held" in rows:
        looks.add("photo_held")
    for name, preset, extra in (("paper", "paper", []), ("photo", "photo", []),
                                ("photo_held", "photo", ["--held-objects", HELD_OBJECTS])):
        if name in looks and not (out / name / "annotations.json").exists():
            run([PY, "synth/render_poses.py", "--output-dir", out / name, "--limit", renders,
                 "--preset", preset, *RENDER, *extra], log)
    if "photo_held" in looks:
        check_held_renders(out)
    if {"synthetic_hdri", "long_hdri"} & set(rows) and not (hdri_dir(out) / "LICENSES.md").exists():
        run([PY, "tools/fetch_backgrounds.py", "--source", "blender-hdri", "--output-dir",
             hdri_dir(out)], log)
    prepare_real_sets(out, log)


def hdri_dir(out: Path) -> Path:
    """Views of Blender's CC0 HDRIs (``fetch_backgrounds.py --source blender-hdri``)."""
    return out / "hdri"


def check_held_renders(out: Path) -> None:
    """Stop where the ``held`` row's renders were made with another ``--held-objects``."""
    settings = out / "photo_held" / "run.json"
    if json.loads(settings.read_text()).get("held_objects") != HELD_OBJECTS:
        sys.exit(f"error: {settings.parent} was rendered with another --held-objects than "
                 f"{HELD_OBJECTS}; move it aside so that the protocol renders it again")


def prepare_real_sets(out: Path, log: Path) -> None:
    """The real splits (real20 and its subsets, val5, own25_test), fist_100, multi, valcomp."""
    real = out / "real"
    if not (real / "own50.json").exists():
        run([PY, "tools/prepare_real.py", "--images", REAL / "own_hands_50" / "images",
             "--masks", REAL / "own_hands_50" / "masks", "--output", real / "own50.json"], log)
    if not (real / "own25_test.json").exists():
        run([PY, "tools/split_dataset.py", real / "own50.json", "--parts", "own25_train=1",
             "own25_test=1", "--output-dir", real, "--seed", 0], log)
    if not (real / "val5.json").exists():
        run([PY, "tools/split_dataset.py", real / "own25_train.json", "--parts", "real20=4",
             "val5=1", "--output-dir", real, "--seed", 0], log)
    nested_subsets(real, log)
    if not (real / "fist100.json").exists():
        run([PY, "tools/prepare_real.py", "--images", REAL / "fist_100" / "images", "--masks",
             REAL / "fist_100" / "masks", "--output", real / "fist100.json"], log)
    backgrounds = out / "backgrounds"
    if not (backgrounds / "LICENSES.md").exists():
        run([PY, "tools/fetch_backgrounds.py", "--output-dir", backgrounds], log)
    if not (out / "multi" / "annotations.json").exists():
        run([PY, "tools/compose_dataset.py", "--coco", real / "own25_test.json", "--image-root",
             REAL / "own_hands_50" / "images", "--backgrounds", backgrounds, "--num-images",
             100, "--hands", "1,4", "--seed", 0, "--output-dir", out / "multi"], log)
    if not (out / "valcomp" / "annotations.json").exists():
        # Validation beyond val5's 5 photos: its own (untrained) hands, 1-3 per image, on
        # procedural backgrounds (no held-out set uses them), a fifth of images hand-free.
        run([PY, "tools/compose_dataset.py", "--coco", real / "val5.json", "--image-root",
             REAL / "own_hands_50" / "images", "--backgrounds", "procedural", "--num-images",
             60, "--hands", "1,3", "--negatives", 0.2, "--seed", 5, "--output-dir",
             out / "valcomp"], log)


def nested_subsets(real: Path, log: Path) -> None:
    """``real10.json`` (half of ``real20``) and ``real5.json`` (half of that), seeded."""
    for small, large in ((10, 20), (5, 10)):
        if not (real / f"real{small}.json").exists():
            run([PY, "tools/split_dataset.py", real / f"real{large}.json", "--parts",
                 f"real{small}=1", f"rest{small}=1", "--output-dir", real, "--seed", 0], log)


def register(out: Path) -> str:
    """DATASETS.REGISTER of every set a row may train or validate on."""
    photos = str(REAL / "own_hands_50" / "images")
    entries = [["real20", str(out / "real" / "real20.json"), photos],
               ["real20_comp", str(out / "real" / "real20.json"), photos],
               ["val5", str(out / "real" / "val5.json"), photos],
               ["paper", str(out / "paper" / "annotations.json"), str(out / "paper")],
               ["photo", str(out / "photo" / "annotations.json"), str(out / "photo")]]
    return json.dumps(entries)


def validation_register(out: Path) -> str:
    """DATASETS.REGISTER of ``valcomp``, for choosing sessions (added to the run's own sets).

    Kept out of training's opts so that runs started before ``valcomp`` existed still resume.
    """
    return json.dumps([["valcomp", str(out / "valcomp" / "annotations.json"),
                        str(out / "valcomp")]])


def held_out(out: Path, name: str) -> list[str]:
    """evaluate.py ground-truth arguments of a held-out set."""
    if name == "own25":
        return ["--coco", out / "real" / "own25_test.json", "--image-root",
                REAL / "own_hands_50" / "images"]
    if name == "fist100":
        return ["--coco", out / "real" / "fist100.json", "--image-root",
                REAL / "fist_100" / "images"]
    return ["--coco", out / "multi" / "annotations.json", "--image-root", out / "multi"]
