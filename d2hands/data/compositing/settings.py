"""The compositing settings (``HANDS.COMPOSITE.*``), read from a config and checked once."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ...errors import HandsError

BLEND_MODES = ("none", "feather", "gaussian", "poisson")  # see paste.paste
DISTRACTOR_KINDS = ("blob", "silhouette", "skin blob")  # the default; see distractors.py
KNOWN_DISTRACTOR_KINDS = (*DISTRACTOR_KINDS, "solid")  # solid: opt-in (issue 36)


class CompositeConfigError(HandsError):
    """A ``HANDS.COMPOSITE`` key has a value compositing cannot use."""


@dataclass(frozen=True)
class CompositeSettings:
    """Everything one composite needs to know; see docs/COMPOSITING.md for each field."""

    prob: float = 1.0
    datasets: tuple[str, ...] = ()
    hand_sources: tuple[str, ...] = ()
    backgrounds: tuple[str, ...] = ("procedural",)
    size: tuple[int, int] = (320, 448)
    hands_per_image: tuple[int, int] = (1, 3)
    negative_prob: float = 0.1
    hand_size: tuple[float, float] = (0.15, 0.6)
    close_up_prob: float = 0.0
    close_up_size: tuple[float, float] = (0.6, 0.95)
    rotation: tuple[float, float] = (-90.0, 90.0)
    flip_prob: float = 0.5
    outside: float = 0.3
    hue: float = 8.0
    saturation: float = 0.25
    brightness: float = 0.25
    contrast: float = 0.25
    blur_prob: float = 0.2
    blur_sigma: tuple[float, float] = (0.5, 1.5)
    feather: float = 1.0
    min_area: int = 64
    noise_prob: float = 0.3
    noise_sigma: tuple[float, float] = (2.0, 8.0)
    jpeg_prob: float = 0.3
    jpeg_quality: tuple[int, int] = (40, 95)
    gray_prob: float = 0.05
    distractors: tuple[int, int] = (0, 0)
    distractor_kinds: tuple[str, ...] = DISTRACTOR_KINDS
    blend_modes: tuple[str, ...] = ("feather",)
    match_light: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self):
        problems = _problems(self)
        if problems:
            raise CompositeConfigError("HANDS.COMPOSITE: " + "; ".join(problems))

    def replace(self, **changes) -> CompositeSettings:
        """A copy with some fields changed (checked again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return CompositeSettings(**values)


def composited_datasets(cfg) -> set[str]:
    """The training sets whose images are composited: ``DATASETS`` or all (none when off)."""
    composite = cfg.HANDS.COMPOSITE
    if not composite.ENABLED:
        return set()
    return set(composite.DATASETS) or set(cfg.DATASETS.TRAIN)


def _pair(value, name: str, kind=float) -> tuple:
    """``[low, high]`` of finite numbers as a tuple of ``kind``, or a message naming the key."""
    try:
        if len(value) != 2:
            raise ValueError
        pair = kind(value[0]), kind(value[1])
    except (TypeError, ValueError, OverflowError):
        raise CompositeConfigError(f"HANDS.COMPOSITE.{name} is [low, high] (two numbers), got "
                                   f"{value!r}") from None
    if not all(math.isfinite(v) for v in pair):
        raise CompositeConfigError(f"HANDS.COMPOSITE.{name} needs finite numbers, got "
                                   f"{list(pair)}")
    return pair


def settings_from_cfg(cfg) -> CompositeSettings:
    """Read ``cfg.HANDS.COMPOSITE`` into checked settings.

    Raises:
        CompositeConfigError: naming every key whose value cannot be used.

    """
    c = cfg.HANDS.COMPOSITE
    return CompositeSettings(
        prob=float(c.PROB), datasets=tuple(c.DATASETS), hand_sources=tuple(c.HAND_SOURCES),
        backgrounds=tuple(c.BACKGROUNDS), size=_pair(c.SIZE, "SIZE", int),
        hands_per_image=_pair(c.HANDS_PER_IMAGE, "HANDS_PER_IMAGE", int),
        negative_prob=float(c.NEGATIVE_PROB), hand_size=_pair(c.HAND_SIZE, "HAND_SIZE"),
        close_up_prob=float(c.CLOSE_UP_PROB), close_up_size=_pair(c.CLOSE_UP_SIZE, "CLOSE_UP_SIZE"),
        rotation=_pair(c.ROTATION, "ROTATION"), flip_prob=float(c.FLIP_PROB),
        outside=float(c.OUTSIDE), hue=float(c.HUE), saturation=float(c.SATURATION),
        brightness=float(c.BRIGHTNESS), contrast=float(c.CONTRAST),
        blur_prob=float(c.BLUR_PROB), blur_sigma=_pair(c.BLUR_SIGMA, "BLUR_SIGMA"),
        feather=float(c.FEATHER), min_area=int(c.MIN_AREA), noise_prob=float(c.NOISE_PROB),
        noise_sigma=_pair(c.NOISE_SIGMA, "NOISE_SIGMA"), jpeg_prob=float(c.JPEG_PROB),
        jpeg_quality=_pair(c.JPEG_QUALITY, "JPEG_QUALITY", int), gray_prob=float(c.GRAY_PROB),
        distractors=_pair(c.DISTRACTORS, "DISTRACTORS", int),
        distractor_kinds=tuple(str(k) for k in c.DISTRACTOR_KINDS),
        blend_modes=tuple(str(m) for m in c.BLEND_MODES),
        match_light=_pair(c.MATCH_LIGHT, "MATCH_LIGHT"))


def _problems(s: CompositeSettings) -> list[str]:
    problems = []
    for name in ("prob", "negative_prob", "close_up_prob", "flip_prob", "blur_prob",
                 "noise_prob", "jpeg_prob", "gray_prob"):
        if not 0.0 <= getattr(s, name) <= 1.0:
            problems.append(f"{name.upper()} is a probability in [0, 1], got {getattr(s, name)}")
    low, high = s.hands_per_image
    if not 0 <= low <= high:
        problems.append(f"HANDS_PER_IMAGE needs 0 <= min <= max, got [{low}, {high}]")
    if min(s.size) < 16:
        problems.append(f"SIZE (height, width) must be at least 16 px each, got {list(s.size)}")
    for name in ("hand_size", "close_up_size"):  # a box's longer side / the image height
        low, high = getattr(s, name)
        if not 0 < low <= high <= 1:
            problems.append(f"{name.upper()} needs 0 < low <= high <= 1, got {[low, high]}")
    if not 0.0 <= s.outside < 0.5:
        problems.append(f"OUTSIDE is the largest share of a hand outside the frame, in [0, 0.5),"
                        f" got {s.outside}")
    unknown = [k for k in s.distractor_kinds if k not in KNOWN_DISTRACTOR_KINDS]
    if unknown or not s.distractor_kinds:
        problems.append(f"DISTRACTOR_KINDS lists one or more of "
                        f"{list(KNOWN_DISTRACTOR_KINDS)}, got {list(s.distractor_kinds)}")
    if not 0.0 <= s.match_light[0] <= s.match_light[1] <= 1.0:
        problems.append(f"MATCH_LIGHT needs 0 <= low <= high <= 1, got {list(s.match_light)}")
    for name in ("rotation", "blur_sigma", "noise_sigma", "jpeg_quality"):
        low, high = getattr(s, name)
        if low > high:
            problems.append(f"{name.upper()} needs low <= high, got [{low}, {high}]")
    if not 1 <= s.jpeg_quality[0] <= s.jpeg_quality[1] <= 100:
        problems.append(f"JPEG_QUALITY lies in 1..100, got {list(s.jpeg_quality)}")
    for name in ("hue", "saturation", "brightness", "contrast", "feather", "min_area"):
        if getattr(s, name) < 0:
            problems.append(f"{name.upper()} cannot be negative, got {getattr(s, name)}")
    if s.saturation >= 1 or s.brightness >= 1 or s.contrast >= 1:
        problems.append("SATURATION, BRIGHTNESS and CONTRAST are relative changes below 1")
    if min(s.blur_sigma) < 0 or min(s.noise_sigma) < 0:
        problems.append("BLUR_SIGMA and NOISE_SIGMA cannot be negative")
    if not 0 <= s.distractors[0] <= s.distractors[1] <= 20:
        problems.append(f"DISTRACTORS needs 0 <= min <= max <= 20, got {list(s.distractors)}")
    unknown = [m for m in s.blend_modes if m not in BLEND_MODES]
    if unknown or not s.blend_modes:
        problems.append(f"BLEND_MODES are some of {list(BLEND_MODES)}, got "
                        f"{list(s.blend_modes)}")
    if not s.backgrounds:
        problems.append("BACKGROUNDS is empty: name folders, 'procedural' or "
                        "'inpainted:<dataset>'")
    if s.hands_per_image[1] == 0 and s.negative_prob < 1:
        problems.append("HANDS_PER_IMAGE [0, 0] pastes no hand: every composite would be a "
                        "negative; set NEGATIVE_PROB 1.0 if that is meant")
    return problems
