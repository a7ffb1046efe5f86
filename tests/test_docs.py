"""The docs cannot rot: every command in README and GETTING_STARTED parses with its tool.

Each ``bash`` block is split into commands; every command that runs a d2hands tool (``tools/``,
``synth/render_poses.py``, ``python -m synth.*``, ``d2hands-predict``) is parsed by that tool's
own argument parser (nothing runs; placeholders in ``[...]`` and ``...`` are left out), so a
renamed or removed flag fails here. The tables generated from the protocol records are checked
equal to the committed ones, and the README's "segment the hands in this photo" blocks (the
command line and the Python lines) are extracted and run for real on a real photo.
"""

import argparse
import importlib.util
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, tool_env

DOCS = [ROOT / "README.md", ROOT / "docs" / "GETTING_STARTED.md"]
BLOCK = re.compile(r"```bash\n(.*?)```", re.S)


def commands(text: str) -> list[list[str]]:
    """The shell commands of every bash block, as token lists (comments dropped)."""
    found = []
    for block in BLOCK.findall(text):
        pending = ""
        for line in block.replace("\\\n", " ").splitlines():
            pending += line + "\n"
            try:
                tokens = shlex.split(pending, comments=True)
            except ValueError:  # a quote still open: the command goes on
                continue
            pending = ""
            for part in _split_chains(tokens):
                if part:
                    found.append(part)
    return found


def _split_chains(tokens: list[str]) -> list[list[str]]:
    parts, current = [], []
    for token in tokens:
        if token in ("&&", "||", ";", "|"):
            parts.append(current)
            current = []
        else:
            current.append(token)
    return [*parts, current]


def without_placeholders(args: list[str]) -> list[str]:
    """Drop optional parts written ``[--flag VALUE]`` and ``...``."""
    out, depth = [], 0
    for token in args:
        opens, closes = token.startswith("["), token.endswith("]")
        if opens:
            depth += 1
        if depth == 0 and token not in ("...", "KEY", "VALUE"):
            out.append(token)
        if closes and depth:
            depth -= 1
    return out


def tool_of(tokens: list[str]):
    """``(kind, target, argv)`` of a d2hands tool command, or None for anything else."""
    if tokens[0].endswith("d2hands-predict"):
        return "script", ROOT / "tools" / "predict.py", tokens[1:]
    if "-P" in tokens and tokens[0] == "blender":
        script = tokens[tokens.index("-P") + 1]
        argv = tokens[tokens.index("--") + 1:] if "--" in tokens else []
        return ("render", script, argv) if script.endswith("render_poses.py") else None
    if not tokens[0].endswith("python") and not tokens[0].endswith("python3"):
        return None
    if tokens[1] == "-m" and tokens[2].startswith("synth."):
        return "module", tokens[2], tokens[3:]
    if tokens[1].endswith("render_poses.py"):
        return "render", tokens[1], tokens[2:]
    if tokens[1].startswith("tools/"):
        return "script", ROOT / tokens[1], tokens[2:]
    return None


class Parsed(Exception):
    pass


def parses(kind: str, target, argv: list[str], monkeypatch) -> None:
    """Run the tool's parser on ``argv``; raise ``SystemExit`` if it refuses them."""
    for name in ("parse_args", "parse_intermixed_args"):
        original = getattr(argparse.ArgumentParser, name)

        def stop(self, args=None, namespace=None, _original=original):
            _original(self, args, namespace)
            raise Parsed

        monkeypatch.setattr(argparse.ArgumentParser, name, stop)
    if kind == "render":
        from synth.options import build_parser

        build_parser().parse_args(argv)
    elif kind == "module":
        importlib.import_module(target).main(argv)
    else:
        spec = importlib.util.spec_from_file_location(f"doc_{target.stem}", target)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "cli"):  # detectron2-style tools: main(args) runs per process
            monkeypatch.setattr(sys, "argv", [str(target), *argv])
            module.cli()
        else:
            module.main(argv)


def documented_tool_commands():
    cases = []
    for doc in DOCS:
        for tokens in commands(doc.read_text()):
            tool = tool_of(tokens)
            if tool is not None:
                cases.append(pytest.param(*tool[:2], without_placeholders(tool[2]),
                                          id=f"{doc.name}:{' '.join(tokens[:4])[:60]}"))
    return cases


@pytest.mark.parametrize("kind, target, argv", documented_tool_commands())
def test_every_documented_command_parses(kind, target, argv, monkeypatch):
    with pytest.raises(Parsed):
        parses(kind, target, argv, monkeypatch)


def test_the_docs_document_every_tool():
    documented = {str(tool_of(t)[1]) for doc in DOCS for t in commands(doc.read_text())
                  if tool_of(t) and tool_of(t)[0] == "script"}
    tools = {str(p) for p in (ROOT / "tools").glob("*.py")}
    internal = {str(ROOT / "tools" / n) for n in ("install_detectron2.py", "check_env.py")}
    assert tools - internal <= documented  # make setup runs the internal ones


def generated(table: str) -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "experiments" / "protocol_report.py"),
                           "--table", table], capture_output=True, text=True, check=True,
                          env=tool_env(), timeout=120)
    return proc.stdout


def test_the_generated_tables_are_the_committed_ones():
    assert generated("zoo") in (ROOT / "docs" / "MODEL_ZOO.md").read_text()
    assert generated("headline") in (ROOT / "README.md").read_text()
    assert generated("photos") in (ROOT / "docs" / "RESULTS.md").read_text()
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


@pytest.mark.parametrize("doc", sorted([ROOT / "README.md", ROOT / "CHANGELOG.md",
                                        *(ROOT / "docs").rglob("*.md")]), ids=lambda p: p.name)
def test_relative_links_point_at_files(doc):
    missing = [target for target in re.findall(r"\]\(([^)#]+?)(?:#[^)]*)?\)", doc.read_text())
               if "://" not in target and not (doc.parent / target).exists()]
    assert not missing, missing


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


@pytest.mark.slow
def test_the_readme_segments_a_photo(real_data, tmp_path):
    """The newcomer's path, as written: both blocks run on ``photo.jpg`` in a fresh folder."""
    section = readme_section("Segment the hands in this photo")
    photo = sorted((real_data / "own_hands_50" / "images").glob("*.jpg"))[0]
    shutil.copy(photo, tmp_path / "photo.jpg")  # a temporary copy, never into the repository
    cli = commands(section)[0]
    assert cli[0].endswith("d2hands-predict")  # the console script runs tools/predict.py
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "predict.py"), *cli[1:]],
                          cwd=tmp_path, capture_output=True, text=True, env=tool_env(),
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    written = {p.name for p in (tmp_path / "hands").iterdir()}
    assert {"photo_mask.png", "predictions.json"} <= written, written
    python = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    check = python + "\nassert hands.masks.shape[1:] == cv2.imread('photo.jpg').shape[:2]\n"
    proc = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True,
                          text=True, env=tool_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
