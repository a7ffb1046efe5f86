"""The plan of a repetitive (or conventional) run: what every session trains, on what, how long."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..data.subsets import split_into_subsets
from ..errors import UsageError
from .layers import parse_layer_spec


@dataclass
class PlanRequest:
    """What the user asked for, before it is resolved against the config and the data.

    Per-session fields hold one value (every session) or one per session.
    """

    subsets: int
    schedule: list[str]
    seed: int = 0
    same_subset: bool = False
    conventional: bool = False
    iters: list[int] | None = None
    epochs: list[float] | None = None
    rois: list[int] | None = None
    lr: list[float] | None = None
    session_data: dict[int, list[tuple[str, float]]] | None = None


def parse_session_data(specs: list[str] | None) -> dict[int, list[tuple[str, float]]] | None:
    """Parse ``--session-data K=NAME[:FACTOR],NAME[:FACTOR]`` entries.

    ``K`` is a session index (negative counts from the end; ``last`` is -1); each ``NAME`` is
    a registered training set, ``FACTOR`` its replication (default 1).

    Raises:
        ValueError: for a malformed entry or the same session given twice.

    """
    if not specs:
        return None
    parsed: dict[int, list[tuple[str, float]]] = {}
    for spec in specs:
        index, sep, sets = spec.partition("=")
        try:
            k = -1 if index.strip() == "last" else int(index)
        except ValueError:
            k = None
        if not sep or k is None or not sets.strip():
            raise UsageError(f"--session-data takes K=NAME[:FACTOR],..., got {spec!r}")
        if k in parsed:
            raise UsageError(f"--session-data gives session {k} twice")
        entries = []
        for part in sets.split(","):
            name, _, factor = part.strip().partition(":")
            try:
                value = float(factor) if factor else 1.0
            except ValueError:
                value = -1.0
            if not name or value <= 0:
                raise UsageError(f"--session-data: {part!r} is not NAME or NAME:FACTOR with a "
                                 "positive factor")
            entries.append((name, value))
        parsed[k] = entries
    return parsed


def _session_datasets(request: PlanRequest, cfg, sessions: int) -> list[tuple[list, list]]:
    """``(train sets, replication)`` of every session: the config's, or ``--session-data``'s."""
    default = (list(cfg.DATASETS.TRAIN), [[name, float(f)] for name, f in
                                         cfg.DATASETS.REPLICATION])
    data = [default] * sessions
    for k, entries in (request.session_data or {}).items():
        if not -sessions <= k < sessions:
            raise UsageError(f"--session-data names session {k}; the plan has {sessions} "
                             f"sessions (0..{sessions - 1}, or -1 for the last)")
        data[k % sessions] = ([name for name, _ in entries],
                              [[name, f] for name, f in entries if f != 1.0])
    return data


def parse_list(text: str | None, kind=float) -> list | None:
    """Parse ``"100"`` or ``"100,100,200"`` into a list (None stays None)."""
    if text is None or text == "":
        return None
    try:
        return [kind(part) for part in str(text).split(",")]
    except ValueError:
        raise UsageError(f"expected a number or a comma-separated list, got {text!r}") from None


def _per_session(name: str, values: list | None, sessions: int, default) -> list:
    """Expand one value to every session, or check a list has one value per session."""
    if values is None:
        return [default] * sessions
    if len(values) == 1:
        return values * sessions
    if len(values) != sessions:
        raise UsageError(f"--{name} has {len(values)} values for {sessions} sessions: give one "
                         "value for all sessions or exactly one per session")
    return list(values)


def _session_count(request: PlanRequest) -> int:
    if request.conventional:
        return 1
    sessions = len(request.schedule)
    if request.same_subset:
        return sessions
    if sessions < request.subsets:
        raise UsageError(
            f"the schedule has {sessions} entries for {request.subsets} subsets: every subset "
            "needs a session. Give one layer spec per subset (e.g. --schedule "
            f"{','.join(['all'] * request.subsets)}), fewer --subsets, or --same-subset to train "
            "every session on one subset")
    if sessions > request.subsets:
        raise UsageError(
            f"the schedule has {sessions} entries for {request.subsets} subsets; to train "
            "several sessions on one subset use --same-subset")
    return sessions


def build_plan(request: PlanRequest, cfg, num_images: int, subset_dataset: str) -> dict:
    """Resolve a request into a JSON-able plan.

    Args:
        request: the user's request.
        cfg: the base config (defaults for iters, lr, ROIs; the batch size).
        num_images: images of ``subset_dataset`` (the set that is split).
        subset_dataset: name of the training set that is split into subsets.

    Returns:
        ``{"kind", "subset_dataset", "num_subsets", "seed", "subset_sizes", "ims_per_batch",
        "sessions": [{"index", "subset", "subset_images", "layers", "freeze_at", "regex",
        "iters", "lr", "rois", "train", "replication"}, ...]}``; ``subset`` is None for the
        whole set (and for a session whose ``train`` sets leave out the split set).
    """
    for spec in request.schedule:
        parse_layer_spec(spec)
    if request.iters is not None and request.epochs is not None:
        raise UsageError("give --iters or --epochs, not both")
    batch = cfg.SOLVER.IMS_PER_BATCH
    subset_sizes = [len(s) for s in split_into_subsets(num_images, request.subsets, request.seed)]
    sessions = _session_count(request)
    # The conventional baseline gets the repetitive plan's total steps, so both compare 1:1.
    ref_count = len(request.schedule) if request.same_subset else request.subsets
    ref_subsets = [0 if request.same_subset else k for k in range(ref_count)]
    if request.epochs is not None:
        epochs = _per_session("epochs", request.epochs, ref_count, 1.0)
        ref_iters = [max(1, math.ceil(e * subset_sizes[s] / batch))
                     for e, s in zip(epochs, ref_subsets, strict=True)]
    else:
        ref_iters = [int(i) for i in _per_session("iters", request.iters, ref_count,
                                                  cfg.SOLVER.MAX_ITER)]
    lrs = _per_session("lr", request.lr, ref_count, cfg.SOLVER.BASE_LR)
    rois = _per_session("rois", request.rois, ref_count, cfg.MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE)

    if request.conventional:
        specs = [parse_layer_spec("all")]
        plan_sessions = [(None, specs[0], sum(ref_iters), lrs[0], rois[0])]
    else:
        specs = [parse_layer_spec(s) for s in request.schedule]
        plan_sessions = [(ref_subsets[k], specs[k], ref_iters[k], lrs[k], rois[k])
                         for k in range(sessions)]
    if any(iters < 1 for _, _, iters, _, _ in plan_sessions):
        raise UsageError("every session needs at least one iteration")
    data = _session_datasets(request, cfg, len(plan_sessions))
    own = {k % len(plan_sessions) for k in request.session_data or {}}
    # A session with its own sets trains on all of them when they leave out the split set.
    whole = {k for k in own if subset_dataset not in data[k][0]}
    if request.epochs is not None and whole:
        raise UsageError(f"--epochs count passes over {subset_dataset!r}; a session whose "
                         "--session-data leaves it out needs --iters")
    plan_sessions = [(None if k in whole else subset, spec, iters, lr, roi)
                     for k, (subset, spec, iters, lr, roi) in enumerate(plan_sessions)]
    return {
        "kind": "conventional" if request.conventional else "repetitive",
        "subset_dataset": subset_dataset,
        "num_subsets": 1 if request.conventional else request.subsets,
        "seed": request.seed,
        "subset_sizes": [num_images] if request.conventional else subset_sizes,
        "ims_per_batch": batch,
        "sessions": [
            {"index": k, "subset": subset,
             "subset_images": num_images if subset is None else subset_sizes[subset],
             "layers": spec.text, "freeze_at": spec.freeze_at, "regex": spec.regex,
             "iters": int(iters), "lr": float(lr), "rois": int(roi),
             "train": data[k][0], "replication": data[k][1]}
            for k, (subset, spec, iters, lr, roi) in enumerate(plan_sessions)
        ],
    }
