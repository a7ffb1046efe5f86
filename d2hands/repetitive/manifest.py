"""``DIR/manifest.json``: the plan and every session's outcome, rewritten atomically."""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

from ..errors import UsageError
from ..evaluation import METRIC_NAMES
from ..io_utils import write_json_atomic

MANIFEST = "manifest.json"
VERSION = 1
# --select val: F1, then mask AP between sessions of equal F1 (select_best).
DEFAULT_SELECT_METRIC = "hands/F1,segm/AP"
# Metrics of validation alone (``chain.evaluate_weights``), not of ``evaluate.py``:
# hands F1 at the best score threshold, over every validation set pooled.
SELECTION_ONLY_METRICS = ("hands/F1_best",)
# The protocol's rule (issue 36): the session is chosen for the F1 it reaches at its own
# threshold, not at 0.7 (a session whose hands score 0.72 is not worse than one at 0.95).
ROBUST_SELECT_METRIC = "hands/F1_best,segm/AP"


class PlanChangedError(UsageError):
    """The output folder holds a run whose plan (or config, or opts) differs from the request."""


def new_manifest(plan: dict, config_file: str, opts: list[str], select: str) -> dict:
    """A manifest with every session pending."""
    return {
        "version": VERSION, "kind": plan["kind"], "config_file": config_file, "opts": list(opts),
        "select": select, "plan": plan,
        "sessions": [{"index": s["index"], "status": "pending"} for s in plan["sessions"]],
        "best_session": None, "final_weights": None,
    }


def load_manifest(out_dir: Path) -> dict | None:
    """Read ``out_dir/manifest.json`` (None if there is none)."""
    path = out_dir / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise UsageError(f"{path} is not valid JSON ({reason}); move it away or pass "
                         "--force-new") from None
    if not _is_manifest(manifest):
        raise UsageError(f"{path} is not the manifest of a d2hands run (a JSON object whose "
                         "'sessions' is a list of objects); move it away or pass --force-new")
    return manifest


def _is_manifest(manifest) -> bool:
    if not isinstance(manifest, dict):
        return False
    sessions = manifest.get("sessions", [])
    return (isinstance(manifest.get("plan", {}), dict)
            and isinstance(sessions, list) and all(isinstance(s, dict) for s in sessions)
            and isinstance(manifest.get("opts", []), list)
            and isinstance(manifest.get("config_file", ""), str))


def opts_differences(recorded: list, opts: list[str]) -> list[str]:
    """The ``KEY`` of every override whose value differs between two opts lists (any order)."""
    old = dict(zip(map(str, recorded[::2]), map(str, recorded[1::2]), strict=False))
    new = dict(zip(map(str, opts[::2]), map(str, opts[1::2]), strict=False))
    return [f"{key} ({old.get(key, '<unset>')} -> {new.get(key, '<unset>')})"
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def check_same_config(existing: dict, out_dir: Path, config_file: str, opts: list[str]) -> None:
    """Refuse to continue a run with another config file or other ``KEY VALUE`` opts.

    Raises:
        PlanChangedError: Naming the keys that differ.

    """
    diffs = opts_differences(existing.get("opts") or [], list(opts))
    recorded = existing.get("config_file") or ""
    if os.path.realpath(recorded) != os.path.realpath(config_file or ""):
        diffs.insert(0, f"config file ({recorded} -> {config_file})")
    if diffs:
        raise PlanChangedError(
            f"{out_dir} holds a run started with other settings ({'; '.join(diffs[:6])}). "
            "Re-run with the original config and opts to continue it, pick another "
            f"--output-dir, or pass --force-new to keep the old run under {out_dir}/previous-"
            "<time>/ and start again")


def save_manifest(out_dir: Path, manifest: dict) -> None:
    """Write the manifest atomically."""
    write_json_atomic(out_dir / MANIFEST, manifest, indent=2)


def plan_differences(old: dict, new: dict) -> list[str]:
    """Name the plan keys (and session fields) that differ."""
    diffs = [key for key in sorted((set(old) | set(new)) - {"sessions"})
             if old.get(key) != new.get(key)]
    old_s, new_s = old.get("sessions", []), new.get("sessions", [])
    if len(old_s) != len(new_s):
        diffs.append(f"number of sessions ({len(old_s)} -> {len(new_s)})")
    for a, b in zip(old_s, new_s, strict=False):
        # A field that an older release did not record (e.g. "train") is not a change.
        for key in sorted(set(a) | set(b)):
            if key in a and a.get(key) != b.get(key):
                diffs.append(f"session {a.get('index')} {key} ({a.get(key)!r} -> {b.get(key)!r})")
    return diffs


def check_same_plan(existing: dict, out_dir: Path, plan: dict) -> None:
    """Refuse to continue a run with another plan.

    Raises:
        PlanChangedError: Naming the plan keys and session fields that differ.

    """
    if not isinstance(existing.get("plan"), dict) or not isinstance(existing.get("sessions"),
                                                                        list):
        raise UsageError(f"{out_dir}/{MANIFEST} records no plan or sessions; move it away or "
                         "pass --force-new")
    diffs = plan_differences(existing["plan"], plan)
    if diffs:
        raise PlanChangedError(
            f"{out_dir} holds a {existing.get('kind')} run with a different plan "
            f"({'; '.join(diffs[:6])}). Re-run with the original arguments to continue it, "
            "pick another --output-dir, or pass --force-new to keep the old run under "
            f"{out_dir}/previous-<time>/ and start again")


def open_run(out_dir: Path, plan: dict, config_file: str, opts: list[str], select: str,
             force_new: bool) -> dict:
    """Return the manifest to continue, or a new one; refuse a changed plan.

    With ``force_new`` an existing run is moved to ``out_dir/previous-<time>/``, never deleted.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = load_manifest(out_dir)
    if existing is not None and force_new:
        backup = out_dir / time.strftime("previous-%Y%m%d-%H%M%S")
        items = [i for i in out_dir.iterdir() if not i.name.startswith("previous-")]
        backup.mkdir()
        for item in items:
            shutil.move(str(item), backup / item.name)
        existing = None
    if existing is not None:
        check_same_config(existing, out_dir, config_file, opts)
        check_same_plan(existing, out_dir, plan)
        existing["select"] = select
        return existing
    manifest = new_manifest(plan, config_file, opts, select)
    save_manifest(out_dir, manifest)
    return manifest


def _number(value) -> float | None:
    """``value`` as a float, or None where it is missing or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _metric_names(metric: str) -> list[str]:
    """The comma-separated names of a ``--select-metric`` value, blanks dropped."""
    return [name.strip() for name in metric.split(",") if name.strip()]


def check_select_metric(metric: str) -> list[str]:
    """The names of a ``--select-metric`` value, each one that ``evaluate_model`` returns.

    Raises:
        ValueError: ``metric`` is empty or names something the evaluation does not return
            (a misspelling would otherwise leave every session unchosen).
    """
    names = _metric_names(metric)
    if not names:
        raise UsageError("--select-metric is empty; e.g. " + DEFAULT_SELECT_METRIC)
    known = (*METRIC_NAMES, *SELECTION_ONLY_METRICS)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"--select-metric names {', '.join(unknown)}, which the evaluation "
                         f"does not return; choose from: {', '.join(known)}")
    return names


def select_best(manifest: dict, metric: str = "avg_loss") -> None:
    """Set ``best_session`` and ``final_weights`` from the finished sessions (in place).

    ``avg_loss`` (the paper's rule) picks the lowest average training loss. Any other
    ``metric`` names validation metrics, comma-separated (``hands/F1,segm/AP``): each session's
    ``val`` results are compared on the first, and sessions equal on it on the next (a small
    validation set often ties on F1, at 0 when no prediction passes the score threshold). A
    session without the first metric is never chosen; a missing tie-break counts as lowest.
    Sessions equal on every metric: the later wins (it has seen more data; on the protocol's
    side tables later sessions of a tie were better on the held-out sets, issue 36).
    """
    names = _metric_names(metric) or ["avg_loss"]
    best, best_key = None, None
    for session in manifest["sessions"]:
        if session.get("status") != "done":
            continue
        if names == ["avg_loss"]:
            value = _number(session.get("avg_loss"))
            key = None if value is None else (-value,)
        else:
            values = [_number(session.get("val", {}).get(name)) for name in names]
            key = None if values[0] is None else tuple(
                -math.inf if v is None else v for v in values)
        if key is not None and (best is None or key >= best_key):
            best, best_key = session, key
    manifest["best_session"] = None if best is None else best["index"]
    manifest["final_weights"] = None if best is None else best["final_weights"]
    manifest["score_thresh"] = None if best is None else session_threshold(best)


def session_threshold(session: dict) -> float | None:
    """The score threshold chosen on a session's validation F1 curve (None without one)."""
    from ..evaluation.threshold import choose_threshold

    curve = session.get("val_thresholds")
    if not curve:
        return None
    return choose_threshold({float(t): float(f1) for t, f1 in curve.items()})
