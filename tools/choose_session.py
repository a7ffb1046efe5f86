"""Choose a finished run's session and score threshold again, on larger validation sets.

    python tools/choose_session.py --run runs/mine [--datasets val5,valcomp] \
        [--select-metric hands/F1_best,segm/AP] [--test-sizes 256,320,416] [KEY VALUE ...]

Scores every finished session of a ``repetitive_train.py`` run on the validation sets
(``--datasets``, registered by the run or by a trailing ``DATASETS.REGISTER`` opt, which adds
to the run's sets; default the run's ``DATASETS.TEST``), records each session's metrics and
F1 curve in the run's ``manifest.json``, and chooses the session and its threshold again.
The default rule, ``hands/F1_best,segm/AP``, takes the session with the highest hands F1 at
its own best threshold over all sets pooled, then mask AP on the first set, then the later
session. With ``--test-sizes``, the chosen session is also scored at each test input size
(``INPUT.MIN_SIZE_TEST``; the longest side scaled alike) and the size of best F1 is recorded
with its own threshold. ``evaluate.py``, ``predict.py`` and ``visualize_video.py --run`` use
the new choice. Resumable: sessions already scored on the same sets are skipped.
"""

from __future__ import annotations

from d2hands.cli import ArgumentParser, run_cli


def main(argv=None) -> int:
    """Score, choose, record and print."""
    from d2hands.repetitive.manifest import ROBUST_SELECT_METRIC

    parser = ArgumentParser(prog="choose_session.py", description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, metavar="DIR", help="a repetitive run")
    parser.add_argument("--datasets", metavar="A,B",
                        help="validation sets (default: the run's DATASETS.TEST)")
    parser.add_argument("--select-metric", default=ROBUST_SELECT_METRIC,
                        help="metric to maximise; further comma-separated ones break ties "
                             f"(default {ROBUST_SELECT_METRIC})")
    parser.add_argument("--test-sizes", metavar="A,B",
                        help="test input sizes (shorter side, px) to choose among, e.g. "
                             "256,320,416 (default: keep the config's)")
    parser.add_argument("opts", nargs="*", metavar="KEY VALUE")
    args = parser.parse_args(argv)
    try:
        sizes = [int(v) for v in (args.test_sizes or "").split(",") if v.strip()]
    except ValueError:
        parser.error(f"--test-sizes takes comma-separated whole numbers, got {args.test_sizes!r}")
    if any(size < 32 for size in sizes):
        parser.error(f"--test-sizes: each size is at least 32 px, got {args.test_sizes}")

    from tqdm import tqdm

    from d2hands.repetitive.session_choice import choose_run_session

    names = [n for n in (args.datasets or "").split(",") if n] or None
    bars = []  # made on the first evaluation: a run scored already shows none

    def progress(_index):
        if not bars:
            bars.append(tqdm(desc="scoring", unit="evaluation", leave=False))
        bars[0].update(1)

    try:
        chosen = choose_run_session(args.run, names, args.select_metric, args.opts,
                                    progress=progress, test_sizes=sizes)
    finally:
        for bar in bars:
            bar.close()
    metrics = [m.strip() for m in args.select_metric.split(",") if m.strip()]
    sets = "+".join(chosen["datasets"])
    print(f"scored sessions {chosen['scored']} on {sets}" if chosen["scored"] else
          f"every session was already scored on {sets}")
    for index, values in chosen["sessions"].items():
        shown = ", ".join(f"{m} {_number(values.get(m)):.3f}" for m in metrics)
        mark = "  <- chosen" if index == chosen["best_session"] else ""
        print(f"  session {index}: {shown}{mark}")
    size = chosen["test_size"]
    print(f"chose session {chosen['best_session']} at score threshold {chosen['score_thresh']}"
          + (f", test size {size['min']} (longest side {size['max']})" if size else "")
          + f"; recorded in {args.run}/manifest.json")
    return 0


def _number(value) -> float:
    return float("nan") if value is None else float(value)


if __name__ == "__main__":
    run_cli(main)
