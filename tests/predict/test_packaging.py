"""``pip install .`` in a fresh venv gives a working toolkit: configs, console script, API."""

import subprocess
import sys
import sysconfig
import venv

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_pip_install_gives_the_console_script_and_the_configs(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    # The heavy dependencies (torch, detectron2) come from this test's environment.
    (tmp_path / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (tmp_path / "deps.pth").rename(f"{site.stdout.strip()}/zz_deps.pth")
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "--no-build-isolation", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps",
                              *map(str, wheels.glob("d2hands-*.whl"))], capture_output=True,
                             text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import d2hands, d2hands.resources as r; "
            "assert 'site-packages' in d2hands.__file__, d2hands.__file__; "
            "assert r.config_path('hands_tiny_cpu.yaml').is_file(); "
            "assert r.config_path('Base-Hands-MaskRCNN-FPN.yaml').is_file(); "
            "assert r.render_script().is_file(); "
            "from d2hands.engine import build_cfg; build_cfg(str(r.config_path("
            "'hands_mnv2_fpn_cpu.yaml')))")
    check = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                           cwd=elsewhere, timeout=300)
    assert check.returncode == 0, check.stderr[-2000:]
    script = env_dir / "bin" / "d2hands-predict"
    help_run = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                              cwd=elsewhere, timeout=300)
    assert help_run.returncode == 0 and "--input" in help_run.stdout, help_run.stderr
    bad = subprocess.run([str(script), "--input", "missing.jpg", "--output-dir", "out"],
                         capture_output=True, text=True, cwd=elsewhere, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error: "), bad.stderr
    assert sys.version_info >= (3, 10)
