"""Repetitive training: a chain of Mask R-CNN sessions on random subsets of the synthetic set.

    python tools/repetitive_train.py --config-file CFG --subsets 10 \
        --schedule all,all,3+,3+,4+,4+,5+,5+,heads,heads --output-dir DIR [KEY VALUE ...]
    python tools/repetitive_train.py ... --conventional --output-dir DIR_CONV   # the baseline

Re-running the same command continues a killed run; see README.md, "Repetitive training".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from d2hands.cli import one_line_errors, run_cli
from d2hands.engine import build_cfg
from d2hands.errors import UsageError
from d2hands.repetitive import PlanRequest, run_chain
from d2hands.repetitive.chain import check_continuable
from d2hands.repetitive.manifest import DEFAULT_SELECT_METRIC, check_select_metric
from d2hands.repetitive.plan import parse_list, parse_session_data


def build_parser() -> argparse.ArgumentParser:
    """detectron2's standard arguments plus the chain's."""
    from detectron2.engine import default_argument_parser

    parser = one_line_errors(default_argument_parser(__doc__.splitlines()[0]))
    group = parser.add_argument_group("repetitive training")
    group.add_argument("--subsets", default="10",
                       help="S, the number of random subsets of the synthetic set, or 'auto'")
    group.add_argument("--schedule", default="all",
                       help="comma-separated layer specs per session: all, 3+, 4+, 5+, heads, "
                            "or re:<regex>")
    group.add_argument("--output-dir", required=True, type=Path, help="run folder")
    group.add_argument("--iters", help="steps per session (one value or one per session)")
    group.add_argument("--epochs", help="epochs over the session's subset, instead of --iters")
    group.add_argument("--rois", help="ROIs per image (ROI_HEADS.BATCH_SIZE_PER_IMAGE)")
    group.add_argument("--lr", help="base learning rate per session")
    group.add_argument("--seed", type=int, default=0, help="seed of the subset split")
    group.add_argument("--session-data", action="append", metavar="K=NAME[:FACTOR],...",
                       help="session K (0-based; 'last', or --session-data=-1=... for negative "
                            "K) trains on these registered sets, "
                            "each replicated FACTOR times, instead of DATASETS.TRAIN; "
                            "repeatable, recorded in the manifest")
    group.add_argument("--same-subset", action="store_true",
                       help="train every session on subset 0")
    group.add_argument("--conventional", action="store_true",
                       help="the baseline: one session, all layers, the chain's total steps, "
                            "the whole set")
    group.add_argument("--select", choices=["loss", "val"], default="loss",
                       help="pick the final session by lowest average loss (the paper) or by a "
                            "validation metric on DATASETS.TEST")
    group.add_argument("--select-metric", default=DEFAULT_SELECT_METRIC,
                       help="with --select val: metric to maximise, e.g. hands/F1 or segm/AP; "
                            "more, comma-separated, break ties in order")
    group.add_argument("--probe-iters", type=int, default=200,
                       help="with --subsets auto: steps of the probe run")
    group.add_argument("--verbose", action="store_true",
                       help="print detectron2's log too (it always goes to OUTPUT_DIR/log.txt)")
    group.add_argument("--force-new", action="store_true",
                       help="keep an existing run under DIR/previous-<time>/ and start again")
    return parser


def request_from_args(args) -> PlanRequest:
    """Turn the command line into a plan request (validated)."""
    schedule = [s.strip() for s in args.schedule.split(",") if s.strip()]
    if not schedule:
        raise UsageError("--schedule is empty")
    if args.subsets != "auto":
        try:
            subsets = int(args.subsets)
        except ValueError:
            raise UsageError(
                f"--subsets must be a number or 'auto', got {args.subsets!r}") from None
    else:
        subsets = 1
    iters = parse_list(args.iters, int)
    try:
        session_data = parse_session_data(args.session_data)
        if args.select == "val":
            check_select_metric(args.select_metric)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return PlanRequest(subsets=subsets, schedule=schedule, seed=args.seed,
                       same_subset=args.same_subset, conventional=args.conventional,
                       iters=iters, epochs=parse_list(args.epochs, float),
                       rois=parse_list(args.rois, int), lr=parse_list(args.lr, float),
                       session_data=session_data)


def main(args):
    """Run the chain in every process that ``launch()`` starts."""
    from d2hands.engine.setup import default_setup_quietly

    cfg = build_cfg(args.config_file, args.opts, freeze=False)
    cfg.OUTPUT_DIR = str(args.output_dir)
    cfg.freeze()
    request = request_from_args(args)
    # A run this command would change is refused before config.yaml and log.txt are written.
    check_continuable(cfg, request, Path(args.output_dir), args.config_file, args.opts,
                      args.force_new, auto=args.subsets == "auto")
    default_setup_quietly(cfg, args, verbose=args.verbose)
    manifest = run_chain(
        cfg, request, args.output_dir, config_file=args.config_file,
        opts=args.opts, select=args.select, select_metric=args.select_metric,
        force_new=args.force_new,
        auto_probe_iters=args.probe_iters if args.subsets == "auto" else None)
    summary = {"best_session": manifest["best_session"], "final_weights": manifest["final_weights"]}
    print(json.dumps(summary))
    return summary


def cli() -> None:
    """Check the arguments, then start the chain in every process."""
    from detectron2.engine import launch

    args = build_parser().parse_args()
    request_from_args(args)  # bad arguments fail here, before any process starts
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))


if __name__ == "__main__":
    run_cli(cli)
