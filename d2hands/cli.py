"""Turn expected failures of a command-line tool into one clear line instead of a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from .data.errors import DatasetError
from .errors import HandsError


class UsageError(HandsError):
    """A tool was called with arguments it cannot use."""


EXPECTED_ERRORS = (HandsError, DatasetError, UsageError, ValueError, FileNotFoundError,
                   PermissionError, KeyError)


def run_cli(entry: Callable[[], Any]) -> Any:
    """Call ``entry``; print ``error: ...`` and exit 2 for bad input, re-raise anything else.

    Set ``D2HANDS_DEBUG=1`` to get the full traceback of expected errors too.
    """
    try:
        return entry()
    except EXPECTED_ERRORS as exc:
        if os.environ.get("D2HANDS_DEBUG"):
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)

