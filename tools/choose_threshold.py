"""Choose a finished run's score threshold on validation images and record it in the run.

    python tools/choose_threshold.py --run runs/mine [--datasets val5,valcomp] [KEY VALUE ...]

Scores the run's chosen session on its validation sets (``DATASETS.TEST``, or ``--datasets``,
registered by the run's config or a trailing ``DATASETS.REGISTER`` opt) at every threshold
from 0.10 to 0.95, keeps the best hands F1 (ties: nearest 0.7) and writes it into the run's
``manifest.json``. ``evaluate.py``, ``predict.py`` and ``visualize_video.py --run`` use it from
then on (their ``--score-thresh`` still overrides it). ``repetitive_train.py --select val``
does this by itself at the end of a run.
"""

from __future__ import annotations

from d2hands.cli import ArgumentParser, run_cli


def main(argv=None) -> int:
    """Choose, record and print the threshold."""
    parser = ArgumentParser(prog="choose_threshold.py", description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, metavar="DIR", help="a finished repetitive run")
    parser.add_argument("--datasets", metavar="A,B",
                        help="validation sets (default: the run's DATASETS.TEST)")
    parser.add_argument("opts", nargs="*", metavar="KEY VALUE")
    args = parser.parse_args(argv)

    from d2hands.repetitive.threshold_choice import choose_run_threshold

    names = [n for n in (args.datasets or "").split(",") if n] or None
    chosen = choose_run_threshold(args.run, names, args.opts)
    curve = ", ".join(f"{t}: {f1:.3f}" for t, f1 in chosen["curve"].items())
    print(f"hands F1 on {'+'.join(chosen['datasets'])} by threshold: {curve}")
    print(f"chose {chosen['score_thresh']}; recorded in {args.run}/manifest.json")
    return 0


if __name__ == "__main__":
    run_cli(main)
