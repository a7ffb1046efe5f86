"""Choose a finished repetitive run's session (and its threshold) again, on other validation sets.

A chain validates each session as it ends on ``DATASETS.TEST``; when that set is small (the
protocol's ``val5``: 5 photos) the choice is noisy. Here every finished session is scored on
the sets given (say ``val5`` and ``valcomp``, composites of the same held-out hands), its
metrics and F1 curve replace the ones in ``manifest.json`` (the earlier ones are kept under
``val_history``), and the session and threshold are chosen again with ``select_best``;
optionally the test input size too. Sessions already scored on the same sets are not scored
again, so a killed run resumes.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from detectron2.data import DatasetCatalog

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

MIN_TEST_SIZE = 32


def merged_opts(config_file: str, run_opts: list[str], extra: list[str]) -> list[str]:
    """The run's opts, then ``extra``; a ``DATASETS.REGISTER`` there adds to the run's sets.

    yacs would replace the run's registrations with it (and the run's training sets would no
    longer be registered); here names given again point at the new files, others are kept.
    """
    extra = list(extra)
    if "DATASETS.REGISTER" not in extra[::2]:
        return [*run_opts, *extra]
    at = extra[::2].index("DATASETS.REGISTER") * 2
    if at + 1 >= len(extra):
        raise UsageError("DATASETS.REGISTER needs a value: '[[name, annotations.json, images]]'")
    value = extra[at + 1]
    try:
        added = [list(e) for e in ast.literal_eval(value)] if isinstance(value, str) else value
    except (ValueError, SyntaxError, TypeError):
        raise UsageError(f"DATASETS.REGISTER: not a list of [name, json, images]: "
                         f"{value!r:.80}") from None
    rest = extra[:at] + extra[at + 2:]
    own = [list(e) for e in build_cfg(config_file, [*run_opts, *rest]).DATASETS.REGISTER]
    names = {e[0] for e in added if e}
    register = [e for e in own if e[0] not in names] + added
    return [*run_opts, *rest, "DATASETS.REGISTER", json.dumps(register)]


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
        opts: extra ``KEY VALUE`` opts; a ``DATASETS.REGISTER`` among them adds sets to the
            run's own.
        progress: called with a session's index before each evaluation.
        test_sizes: test input sizes (``INPUT.MIN_SIZE_TEST``) to try on the chosen session;
            the one of best pooled F1 (ties: the config's own, then the smaller) and its
            threshold are recorded (``test_size``), and every ``--run`` tool uses them.

    Returns:
        ``{"best_session", "score_thresh", "test_size", "datasets", "select_metric",
        "scored": [index], "sessions": {index: {metric: value}}}`` (``scored``: the sessions
        scored by this call; ``test_size`` None without ``test_sizes``).

    Raises:
        UsageError: If the run has no finished session, a session's weights are missing, a
            validation set is not registered, a test size is below 32 px, or no session has
            the metric to choose by.

    """
    folder = Path(run_dir)
    names_metric = check_select_metric(select_metric)
    sizes = [int(s) for s in test_sizes or []]
    if any(s < MIN_TEST_SIZE for s in sizes):
        raise UsageError(f"--test-sizes: each size is at least {MIN_TEST_SIZE} px, got {sizes}")
    manifest = load_manifest(folder)
    done = [s for s in (manifest or {}).get("sessions", []) if s.get("status") == "done"]
    if not done:
        raise UsageError(f"--run {folder}: no finished session of a repetitive_train.py run")
    read_trained_run(folder, session=done[-1]["index"])  # checks the config and weights exist
    run_opts = [str(o) for o in manifest.get("opts") or []]
    # The run's own opts, not a chosen threshold: ``val`` counts at the chain's threshold.
    run_tests = list(build_cfg(manifest["config_file"], run_opts).DATASETS.TEST)
    all_opts = merged_opts(manifest["config_file"], run_opts, list(opts or []))
    cfg = build_cfg(manifest["config_file"], all_opts)
    names = list(datasets or cfg.DATASETS.TEST)
    if not names:
        raise UsageError("no validation set: give --datasets or set DATASETS.TEST in the run")
    unknown = [n for n in names if n not in DatasetCatalog.list()]
    if unknown:
        raise UsageError(f"--datasets names {unknown}, which are not registered: add them with "
                         "a trailing DATASETS.REGISTER '[[name, annotations.json, images]]'")
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
                {"on": session.get("val_on") or run_tests, "val": session["val"],
                 "val_thresholds": session.get("val_thresholds")})
        session["val"], session["val_thresholds"] = evaluate_weights(
            cfg, session["final_weights"], names)
        session["val_on"] = names
        scored.append(session["index"])
        save_manifest(folder, manifest)
    select_best(manifest, select_metric)
    if manifest["best_session"] is None:
        raise UsageError(f"no session has {names_metric[0]} on {'+'.join(names)}: nothing to "
                         "choose; try another --select-metric")
    manifest.update(select="val", select_metric=select_metric, validation=names)
    manifest.pop("test_size", None)  # chosen for a session, maybe not this one
    if sizes:
        choose_test_size(folder, manifest, cfg, names, sizes, all_opts, progress)
    save_manifest(folder, manifest)
    return {"best_session": manifest["best_session"], "score_thresh": manifest["score_thresh"],
            "test_size": manifest.get("test_size"),
            "datasets": names, "select_metric": select_metric, "scored": scored,
            "sessions": {s["index"]: {n: s["val"].get(n) for n in names_metric} for s in done}}


def choose_test_size(folder: Path, manifest: dict, cfg, names: list[str], sizes: list[int],
                     opts: list[str], progress=None) -> None:
    """Score the chosen session at every test size; record the best size and its threshold.

    Args:
        folder: the run (its manifest is saved after each size).
        manifest: the run's manifest, its session chosen; gets ``test_size``
            (``{"session", "min", "max"}``) and that size's ``score_thresh``.
        cfg: the config the sessions were validated with (its size's curve is reused).
        names: the validation sets.
        sizes: the shorter sides to try; the longest side scales with them.
        opts: all opts of ``cfg`` (the config file is the manifest's).
        progress: called with the session's index before each evaluation.

    Curves already scored for the same session and sets (``test_size_curves``) are reused.
    """
    from ..evaluation.threshold import choose_threshold

    best = [s for s in manifest["sessions"] if s["index"] == manifest["best_session"]][0]
    own_min, own_max = int(cfg.INPUT.MIN_SIZE_TEST), int(cfg.INPUT.MAX_SIZE_TEST)
    key = f"session {best['index']} on {'+'.join(names)}"
    curves = manifest.setdefault("test_size_curves", {}).setdefault(key, {})
    curves.setdefault(str(own_min), {"max": own_max, "curve": best["val_thresholds"]})
    for size in sizes:
        if str(size) in curves:
            continue
        if progress:
            progress(best["index"])
        longest = max(size, round(size * own_max / own_min))
        sized = build_cfg(manifest["config_file"], [
            *opts, "INPUT.MIN_SIZE_TEST", str(size), "INPUT.MAX_SIZE_TEST", str(longest)])
        _, curve = evaluate_weights(sized, best["final_weights"], names)
        curves[str(size)] = {"max": longest, "curve": curve}
        save_manifest(folder, manifest)

    def rank(size: int) -> tuple:
        curve = curves[str(size)]["curve"]
        return (round(max(curve.values(), default=0.0), 9), size == own_min, -size)

    size = max(sizes, key=rank)
    manifest["test_size"] = {"session": best["index"], "min": size,
                             "max": curves[str(size)]["max"]}
    manifest["score_thresh"] = choose_threshold(
        {float(t): float(f1) for t, f1 in curves[str(size)]["curve"].items()})
