"""Render the synthetic hand data set (entry point; Blender binary or bpy wheel).

Usage::

    blender -b -P synth/render_poses.py -- --output-dir DIR [options]
    python synth/render_poses.py --output-dir DIR [options]

Both do the same; ``--help`` lists the options. Writes ``DIR/images/<structure>/<id>.png``,
``DIR/records/`` (one file per finished frame, for resuming) and ``DIR/annotations.json``.
Bad input prints one ``error: ...`` line and exits with status 2 before anything renders.
"""

from __future__ import annotations

import glob
import os
import sys

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _in_blender_binary() -> bool:
    """Return True when run as ``blender -b -P render_poses.py -- ...``."""
    return any(a in ("-P", "--python") for a in sys.argv) and "--" in sys.argv


def _bootstrap() -> None:
    """Make ``synth`` importable and find numpy when Blender's Python lacks it."""
    if _REPO not in sys.path:
        sys.path.insert(0, _REPO)
    try:
        import numpy  # noqa: F401
    except ImportError:
        # Debian's blender runs the system Python, often without numpy: borrow the project's
        # virtual environment when its Python version matches.
        ver = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        roots = [os.environ.get("VIRTUAL_ENV", ""), os.path.join(_REPO, ".venv")]
        for root in filter(None, roots):
            for site in glob.glob(os.path.join(root, "lib", ver, "site-packages")):
                sys.path.append(site)
        try:
            import numpy  # noqa: F401,F811
        except ImportError:
            print("error: numpy is missing in this Python; install it (Debian: apt-get install "
                  "python3-numpy) or create the project's .venv", file=sys.stderr)
            sys.exit(2)


def _script_args() -> list[str]:
    if _in_blender_binary():
        return sys.argv[sys.argv.index("--") + 1:]
    return sys.argv[1:]


def _launcher() -> list[str]:
    """Command prefix that starts this script again the same way (for worker processes)."""
    script = os.path.abspath(__file__)
    if _in_blender_binary():
        return [sys.argv[0], "-b", "--factory-startup", "-P", script, "--"]
    return [sys.executable, script]


def main() -> int:
    """Parse the command line, render, and return the exit status."""
    _bootstrap()
    from synth.options import OptionError, parse_options
    from synth.runner import run

    argv = _script_args()
    try:
        opts = parse_options(argv)
        return run(opts, _launcher(), argv)
    except OptionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an I/O failure while rendering (disk full, folder gone): status 1
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    try:
        status = main()
    except SystemExit:
        raise
    except BaseException:  # Blender ignores uncaught exceptions in -P scripts (exit 0)
        import traceback

        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(status)
