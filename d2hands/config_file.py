"""Read config files safely: plain YAML only, ``_BASE_`` chains included; never run a tag.

detectron2's ``CfgNode.merge_from_file`` falls back to ``yaml.unsafe_load`` when a file holds a
python tag (``!!python/object/apply:os.system``), which runs code. Every config d2hands reads
(``--config-file``, ``_BASE_`` files, the ``config.yaml`` of a ``--run`` folder) goes through
:func:`merge_config_file`, which refuses such a file before anything is merged.
"""

from __future__ import annotations

import math
import os

import yaml

from .errors import ConfigError, UnsafeFileError

BASE_KEY = "_BASE_"
# yacs reports an unknown key with KeyError, a type clash with ValueError/AssertionError.
YACS_ERRORS = (KeyError, AssertionError, ValueError, TypeError, AttributeError)
MAX_BASE_DEPTH = 32


def _yacs_message(exc: Exception) -> str:
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    return " ".join(str(message).split())


def _mark(exc: yaml.MarkedYAMLError, path: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    return f"{path}, line {mark.line + 1}" if mark is not None else path


def read_yaml_mapping(path: str) -> dict:
    """Parse one YAML file with the safe loader and return its top-level mapping.

    Raises:
        UnsafeFileError: For a python (or any other non-plain) tag, naming file and line.
        ConfigError: If the file is missing, unreadable, not YAML, or not a mapping.

    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except yaml.constructor.ConstructorError as exc:
        raise UnsafeFileError(
            f"config {_mark(exc, path)}: {exc.problem}; d2hands reads plain YAML only and "
            "never runs code from a config") from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(f"config {_mark(exc, path)} is not valid YAML: {exc.problem}") from None
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(f"config {path} cannot be parsed: {type(exc).__name__}") from None
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config {path} is a folder, not a YAML file") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} holds a YAML {type(data).__name__}, not a mapping of "
                          "keys (MODEL:, INPUT:, ...)")
    return data


def check_config_chain(path: str, _seen: tuple[str, ...] = ()) -> None:
    """Parse ``path`` and every ``_BASE_`` it names (relative to it) with the safe loader.

    Raises:
        UnsafeFileError: If any file of the chain holds a tag that would run code.
        ConfigError: For a missing or bad file, a ``_BASE_`` loop or a chain too deep.

    """
    real = os.path.realpath(path)
    if real in _seen:
        raise ConfigError(f"config {path}: its _BASE_ chain includes itself")
    if len(_seen) >= MAX_BASE_DEPTH:
        raise ConfigError(f"config {path}: _BASE_ chain deeper than {MAX_BASE_DEPTH} files")
    data = read_yaml_mapping(path)
    bases = data.get(BASE_KEY) or []
    for base in bases if isinstance(bases, list) else [bases]:
        if not isinstance(base, str):
            raise ConfigError(f"config {path}: _BASE_ must name a file (or a list of files)")
        base = os.path.expanduser(base)
        if not os.path.isabs(base):
            base = os.path.join(os.path.dirname(path), base)
        if not os.path.isfile(base):
            raise ConfigError(f"config {path}: its _BASE_ file {base} does not exist")
        check_config_chain(base, (*_seen, real))


def merge_config_file(cfg, path: str) -> None:
    """Merge a config file (and its ``_BASE_`` chain) into ``cfg``, safely.

    Raises:
        UnsafeFileError: If a file of the chain holds a python tag (nothing is merged or run).
        ConfigError: For a missing or invalid file or a key the config does not have.

    """
    path = os.fspath(path)
    check_config_chain(path)
    try:
        cfg.merge_from_file(path, allow_unsafe=False)
    except YACS_ERRORS as exc:
        raise ConfigError(f"config {path}: {_yacs_message(exc)}") from None


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value)


# (key, test, what it must be): values no run can use, refused before anything starts.
_VALUE_CHECKS = (
    ("SOLVER.IMS_PER_BATCH", lambda v: isinstance(v, int) and v >= 1, "an integer >= 1"),
    ("SOLVER.MAX_ITER", lambda v: isinstance(v, int) and v >= 0, "an integer >= 0"),
    ("SOLVER.BASE_LR", lambda v: _finite(v) and v >= 0, "a finite number >= 0"),
    ("HANDS.SCORE_THRESH", lambda v: _finite(v) and 0 <= v <= 1, "a number in [0, 1]"),
    ("HANDS.EVAL_SCORE_THRESH", lambda v: _finite(v) and 0 <= v <= 1, "a number in [0, 1]"),
    ("HANDS.EVAL_IOU_THRESH", lambda v: _finite(v) and 0 < v <= 1, "a number in (0, 1]"),
    ("MODEL.ROI_HEADS.SCORE_THRESH_TEST", lambda v: _finite(v) and 0 <= v <= 1,
     "a number in [0, 1]"),
)


def check_config_values(cfg) -> None:
    """Refuse values of well-known keys that no run can use (a batch of 0, a NaN rate, ...).

    Raises:
        ConfigError: Naming the key, its value and what it must be.

    """
    for key, test, what in _VALUE_CHECKS:
        node = cfg
        for part in key.split("."):
            node = getattr(node, part, None)
        if node is not None and not test(node):
            raise ConfigError(f"{key} must be {what}, got {node!r}")


def merge_config_opts(cfg, opts: list[str]) -> None:
    """Merge trailing ``KEY VALUE`` overrides, refusing unknown keys and bad values in one line.

    Raises:
        ConfigError: Naming the override that does not fit.

    """
    try:
        cfg.merge_from_list(list(opts))
    except YACS_ERRORS as exc:
        raise ConfigError(f"config override {' '.join(map(str, opts))}: "
                          f"{_yacs_message(exc)}") from None
