"""Install the pure-Python part of detectron2 into the running interpreter.

detectron2's authors publish no wheel on PyPI. The PyPI wheel ``sal-detectron2==0.7.2`` holds
upstream detectron2 commit a59f0563 plus a ``_C`` extension compiled for CPython 3.10 only. Standard
Mask R-CNN needs none of ``_C`` (torchvision provides the ops), so this script downloads that wheel,
checks its sha256, drops ``detectron2/_C*.so``, retags it ``py3-none-any`` and installs it with
``--no-deps`` (the runtime dependencies come from d2hands' own dependency list).

If ``import detectron2`` already works (for example a user's own CUDA build), nothing is done.
Only the standard library is used, so this runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_NAME = "sal_detectron2-0.7.2-cp310-none-any.whl"
WHEEL_SPEC = "sal-detectron2==0.7.2"
WHEEL_SHA256 = "491af0c7f79bdb2d178e46f6cb16a97c4ac968d45c41ea3f6b6435d59bbee561"
RETAGGED_NAME = "sal_detectron2-0.7.2-py3-none-any.whl"
COMPILED_EXT = re.compile(r"^detectron2/_C[^/]*\.so$")


def sha256_of(path: Path) -> str:
    """Return the hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record_hash(data: bytes) -> str:
    """Return a wheel RECORD hash entry (``sha256=<urlsafe b64, unpadded>``)."""
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def download_wheel(cache_dir: Path) -> Path:
    """Download the upstream wheel into ``cache_dir`` (reused if present) and verify it."""
    wheel = cache_dir / WHEEL_NAME
    if not wheel.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--python-version", "3.10", "--only-binary=:all:", WHEEL_SPEC, "-d", str(cache_dir)],
            check=True,
        )
    actual = sha256_of(wheel)
    if actual != WHEEL_SHA256:
        wheel.unlink()
        sys.exit(
            f"error: {wheel.name} has sha256 {actual}, expected {WHEEL_SHA256}. "
            "The file was removed; re-run to download it again."
        )
    return wheel


def retag_wheel(source: Path, target: Path) -> None:
    """Write ``target``: ``source`` without the compiled extension, tagged py3-none-any."""
    dist_info = None
    members = {}
    with zipfile.ZipFile(source) as zin:
        for info in zin.infolist():
            if COMPILED_EXT.match(info.filename):
                continue
            members[info.filename] = zin.read(info.filename)
            if info.filename.endswith(".dist-info/WHEEL"):
                dist_info = info.filename.rsplit("/", 1)[0]
    if dist_info is None:
        sys.exit(f"error: {source.name} has no .dist-info/WHEEL; not a wheel")

    wheel_meta = members[f"{dist_info}/WHEEL"].decode()
    wheel_meta = re.sub(r"(?m)^Tag: .*$", "Tag: py3-none-any", wheel_meta)
    wheel_meta = re.sub(r"(?m)^Root-Is-Purelib: .*$", "Root-Is-Purelib: true", wheel_meta)
    members[f"{dist_info}/WHEEL"] = wheel_meta.encode()

    record_name = f"{dist_info}/RECORD"
    lines = [f"{name},{record_hash(data)},{len(data)}"
             for name, data in members.items() if name != record_name]
    lines.append(f"{record_name},,")
    members[record_name] = ("\n".join(lines) + "\n").encode()

    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".whl.part")
    os.close(fd)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    os.replace(tmp, target)


def main() -> None:
    """Install detectron2 unless it is importable already."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/wheels"),
                        help="where the downloaded and retagged wheels are kept")
    parser.add_argument("--force", action="store_true",
                        help="install even if detectron2 is importable")
    args = parser.parse_args()

    if not args.force and importlib.util.find_spec("detectron2") is not None:
        print("detectron2 is already importable; leaving it as it is.")
        return
    wheel = download_wheel(args.cache_dir)
    retagged = args.cache_dir / RETAGGED_NAME
    if not retagged.exists():
        retag_wheel(wheel, retagged)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--force-reinstall", str(retagged)], check=True)
    print(f"installed detectron2 from {retagged}")


if __name__ == "__main__":
    main()
