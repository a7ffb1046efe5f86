"""One exit policy for every tool: an expected failure is one ``error: ...`` line, no traceback.

Exit status 2: input the tool cannot use (a ``HandsError``: bad dataset, checkpoint, option, or
config key; a missing input file; an argparse error). Exit status 1: an I/O failure while
working (a folder that cannot be written, a full disk). Anything else, a plain ``KeyError`` or
``ValueError`` included, is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from .errors import HandsError, UsageError

__all__ = ["ArgumentParser", "UsageError", "cli_status", "exit_status", "one_line_errors",
           "run_cli"]

BAD_INPUT = (HandsError, FileNotFoundError, NotADirectoryError, IsADirectoryError)


def _one_line_error(parser: argparse.ArgumentParser, message: str):
    parser.exit(2, f"error: {message} (see {parser.prog} --help)\n")


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser whose errors are one ``error: ...`` line and exit status 2.

    Options are spelled out: no prefix abbreviations, so a removed spelling (``--out``) is an
    error rather than a silent match of another option.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        """Print one line (not usage + message) and exit 2."""
        _one_line_error(self, message)


def one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make an existing parser (detectron2's ``default_argument_parser()``) exit in one line."""
    parser.error = lambda message: _one_line_error(parser, message)
    return parser


def exit_status(exc: BaseException) -> int | None:
    """The exit status of an expected failure (2 bad input, 1 I/O), or None for a bug."""
    if isinstance(exc, BAD_INPUT):
        return 2
    if isinstance(exc, OSError):
        return 1
    return None


def error_line(exc: BaseException) -> str:
    """The one line a tool prints for an expected failure."""
    message = exc
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        message = f"{exc.strerror}: {exc.filename}"
    return "error: " + " ".join(str(message).split())


def run_cli(entry: Callable[[], Any]) -> Any:
    """Call ``entry``; print one ``error: ...`` line and exit 2 (bad input) or 1 (I/O).

    An ``int`` returned by ``entry`` becomes the exit status. Set ``D2HANDS_DEBUG=1`` to get
    the full traceback of expected errors too.
    """
    try:
        result = entry()
    except Exception as exc:
        status = exit_status(exc)
        if status is None or os.environ.get("D2HANDS_DEBUG"):
            raise
        print(error_line(exc), file=sys.stderr)
        sys.exit(status)
    if isinstance(result, int) and not isinstance(result, bool) and result:
        sys.exit(result)
    return result


def cli_status(entry: Callable[[], Any]) -> int:
    """Like :func:`run_cli`, but return the exit status instead of exiting (for ``main(argv)``).

    Returns:
        ``entry``'s result if it is an int, else 0; 2 or 1 after printing an expected error.

    """
    try:
        return run_cli(entry) or 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
