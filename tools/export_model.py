"""Export a trained model: a standalone config and slim (weights-only, optionally fp16) weights.

    python tools/export_model.py --run runs/mine --output exported/hands.pth [--half]
    python tools/export_model.py --config-file CFG --weights W --output exported/hands.pth

Writes ``OUTPUT`` (the model's weights only: no optimizer, no trainer state) and
``OUTPUT.yaml`` beside it (the full config, needing no ``_BASE_`` file and no dataset). Both
load with ``HandsPredictor.from_config(OUTPUT.yaml, OUTPUT)`` and every tool's
``--config-file/--weights``.
"""

from __future__ import annotations

from pathlib import Path

from d2hands.cli import ArgumentParser, run_cli
from d2hands.errors import UsageError
from d2hands.io_utils import check_outputs_spare_inputs


def main(argv=None) -> int:
    """Export and print what was written."""
    parser = ArgumentParser(prog="export_model.py", description=__doc__.splitlines()[0])
    parser.add_argument("--run", metavar="DIR", help="a finished training run")
    parser.add_argument("--session", type=int, metavar="K", help="with --run: its session K")
    parser.add_argument("--config-file", metavar="CFG")
    parser.add_argument("--weights", metavar="W")
    parser.add_argument("--output", type=Path, required=True, help="the weights file (.pth)")
    parser.add_argument("--half", action="store_true", help="store float16 weights (half size)")
    parser.add_argument("opts", nargs="*", metavar="KEY VALUE")
    args = parser.parse_args(argv)
    if args.output.suffix != ".pth":
        raise UsageError(f"--output must end in .pth, got {args.output}")

    from d2hands.predict.export import export_slim
    from d2hands.repetitive.trained_run import model_from_options

    run = model_from_options(args.run, args.session, args.config_file, args.weights, args.opts)
    config_file, weights, opts = ((run.config_file, run.weights, run.opts) if run else
                                  (args.config_file, args.weights, args.opts))
    if not (config_file and weights):
        raise UsageError("give --run DIR, or both --config-file CFG and --weights W")
    check_outputs_spare_inputs({"--output": args.output,
                                "--output's config": args.output.with_suffix(".yaml")},
                               {"--weights": weights, "--config-file": config_file})
    for path in export_slim(config_file, opts, weights, args.output, args.half):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    run_cli(main)
