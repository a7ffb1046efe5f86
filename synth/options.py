"""Command line of ``synth/render_poses.py``: parsing and validation before any rendering.

No bpy here, so bad input fails in a fraction of a second with ``error: ...`` and exit status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass

from synth.option_values import (
    OptionError,
    check_background,
    check_writable,
    fraction,
    hand_size,
    number,
    resolution,
    value_range,
)
from synth.pose import DEFAULT_SEED, DEFAULT_STEP, STRUCTURES, axis_values

DEFAULT_SAMPLES = {"workbench": 1, "cycles": 8, "eevee": 16}
WORKBENCH_AA = (0, 1, 5, 8, 11, 16, 32)


@dataclass
class Options:
    """Validated settings of one render run (see ``build_parser`` for their meaning)."""

    out: str
    structures: tuple
    step: float
    resolution: tuple
    engine: str
    samples: int
    limit: int
    shard: tuple
    seed: int
    image_format: str
    png_level: int
    jpeg_quality: int
    background: str
    skin_tone: tuple
    light_jitter: float
    scale_range: tuple
    left_hand_prob: float
    workers: int
    rle: str
    contact_sheet: str | None
    quiet: bool
    worker: tuple
    keep_rgba: bool = False
    hide_forearm: bool = False
    sequence: int = 0
    preset: str = "paper"
    mask_extent: str = "hand+forearm"
    forearm: str = "skin"
    view: str = "front"
    hand_size: tuple = (0.05, 0.6)
    hands_per_image: str = "1"
    held_objects: float = 0.0

    @property
    def photo(self) -> bool:
        """True for the photo look (placed hands), False for the paper's fixed camera."""
        return self.preset == "photo"


# Defaults per preset; an option given on the command line wins.
PRESETS = {
    "photo": {"mask_extent": "hand", "forearm": "mixed", "view": "mixed",
              "hand_size": "0.05,0.6", "hands_per_image": "mixed", "skin_tone": "0,1",
              "light_jitter": "30", "scale_range": "1", "left_hand_prob": "0"},
    "paper": {"mask_extent": "hand+forearm", "forearm": "skin", "view": "front",
              "hand_size": None, "hands_per_image": "1", "skin_tone": "0.2",
              "light_jitter": "0", "scale_range": "1", "left_hand_prob": "0"},
}
CHOICES = {"mask_extent": ("hand", "hand+forearm"), "forearm": ("skin", "sleeve", "mixed"),
           "view": ("front", "egocentric", "mixed"), "hands_per_image": ("1", "2", "mixed")}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise OptionError(message)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (all values arrive as strings and are checked later)."""
    ap = _Parser(
        prog="render_poses.py",
        description="Render the L2/L11 pose grid of a right hand with exact COCO masks.")
    add = ap.add_argument
    add("--output-dir", dest="out", required=True,
        help="output folder (images/, annotations.json)")
    add("--structures", default=",".join(STRUCTURES), help="comma list of L2, L11")
    add("--step", default=str(DEFAULT_STEP), help="grid step in degrees (divides 360)")
    add("--resolution", default="1280x720", help="WIDTHxHEIGHT")
    add("--engine", default="workbench", help="workbench (fast, default), cycles or eevee")
    add("--samples", default=None, help="workbench AA samples (1 = off) or render samples")
    add("--limit", default="0", help="render N poses spread evenly over the list (0 = all)")
    add("--shard", default="0/1", help="K/N: render every N-th pose from the K-th (0-based)")
    add("--seed", default=str(DEFAULT_SEED), help="seed of the finger schedule and randomisation")
    add("--image-format", default="png", help="png or jpg")
    add("--png-level", default="1", help="zlib level of PNGs, 0-9")
    add("--jpeg-quality", default="95", help="JPEG quality, 1-100")
    add("--preset", default="photo",
        help="photo (default: hands as people photograph them) or paper (the paper's look: one "
             "right hand, front views, forearm in the mask)")
    add("--mask-extent", default=None, help="hand (mask stops at the wrist) or hand+forearm")
    add("--forearm", default=None, help="skin, sleeve or mixed (photo default: mixed)")
    add("--view", default=None, help="front, egocentric or mixed (photo default: mixed)")
    add("--hand-size", default=None,
        help="LO,HI: hand length as a fraction of the image height, in (0, 1] (photo default: "
             "0.05,0.6, log-uniform)")
    add("--hands-per-image", default=None, help="1, 2 or mixed (photo default: mixed)")
    add("--background", default="white", help="white, procedural, or a folder of images")
    add("--skin-tone", default=None,
        help="T or LO,HI in [0, 1] (0 light, 1 dark); default 0,1 (paper: 0.2)")
    add("--light-jitter", default=None,
        help="random light rotation, +- degrees; default 30 (paper: 0)")
    add("--scale-range", default=None,
        help="paper preset: S or LO,HI, apparent hand size (camera distance)")
    add("--left-hand-prob", default=None,
        help="paper preset: probability of mirroring into a left hand")
    add("--held-objects", default="0",
        help="photo preset: probability that a hand holds a card, phone, box, cup or puzzle "
             "piece, which hides part of it (default 0)")
    add("--workers", default="1", help="render processes on this machine")
    add("--rle", default="compressed", help="compressed (COCO strings) or list counts")
    add("--contact-sheet", default=None, help="also write a PNG sheet of the rendered frames")
    add("--quiet", action="store_true", help="no progress lines")
    add("--keep-rgba", action="store_true", help="also keep the raw RGBA renders in DIR/rgba/")
    add("--hide-forearm", action="store_true", help="render the hand without its forearm")
    add("--sequence", default="0",
        help="render N frames along a smooth path (a clip with known masks) instead of the grid")
    add("--worker", default="0/1", help=argparse.SUPPRESS)
    return ap


def parse_options(argv: list[str]) -> Options:
    """Parse and validate the command line.

    Args:
        argv: Arguments without the program name.

    Returns:
        Validated options.

    Raises:
        OptionError: On any bad or missing value.

    """
    a = build_parser().parse_args(argv)
    if a.preset not in PRESETS:
        raise OptionError(f"unknown --preset {a.preset!r}; choose photo or paper")
    preset = PRESETS[a.preset]
    held_objects = number(a.held_objects, "--held-objects", float, 0.0, 1.0)
    if a.preset == "paper":
        for key in ("view", "hand_size", "hands_per_image"):
            if getattr(a, key) is not None:
                flag = "--" + key.replace("_", "-")
                raise OptionError(f"{flag} needs --preset photo (the paper preset renders one "
                                  "right hand in front views at --scale-range)")
        if held_objects:
            raise OptionError("--held-objects needs --preset photo")
        if a.forearm not in (None, "skin"):
            raise OptionError("--forearm sleeve/mixed needs --preset photo (the paper hand "
                              "has a bare forearm)")
    else:
        for key, flag in (("scale_range", "--scale-range"), ("left_hand_prob",
                                                              "--left-hand-prob")):
            if getattr(a, key) is not None:
                raise OptionError(f"{flag} belongs to --preset paper; the photo preset sizes "
                                  "hands with --hand-size and draws left hands itself")
    for key, default in preset.items():
        if getattr(a, key) is None:
            setattr(a, key, default)
    for key, allowed in CHOICES.items():
        if getattr(a, key) not in allowed:
            flag = "--" + key.replace("_", "-")
            raise OptionError(f"{flag} takes {', '.join(allowed)}, got {getattr(a, key)!r}")
    structures = tuple(s.strip() for s in a.structures.split(",") if s.strip())
    bad = [s for s in structures if s not in STRUCTURES]
    if not structures or bad:
        raise OptionError(f"--structures takes {', '.join(STRUCTURES)}, got {a.structures!r}")
    step = number(a.step, "--step", float, 0.01, 360)
    try:
        axis_values(step)
    except ValueError as exc:
        raise OptionError(f"--step: {exc}") from None
    engine = a.engine.lower()
    if engine not in DEFAULT_SAMPLES:
        raise OptionError(f"unknown --engine {a.engine!r}; choose workbench, cycles or eevee")
    samples = DEFAULT_SAMPLES[engine] if a.samples is None else number(
        a.samples, "--samples", int, 0, 4096)
    if engine == "workbench" and samples not in WORKBENCH_AA:
        raise OptionError(f"workbench --samples must be one of {WORKBENCH_AA}, got {samples}")
    image_format = a.image_format.lower().replace("jpeg", "jpg")
    if image_format not in ("png", "jpg"):
        raise OptionError(f"--image-format must be png or jpg, got {a.image_format!r}")
    if a.rle not in ("compressed", "list"):
        raise OptionError(f"--rle must be compressed or list, got {a.rle!r}")
    opts = Options(
        out=os.path.abspath(a.out), structures=structures, step=step,
        resolution=resolution(a.resolution), engine=engine, samples=samples,
        limit=number(a.limit, "--limit", int, 0), shard=fraction(a.shard, "--shard"),
        seed=number(a.seed, "--seed", int, 0, 2**31 - 1), image_format=image_format,
        png_level=number(a.png_level, "--png-level", int, 0, 9),
        jpeg_quality=number(a.jpeg_quality, "--jpeg-quality", int, 1, 100),
        background=check_background(a.background),
        skin_tone=value_range(a.skin_tone, "--skin-tone", 0.0, 1.0),
        light_jitter=number(a.light_jitter, "--light-jitter", float, 0.0, 180.0),
        scale_range=value_range(a.scale_range, "--scale-range", 0.1, 10.0),
        left_hand_prob=number(a.left_hand_prob, "--left-hand-prob", float, 0.0, 1.0),
        workers=number(a.workers, "--workers", int, 1, 64), rle=a.rle,
        contact_sheet=os.path.abspath(a.contact_sheet) if a.contact_sheet else None,
        quiet=a.quiet, worker=fraction(a.worker, "--worker"), keep_rgba=a.keep_rgba,
        hide_forearm=a.hide_forearm, sequence=number(a.sequence, "--sequence", int, 0, 10**6),
        preset=a.preset, mask_extent=a.mask_extent, forearm=a.forearm, view=a.view,
        hand_size=hand_size(a.hand_size), hands_per_image=a.hands_per_image,
        held_objects=held_objects)
    if opts.sequence:
        opts = dataclasses.replace(opts, structures=("L11",))
    check_writable(opts.out)
    if opts.contact_sheet:
        check_writable(os.path.dirname(opts.contact_sheet))
    return opts
