"""Plot repetitive training like the paper's Fig. 2 (optionally beside the conventional run).

    python tools/plot_training.py DIR [DIR2] [--output-dir PLOTS_DIR]
"""

from __future__ import annotations

from pathlib import Path

from d2hands.cli import ArgumentParser, run_cli
from d2hands.repetitive.plots import write_training_plots


def main(argv=None) -> None:
    """Write the plots and print their paths."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="one or two repetitive_train.py runs")
    parser.add_argument("--output-dir", dest="out", type=Path,
                        help="output folder (default: FIRST_RUN/plots)")
    args = parser.parse_args(argv)
    if len(args.runs) > 2:
        parser.error("give at most two runs (repetitive and conventional)")
    for path in write_training_plots(args.runs, args.out or args.runs[0] / "plots"):
        print(path)


if __name__ == "__main__":
    run_cli(main)
