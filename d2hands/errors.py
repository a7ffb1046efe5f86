"""The error family of d2hands (torch-free): every expected failure is a ``HandsError``.

Tools turn a ``HandsError`` into one ``error: ...`` line and exit status 2, and an I/O failure
into one line and exit status 1 (``d2hands.cli.run_cli``).
"""

from __future__ import annotations


class HandsError(ValueError):
    """Input d2hands cannot use as given; the message says what and where."""


class ModelLoadError(HandsError):
    """A checkpoint does not fit the model of the config (or cannot be read)."""


class UsageError(HandsError):
    """A tool was called with arguments it cannot use."""


class ConfigError(HandsError):
    """A config file or a ``KEY VALUE`` override cannot be used (bad YAML, unknown key, ...)."""


class UnsafeFileError(HandsError):
    """A file asks to run code when read (a YAML python tag, a pickled callable); never run."""


class TrainingDiverged(HandsError):
    """Training's losses or predicted boxes became Inf/NaN; the last checkpoint is kept."""
