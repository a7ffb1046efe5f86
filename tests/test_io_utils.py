"""Atomic writes leave files with the mode a plain open() would give them."""

import os
import stat

import pytest

from d2hands.io_utils import write_bytes_atomic, write_json_atomic


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_respect_the_umask(tmp_path, umask, mode):
    before = os.umask(umask)
    try:
        write_json_atomic(tmp_path / "manifest.json", {"a": 1})
        write_bytes_atomic(tmp_path / "sub" / "metrics.json", b"{}")
        with open(tmp_path / "plain.json", "w") as handle:  # what the umask alone gives
            handle.write("{}")
    finally:
        os.umask(before)
    plain = stat.S_IMODE((tmp_path / "plain.json").stat().st_mode)
    assert plain == mode
    for name in ("manifest.json", "sub/metrics.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == plain
    assert not [p for p in tmp_path.rglob("*.tmp")]
