"""Run a chain of sessions (or the conventional baseline), resumable, with a manifest."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from detectron2.data import DatasetCatalog
from detectron2.utils import comm

from ..errors import UsageError
from ..io_utils import write_json_atomic
from .manifest import (
    DEFAULT_SELECT_METRIC,
    check_same_config,
    check_same_plan,
    check_select_metric,
    load_manifest,
    open_run,
    save_manifest,
    select_best,
)
from .plan import PlanRequest, build_plan
from .saturation import saturation_step
from .session import read_loss_lines, run_session, session_cfg

logger = logging.getLogger(__name__)


def subset_dataset_of(cfg) -> str:
    """The training set that is split into subsets."""
    return cfg.HANDS.SUBSET_DATASET or cfg.DATASETS.TRAIN[0]


def auto_subsets(cfg, out_dir: Path, probe_iters: int) -> tuple[int, dict]:
    """Pick S from a short probe run so that one pass over a subset ends before saturation.

    The probe trains all layers on the whole set for ``probe_iters`` steps (kept in
    ``out_dir/probe``, reused on re-runs). With saturation at step t, ``(t + 1) * batch``
    images are seen before it, so S = ceil(images / that) gives subsets that a session of one
    epoch finishes before saturating. No saturation within the probe gives S = 1.
    """
    name = subset_dataset_of(cfg)
    num_images = len(DatasetCatalog.get(name))
    probe = {"subset": None, "subset_images": num_images, "layers": "all", "freeze_at": 0,
             "regex": "", "iters": probe_iters, "lr": cfg.SOLVER.BASE_LR,
             "rois": cfg.MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE, "index": -1}
    plan = {"num_subsets": 1, "seed": 0, "subset_dataset": name}
    probe_dir = out_dir / "probe"
    losses = [line["loss"] for line in read_loss_lines(probe_dir / "losses.jsonl")]
    if len(losses) < probe_iters:
        run_session(session_cfg(cfg, probe, plan, probe_dir, cfg.MODEL.WEIGHTS), probe)
        losses = [line["loss"] for line in read_loss_lines(probe_dir / "losses.jsonl")]
    step = saturation_step(losses)
    seen = None if step is None else (step + 1) * cfg.SOLVER.IMS_PER_BATCH
    subsets = 1 if seen is None else max(1, min(num_images, math.ceil(num_images / seen)))
    info = {"probe_iters": probe_iters, "saturation_step": step, "images_before_saturation": seen,
            "images": num_images, "subsets": subsets}
    logger.info("auto subsets: %s", info)
    return subsets, info


def evaluate_weights(cfg, weights: str, datasets: list[str]) -> tuple[dict, dict]:
    """Validation metrics of a session's weights and its hands F1 at every score threshold.

    Returns:
        The first set's metrics flattened to ``{"hands/F1": ...}`` plus ``hands/F1_best``
        (the curve's highest F1), and ``{threshold: F1}`` over all ``datasets`` pooled
        (``d2hands.evaluation.threshold``).

    """
    from ..evaluation.inference import run_inference
    from ..evaluation.report import to_detectron2_results
    from ..evaluation.threshold import f1_curve
    from ..modeling.loading import load_model

    model = load_model(cfg, weights)
    evaluations = [run_inference(cfg, model, name).evaluation for name in datasets]
    if evaluations[0] is None:  # not the main process
        return {}, {}
    results = to_detectron2_results(evaluations[0].metrics)
    iou = float(evaluations[0].metrics["settings"]["iou_thresh"])
    curve = f1_curve([image for e in evaluations for image in e.images], iou)
    metrics = {f"{group}/{key}": value for group, values in results.items()
               if isinstance(values, dict) for key, value in values.items()}
    metrics["hands/F1_best"] = round(max(curve.values(), default=0.0), 6)
    return metrics, {str(t): round(f1, 6) for t, f1 in curve.items()}


def plan_of(cfg, request: PlanRequest) -> dict:
    """The plan of a request on the config's training data."""
    name = subset_dataset_of(cfg)
    return build_plan(request, cfg, len(DatasetCatalog.get(name)), name)


def check_continuable(cfg, request: PlanRequest, out_dir: Path, config_file: str,
                      opts: list[str], force_new: bool, auto: bool = False) -> None:
    """Refuse, before anything is written, an output folder whose run this command changes.

    The config file, the ``KEY VALUE`` opts and (unless ``--subsets auto`` decides it later)
    the plan must be those recorded in ``out_dir/manifest.json``. With ``auto`` (``--subsets
    auto``) the plan is checked once the probe has chosen it, by ``open_run``.

    Raises:
        PlanChangedError: Naming what differs.
        UsageError: If the manifest is not one of a d2hands run.

    """
    existing = None if force_new else load_manifest(Path(out_dir))
    if existing is None:
        return
    check_same_config(existing, Path(out_dir), config_file, opts)
    if not auto:
        check_same_plan(existing, Path(out_dir), plan_of(cfg, request))


def run_chain(cfg, request: PlanRequest, out_dir: Path, *, config_file: str = "",
              opts: list[str] | None = None, select: str = "loss",
              select_metric: str = DEFAULT_SELECT_METRIC, force_new: bool = False,
              auto_probe_iters: int | None = None) -> dict:
    """Run (or continue) every session of a plan; return the final manifest.

    Args:
        cfg: the base config (datasets registered), frozen.
        request: subsets, schedule and per-session overrides.
        out_dir: the run folder: ``manifest.json`` and ``session_KK/``.
        config_file: recorded in the manifest.
        opts: the ``KEY VALUE`` opts, recorded in the manifest.
        select: ``loss`` (lowest average training loss, the paper's rule) or ``val``.
        select_metric: with ``select='val'``, the metric to maximise; further
            comma-separated metrics break ties in order (``select_best``).
        force_new: keep an existing run under ``previous-<time>/`` and start again.
        auto_probe_iters: if set, S comes from :func:`auto_subsets` with this many probe steps.
    """
    out_dir = Path(out_dir)
    if select == "val":
        if not cfg.DATASETS.TEST:
            raise UsageError("--select val needs a validation set in DATASETS.TEST")
        check_select_metric(select_metric)
    auto_info = None
    if auto_probe_iters:
        request.subsets, auto_info = auto_subsets(cfg, out_dir, auto_probe_iters)
        if len(request.schedule) == 1 and not request.conventional:
            request.schedule = request.schedule * request.subsets
    plan = plan_of(cfg, request)
    known = set(DatasetCatalog.list())
    unknown = sorted({n for s in plan["sessions"] for n in s["train"] if n not in known})
    if unknown:
        raise UsageError(f"--session-data names {unknown}, which are not registered: add them "
                         "to DATASETS.REGISTER as [name, annotations.json, image_root]")
    if comm.is_main_process():
        manifest = open_run(out_dir, plan, config_file, opts or [], select, force_new)
        if auto_info:
            manifest["auto_subsets"] = auto_info
    comm.synchronize()
    manifest = load_manifest(out_dir) if not comm.is_main_process() else manifest

    previous = cfg.MODEL.WEIGHTS
    trained = False
    for session, state in zip(plan["sessions"], manifest["sessions"], strict=True):
        session_dir = out_dir / f"session_{session['index']:02d}"
        if state.get("status") == "done" and Path(state["final_weights"]).exists():
            previous = state["final_weights"]
            continue
        scfg = session_cfg(cfg, session, plan, session_dir, previous)
        state.update(status="running", init_weights=previous)
        if comm.is_main_process():
            save_manifest(out_dir, manifest)
        stats = run_session(scfg, session)
        if select == "val":
            stats["val"], stats["val_thresholds"] = evaluate_weights(
                scfg, stats["final_weights"], list(cfg.DATASETS.TEST))
        state.update(stats, status="done")
        trained = True
        previous = stats["final_weights"]
        select_best(manifest, "avg_loss" if select == "loss" else select_metric)
        if comm.is_main_process():
            save_manifest(out_dir, manifest)
        comm.synchronize()
    if trained or "validation" not in manifest:
        # A choice made since by tools/choose_session.py (its sets, rule and test size) stands
        # while no session changes; a newly trained one is chosen by the chain's rule again.
        for key in ("validation", "select_metric", "test_size"):
            manifest.pop(key, None)
        select_best(manifest, "avg_loss" if select == "loss" else select_metric)
    if comm.is_main_process():
        save_manifest(out_dir, manifest)
        write_json_atomic(out_dir / "losses_all.json", concatenated_losses(out_dir, manifest))
    return manifest


def concatenated_losses(out_dir: Path, manifest: dict) -> dict:
    """Every session's per-step losses, in chain order, for plotting."""
    return {f"session_{s['index']:02d}": [line["loss"] for line in read_loss_lines(
        out_dir / f"session_{s['index']:02d}" / "losses.jsonl")] for s in manifest["sessions"]}
