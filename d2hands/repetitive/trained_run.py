"""Use a trained run by naming its folder: the config, opts and final weights it recorded.

A repetitive or conventional run (``tools/repetitive_train.py``) records them in
``manifest.json``; a ``tools/train_net.py`` run leaves ``config.yaml`` (the full config, as
detectron2's ``default_setup`` writes it) and ``model_final.pth``. A repetitive run's sessions
can also be named one by one (``--session K``), to score a session the run did not choose.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from .manifest import MANIFEST, load_manifest, session_threshold


@dataclass(frozen=True)
class TrainedRun:
    """What a tool needs to run a trained model."""

    config_file: str
    opts: list[str]
    weights: str


def _weights_path(value, what: str, path: Path) -> str:
    if not isinstance(value, str) or not value:
        raise UsageError(f"--run: {path} names no weights file for {what} (got {value!r:.40})")
    return value


def _session_weights(path: Path, sessions: list, session: int) -> str:
    indices = [s.get("index") for s in sessions]
    if session not in indices:
        raise UsageError(f"--session {session}: the run in {path.parent} has sessions {indices}")
    entry = sessions[indices.index(session)]
    weights = entry.get("final_weights")
    if entry.get("status") != "done" or not weights:
        raise UsageError(f"--session {session}: that session of the run in {path.parent} is not "
                         "done; resume the run by running the same repetitive_train.py command")
    return _weights_path(weights, f"session {session}", path)


def _from_manifest(path: Path, session: int | None) -> TrainedRun:
    manifest = load_manifest(path.parent)
    config_file = manifest.get("config_file")
    if not isinstance(config_file, str) or not config_file:
        raise UsageError(f"--run: {path} is not the manifest of a d2hands run (no config_file)")
    sessions = manifest.get("sessions") or []
    if session is not None:
        weights = _session_weights(path, sessions, session)
    else:
        pending = [s.get("index") for s in sessions if s.get("status") != "done"]
        weights = manifest.get("final_weights")
        if pending or not weights:
            raise UsageError(
                f"--run: the run in {path.parent} is not finished (sessions {pending} not done, "
                "no final weights); resume it by running the same repetitive_train.py command "
                "again, or name a finished session with --session K")
        weights = _weights_path(weights, "the run", path)
    if not os.path.isfile(weights):
        raise UsageError(f"--run: the run's weights {weights} do not exist")
    if not os.path.isfile(config_file):
        raise UsageError(f"--run: the run's config {config_file} does not exist (paths in the "
                         "manifest are relative to where the run was started)")
    opts = [str(o) for o in manifest.get("opts") or []]
    return TrainedRun(config_file, opts + chosen_opts(manifest, session), weights)


def chosen_opts(manifest: dict, session: int | None = None) -> list[str]:
    """The opts of what was chosen on validation for a run (or one of its sessions).

    Naming the session the run chose is the same as naming none: the run's score threshold
    and, when one was chosen for that session, its test input size. Another session gets the
    threshold of its own validation curve. Evaluate, predict and videos use these.

    Returns:
        ``KEY VALUE`` opts (``INPUT.MIN_SIZE_TEST``, ``INPUT.MAX_SIZE_TEST``,
        ``HANDS.SCORE_THRESH``), empty where nothing was chosen.

    """
    sessions = manifest.get("sessions") or []
    own = session is None or session == manifest.get("best_session")
    if own:
        thresh = manifest.get("score_thresh")
    else:
        entry = [s for s in sessions if s.get("index") == session]
        thresh = session_threshold(entry[0]) if entry else None
    opts = []
    size = manifest.get("test_size")
    if own and isinstance(size, dict) and size.get("session") == manifest.get("best_session"):
        opts += ["INPUT.MIN_SIZE_TEST", str(int(size["min"])),
                 "INPUT.MAX_SIZE_TEST", str(int(size["max"]))]
    if thresh is not None:
        opts += ["HANDS.SCORE_THRESH", str(thresh)]
    return opts


def read_trained_run(run_dir: str | os.PathLike, session: int | None = None) -> TrainedRun:
    """Read the config, opts and final weights of a finished run, or of one of its sessions.

    Args:
        run_dir: The run's output folder.
        session: A repetitive run's session index: that session's weights instead of the ones
            the run chose. The rest of the run need not be finished.

    Returns:
        The run.

    Raises:
        UsageError: If the folder holds no run, or an unfinished one (or session), or its files
            are gone, or a session is named for a run that has none.

    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise UsageError(f"--run {folder}: no such folder")
    if (folder / MANIFEST).is_file():
        return _from_manifest(folder / MANIFEST, session)
    if session is not None:
        raise UsageError(f"--session: the run in {folder} has no sessions (only "
                         "repetitive_train.py runs do)")
    config, weights = folder / "config.yaml", folder / "model_final.pth"
    if config.is_file() and weights.is_file():
        return TrainedRun(str(config), [], str(weights))
    if config.is_file():
        raise UsageError(f"--run: the run in {folder} is not finished (no model_final.pth); "
                         "resume it with train_net.py --resume")
    raise UsageError(f"--run {folder}: no manifest.json (repetitive_train.py) or config.yaml + "
                     "model_final.pth (train_net.py) there")


def model_from_options(run_dir: str | None, session: int | None, config_file: str | None,
                       weights: str | None, opts: list[str]) -> TrainedRun | None:
    """The model a tool's ``--run DIR [--session K]`` options name, for every tool that takes them.

    Args:
        run_dir: ``--run``, or None.
        session: ``--session``, or None.
        config_file: ``--config-file``, or None.
        weights: ``--weights``, or None.
        opts: The trailing ``KEY VALUE`` opts; they go after the run's own.

    Returns:
        The run with both sets of opts, or None without ``--run`` (the tool then checks
        ``--config-file``/``--weights`` itself).

    Raises:
        UsageError: ``--run`` with ``--config-file``/``--weights``, ``--session`` without
            ``--run``, or any error of :func:`read_trained_run`.

    """
    if not run_dir:
        if session is not None:
            raise UsageError("--session K names a session of --run DIR")
        return None
    if config_file or weights:
        raise UsageError("--run DIR names the config and weights; it does not go with "
                         "--config-file/--weights")
    run = read_trained_run(run_dir, session)
    return TrainedRun(run.config_file, [*run.opts, *opts], run.weights)
