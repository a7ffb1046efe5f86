"""The package layering: dependencies flow one way, and the dataset reader needs no torch."""

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, tool_env

# Lower tiers never import higher ones; a package may import its own tier only if listed.
TIERS = [
    {"errors", "io_utils", "config", "config_file", "cli", "defaults", "resources",
     "lazy"},
    {"runtime"},
    {"data"},
    {"modeling"},
    {"evaluation"},
    {"engine"},
    {"repetitive", "video"},
    {"predict"},
    {"demo", "testing"},
]
TIER = {name: level for level, names in enumerate(TIERS) for name in names}
SAME_TIER_ALLOWED = {("cli", "errors"), ("config", "errors"), ("io_utils", "errors"),
                     ("config_file", "errors"), ("config", "defaults")}


def imported_packages(path: Path) -> set[str]:
    """The top-level ``d2hands`` packages a module imports (relative imports resolved)."""
    parts = path.relative_to(ROOT).with_suffix("").parts  # ("d2hands", "data", "rle")
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                name = ".".join(base + ([node.module] if node.module else []))
                names = [name] if node.module else [f"{name}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("d2hands.")}
    return found


def test_dependencies_flow_one_way():
    wrong = []
    for path in sorted((ROOT / "d2hands").rglob("*.py")):
        rel = path.relative_to(ROOT / "d2hands").parts
        own = rel[0] if len(rel) > 1 else Path(rel[0]).stem
        if own == "__init__":
            continue
        assert own in TIER, f"{own} has no tier: add it to TIERS"
        for target in imported_packages(path) - {own}:
            assert target in TIER, f"{path} imports unknown package {target}"
            same_ok = (own, target) in SAME_TIER_ALLOWED
            if TIER[target] > TIER[own] or (TIER[target] == TIER[own] and not same_ok):
                wrong.append(f"{path.relative_to(ROOT)} imports d2hands.{target}")
    assert not wrong, "\n".join(wrong)


def test_tools_are_thin_and_never_imported_by_the_package():
    for path in (ROOT / "d2hands").rglob("*.py"):
        assert "tools" not in {n.split(".")[0] for n in _absolute_imports(path)}, path


def _absolute_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_reading_a_dataset_and_scoring_results_import_no_torch():
    code = ("import sys; from d2hands.data import load_coco, DatasetError; "
            "from d2hands.evaluation import evaluate_results; import d2hands.cli; "
            "bad = [m for m in ('torch', 'detectron2') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=tool_env(), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
