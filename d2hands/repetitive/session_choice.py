"""Choose a finished repetitive run's session (and its threshold) again, on other validation sets.

A chain validates each session as it ends on ``DATASETS.TEST``; when that set is small (the
protocol's ``val5``: 5 photos) the choice is noisy. Here every finished session is scored on
the sets given (say ``val5`` and ``valcomp``, composites of the same held-out hands), its
metrics and F1 curve replace the ones in ``manifest.json`` (the earlier ones are kept under
``val_history``), and the session and threshold are chosen again with ``select_best``.
Sessions already scored on the same sets are not scored again, so a killed run resumes.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.setup import build_cfg
from ..errors import UsageError
from .chain import evaluate_weights
from .manifest import (
    ROBUST_SELECT_METRIC,
    check_select_metric,
    load_manifest,
    save_manifest,
    select_best,
)
from .trained_run import read_trained_run


def choose_run_session(run_dir: str | Path, datasets: list[str] | None = None,
                       select_metric: str = ROBUST_SELECT_METRIC,
                       opts: list[str] | None = None, progress=None) -> dict:
    """Score every finished session on ``datasets`` and choose the run's session again.

    Args:
        run_dir: a finished ``repetitive_train.py`` run.
        datasets: validation sets (default: the run's ``DATASETS.TEST``); the first set's
            metrics are the session's ``val``, the F1 curve pools them all.
        select_metric: as ``repetitive_train.py --select-metric``.
        opts: extra ``KEY VALUE`` opts (e.g. a ``DATASETS.REGISTER`` of the sets).
        progress: called with each session's index before it is scored.

    Returns:
        ``{"best_session", "score_thresh", "datasets", "select_metric", "scored": [index],
        "sessions": {index: {metric: value}}}`` (``scored``: the sessions scored by this call).

    Raises:
        UsageError: If the run has no finished session or no validation set.

    """
    folder = Path(run_dir)
    names_metric = check_select_metric(select_metric)
    manifest = load_manifest(folder)
    done = [s for s in (manifest or {}).get("sessions", []) if s.get("status") == "done"]
    if not done:
        raise UsageError(f"--run {folder}: no finished session of a repetitive_train.py run")
    read_trained_run(folder, session=done[-1]["index"])  # checks the config and weights exist
    # The run's own opts, not a chosen threshold: ``val`` counts at the chain's threshold.
    cfg = build_cfg(manifest["config_file"], [*map(str, manifest.get("opts") or []),
                                              *(opts or [])])
    names = list(datasets or cfg.DATASETS.TEST)
    if not names:
        raise UsageError("no validation set: give --datasets or set DATASETS.TEST in the run")
    scored = []
    for session in done:
        if session.get("val_on") == names:
            continue
        if not Path(session["final_weights"]).is_file():
            raise UsageError(f"--run {folder}: session {session['index']}'s weights "
                             f"{session['final_weights']} are missing")
        if progress:
            progress(session["index"])
        if "val" in session:
            session.setdefault("val_history", []).append(
                {"on": session.get("val_on", session.get("val_thresholds_on")),
                 "val": session["val"], "val_thresholds": session.get("val_thresholds")})
        session["val"], session["val_thresholds"] = evaluate_weights(
            cfg, session["final_weights"], names)
        session["val_on"] = names
        scored.append(session["index"])
        save_manifest(folder, manifest)
    select_best(manifest, select_metric)
    manifest.update(select="val", select_metric=select_metric, validation=names)
    save_manifest(folder, manifest)
    return {"best_session": manifest["best_session"], "score_thresh": manifest["score_thresh"],
            "datasets": names, "select_metric": select_metric, "scored": scored,
            "sessions": {s["index"]: {n: s["val"].get(n) for n in names_metric} for s in done}}
