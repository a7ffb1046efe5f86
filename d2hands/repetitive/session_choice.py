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
                       opts: list[str] | None = None, progress=None,
                       test_sizes: list[int] | None = None) -> dict:
    """Score every finished session on ``datasets`` and choose the run's session again.

    Args:
        run_dir: a finished ``repetitive_train.py`` run.
        datasets: validation sets (default: the run's ``DATASETS.TEST``); the first set's
            metrics are the session's ``val``, the F1 curve pools them all.
        select_metric: as ``repetitive_train.py --select-metric``.
        opts: extra ``KEY VALUE`` opts (e.g. a ``DATASETS.REGISTER`` of the sets).
        progress: called with each session's index before it is scored.
        test_sizes: test input sizes (``INPUT.MIN_SIZE_TEST``) to try on the chosen session;
            the one of best pooled F1 (ties: the config's own, then the smaller) and its
            threshold are recorded (``test_size``), and every ``--run`` tool uses them.

    Returns:
        ``{"best_session", "score_thresh", "test_size", "datasets", "select_metric",
        "scored": [index], "sessions": {index: {metric: value}}}`` (``scored``: the sessions
        scored by this call; ``test_size`` None without ``test_sizes``).

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
    manifest.pop("test_size", None)  # chosen for a session, maybe not this one
    if test_sizes:
        choose_test_size(folder, manifest, cfg, names, [int(s) for s in test_sizes],
                         list(opts or []), progress)
    save_manifest(folder, manifest)
    return {"best_session": manifest["best_session"], "score_thresh": manifest["score_thresh"],
            "test_size": manifest.get("test_size"),
            "datasets": names, "select_metric": select_metric, "scored": scored,
            "sessions": {s["index"]: {n: s["val"].get(n) for n in names_metric} for s in done}}


def choose_test_size(folder: Path, manifest: dict, cfg, names: list[str], sizes: list[int],
                     opts: list[str], progress=None) -> None:
    """Score the chosen session at every test size; record the best size and its threshold.

    ``cfg`` is the run's config (its own test size), ``opts`` the caller's extra opts.

    Curves already scored for the same session and sets (``test_size_curves``) are reused.
    """
    from ..evaluation.threshold import choose_threshold

    best = [s for s in manifest["sessions"] if s["index"] == manifest["best_session"]][0]
    own_min, own_max = int(cfg.INPUT.MIN_SIZE_TEST), int(cfg.INPUT.MAX_SIZE_TEST)
    stored = manifest.setdefault("test_size_curves", {})
    key = f"session {best['index']} on {'+'.join(names)}"
    curves = stored.setdefault(key, {})
    for size in sizes:
        if str(size) in curves:
            continue
        if size < 32:
            raise UsageError(f"--test-sizes: {size} px is too small a test input")
        if progress:
            progress(best["index"])
        longest = max(size, round(size * own_max / own_min))
        sized = build_cfg(manifest["config_file"], [
            *map(str, manifest.get("opts") or []), *opts, "INPUT.MIN_SIZE_TEST", str(size),
            "INPUT.MAX_SIZE_TEST", str(longest)])
        _, curve = evaluate_weights(sized, best["final_weights"], names)
        curves[str(size)] = {"max": longest, "curve": curve}
        save_manifest(folder, manifest)

    def rank(size: int) -> tuple:
        curve = curves[str(size)]["curve"]
        return (round(max(curve.values(), default=0.0), 9), size == own_min, -size)

    size = max(sizes, key=rank)
    manifest["test_size"] = {"min": size, "max": curves[str(size)]["max"]}
    manifest["score_thresh"] = choose_threshold(
        {float(t): float(f1) for t, f1 in curves[str(size)]["curve"].items()})
