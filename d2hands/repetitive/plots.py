"""Training plots like the paper's Fig. 2: per-session average loss and the chained loss curve."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402

from ..io_utils import write_bytes_atomic  # noqa: E402
from .manifest import load_manifest  # noqa: E402
from .saturation import default_window, smooth_losses  # noqa: E402
from .session import LOSSES, read_loss_lines  # noqa: E402


def load_run(run_dir: Path) -> dict:
    """Read a run's manifest and each session's per-step losses.

    Raises:
        FileNotFoundError: if ``run_dir`` holds no manifest.
    """
    manifest = load_manifest(Path(run_dir))
    if manifest is None:
        raise FileNotFoundError(f"{run_dir} has no manifest.json: not a repetitive_train.py run")
    sessions = []
    for state in manifest["sessions"]:
        folder = Path(run_dir) / f"session_{state['index']:02d}"
        losses = [line["loss"] for line in read_loss_lines(folder / LOSSES)]
        sessions.append({**state, "losses": losses})
    return {"dir": Path(run_dir), "kind": manifest["kind"], "manifest": manifest,
            "sessions": sessions}


def _save(fig, path: Path) -> None:
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    write_bytes_atomic(path, png.getvalue())


def plot_average_losses(runs: list[dict], path: Path) -> None:
    """Bars: average loss of every session, the conventional run's beside them."""
    fig, ax = plt.subplots(figsize=(8, 4))
    labels, values, colors = [], [], []
    for run in runs:
        for session in run["sessions"]:
            if not session["losses"]:
                continue
            conventional = run["kind"] == "conventional"
            labels.append("conv." if conventional else f"S{session['index'] + 1}\n"
                          f"{run['manifest']['plan']['sessions'][session['index']]['layers']}")
            values.append(float(np.mean(session["losses"])))
            colors.append("tab:gray" if conventional else "tab:blue")
    ax.bar(range(len(values)), values, color=colors)
    for x, value in enumerate(values):
        ax.text(x, value, f"{value:.3f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(values)), labels, fontsize=7)
    ax.set_ylabel("average training loss")
    ax.set_title("Average loss per session (blue) and of the conventional run (grey)")
    _save(fig, path)


def plot_loss_curves(runs: list[dict], path: Path) -> None:
    """Concatenated batch losses of all sessions over the conventional curve, saturation marked."""
    fig, ax = plt.subplots(figsize=(10, 4))
    for run in runs:
        conventional = run["kind"] == "conventional"
        offset = 0
        for session in run["sessions"]:
            losses = np.asarray(session["losses"], dtype=float)
            if losses.size == 0:
                continue
            steps = offset + np.arange(losses.size)
            color = "tab:gray" if conventional else "tab:blue"
            ax.plot(steps, losses, color=color, alpha=0.25, linewidth=0.7)
            smoothed = smooth_losses(losses, min(losses.size, default_window(losses.size)))
            label = None
            if session["index"] == 0:
                label = "conventional" if conventional else "repetitive (sessions chained)"
            ax.plot(steps, smoothed, color=color, linewidth=1.5, label=label)
            sat = session.get("saturation_step")
            if sat is not None and sat < losses.size:
                ax.plot(offset + sat, smoothed[sat], marker="v", color="tab:red", markersize=7)
            if not conventional and offset:
                ax.axvline(offset, color="k", linewidth=0.4, linestyle=":")
            offset += losses.size
    ax.plot([], [], "v", color="tab:red", label="saturation point")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("Batch losses: repetitive sessions chained vs. conventional")
    _save(fig, path)


def write_training_plots(run_dirs: list[Path], out_dir: Path) -> list[Path]:
    """Write ``avg_loss.png`` and ``loss_curves.png`` for one or two runs; return their paths."""
    runs = sorted((load_run(d) for d in run_dirs), key=lambda r: r["kind"] == "conventional")
    paths = [out_dir / "avg_loss.png", out_dir / "loss_curves.png"]
    plot_average_losses(runs, paths[0])
    plot_loss_curves(runs, paths[1])
    return paths
