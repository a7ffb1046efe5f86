"""argparse for synth's command lines: an error is one ``error: ...`` line and exit status 2."""

from __future__ import annotations

import argparse


class OneLineParser(argparse.ArgumentParser):
    """A parser whose errors are one ``error: ...`` line and exit status 2 (no usage dump).

    Options are spelled out (no prefix abbreviations): a removed spelling is an error.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        """Print one line and exit 2."""
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")
