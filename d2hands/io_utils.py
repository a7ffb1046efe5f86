"""Atomic writes: a file appears complete under its final name, or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, then rename it over ``path``.

    The file gets the mode a plain ``open()`` would give it (0666 less the umask, so 0644 by
    default); ``mkstemp`` alone would leave it readable by its owner only.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, obj: Any, indent: int | None = None) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    write_bytes_atomic(path, json.dumps(obj, indent=indent).encode("utf-8"))


def probe_writable(folder: str | Path) -> None:
    """Prove that a file can be created in ``folder`` (root ignores permission bits).

    Raises:
        OSError: ``cannot write in FOLDER: reason`` (exit status 1 in the tools).

    """
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".d2hands-write-test-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        # One argument: no errno, so it stays a plain OSError (an I/O failure, status 1).
        raise OSError(f"cannot write in {os.fspath(folder)}: {exc.strerror or exc}") from None


def _same_path(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)  # hard links too
    except OSError:
        return False


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def _pairs(named) -> list[tuple[str, Path]]:
    items = named.items() if isinstance(named, dict) else named
    return [(name, Path(p)) for name, p in items if p]


def check_outputs_spare_inputs(outputs, inputs) -> None:
    """Refuse outputs that would overwrite an input, before any work is done.

    An output clashes with an input file if both name (or resolve to, through links) the same
    file; with an input folder if it is that folder, or an existing file inside it. Two outputs
    naming the same file clash too.

    Args:
        outputs: ``{option or role: path}`` (or ``(name, path)`` pairs) of every file or
            folder the tool will write; None values are skipped.
        inputs: The same for every file or folder it reads.

    Raises:
        UsageError: Naming the output and the input it would overwrite.

    """
    from .errors import UsageError

    outs, ins = _pairs(outputs), _pairs(inputs)
    for out_name, out in outs:
        for in_name, source in ins:
            clash = _same_path(out, source) or (
                source.is_dir() and out.is_file() and _is_inside(out, source))
            if clash:
                raise UsageError(f"{out_name} {out} would overwrite the input {in_name} "
                                 f"{source}; write the output somewhere else")
    for i, (name_a, a) in enumerate(outs):
        for name_b, b in outs[i + 1:]:
            if _same_path(a, b):
                raise UsageError(f"{name_a} and {name_b} both name {a}; give them different "
                                 "paths")
