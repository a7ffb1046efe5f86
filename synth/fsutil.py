"""Atomic file writes: write a temporary sibling, then rename over the target."""

from __future__ import annotations

import json
import os
import tempfile

_UMASK = os.umask(0)
os.umask(_UMASK)

def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    Args:
        path: Destination file.
        data: File contents.

    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_json(path: str, obj, indent: int | None = None) -> None:
    """Serialise ``obj`` as JSON and write it atomically (see :func:`atomic_write_bytes`)."""
    text = json.dumps(obj, indent=indent, separators=None if indent else (",", ":"))
    atomic_write_bytes(path, text.encode("utf-8"))


def remove_stale_temps(directory: str) -> int:
    """Delete leftover ``.tmp-*`` files of a killed run below ``directory``; return how many."""
    removed = 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            if name.startswith(".tmp-"):
                os.remove(os.path.join(root, name))
                removed += 1
    return removed
