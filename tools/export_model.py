"""Export a trained model: ONNX, TorchScript, or a slim (weights-only, optionally fp16) checkpoint.

    python tools/export_model.py --output hands.onnx  # the default model that ships
    python tools/export_model.py --run runs/mine --output exported/hands.onnx
    python tools/export_model.py --run runs/mine --output exported/hands.ts
    python tools/export_model.py --config-file CFG --weights W --output exported/hands.pth --half

The format follows ``--output``'s suffix (or ``--format``):

- ``.onnx``: runs on ONNX Runtime with numpy alone (``d2hands.runtime.ExportedPredictor``), no
  torch or detectron2 in the process;
- ``.ts``: TorchScript, runs with torch and torchvision, no detectron2;
- ``.pth`` (``slim``): the model's weights only (no optimizer, no trainer state) plus
  ``OUTPUT.yaml`` beside it, the full config needing no ``_BASE_`` file and no dataset.

Every kind loads with ``HandsPredictor`` (``from_exported(OUTPUT)`` or ``from_config(OUTPUT.yaml,
OUTPUT)``) and every tool's ``--weights``.
"""

from __future__ import annotations

from pathlib import Path

from d2hands.cli import ArgumentParser, run_cli
from d2hands.errors import UsageError
from d2hands.io_utils import check_outputs_spare_inputs
from d2hands.predict.cli import add_model_arguments

FORMATS = {".onnx": "onnx", ".ts": "torchscript", ".pt": "torchscript", ".pth": "slim"}


def output_format(output: Path, asked: str | None) -> str:
    """The export format: ``--format``, else ``--output``'s suffix (checked to agree)."""
    by_suffix = FORMATS.get(output.suffix.lower())
    if asked is None and by_suffix is None:
        raise UsageError(f"--output must end in .onnx, .ts or .pth (or give --format), "
                         f"got {output}")
    fmt = asked or by_suffix
    if by_suffix != fmt:
        wanted = {"onnx": ".onnx", "torchscript": ".ts or .pt", "slim": ".pth"}[fmt]
        raise UsageError(f"--format {fmt} writes a {wanted} file; --output is {output}")
    return fmt


def main(argv=None) -> int:
    """Export and print what was written."""
    parser = ArgumentParser(prog="export_model.py", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True,
                        help="the file to write: .onnx, .ts or .pth")
    parser.add_argument("--format", choices=["onnx", "torchscript", "slim"],
                        help="default: by --output's suffix")
    parser.add_argument("--half", action="store_true",
                        help="slim: store float16 weights (half the size)")
    parser.add_argument("--sample", type=Path, metavar="IMAGE",
                        help="onnx/torchscript: an image to trace with (default: a noise image)")
    add_model_arguments(parser, exported=False, score_help=(
        "onnx/torchscript: the lowest score the file can be run at (default: the model's "
        "HANDS.SCORE_THRESH); lower keeps more boxes and runs slower"))
    parser.add_argument("opts", nargs="*", metavar="KEY VALUE")
    args = parser.parse_args(argv)
    fmt = output_format(args.output, args.format)
    if args.half and fmt != "slim":
        raise UsageError("--half applies to the slim .pth format only")
    if args.score_thresh is not None and fmt == "slim":
        raise UsageError("--score-thresh applies to onnx/torchscript exports (a slim "
                         "checkpoint keeps the config's HANDS.SCORE_THRESH)")

    from d2hands.predict.export import export_model
    from d2hands.predict.predictor import DEFAULT_CONFIG, DEFAULT_WEIGHTS
    from d2hands.repetitive.trained_run import model_from_options

    run = model_from_options(args.run, args.session, args.config_file, args.weights, args.opts)
    config_file, weights, opts = ((run.config_file, run.weights, run.opts) if run else
                                  (args.config_file, args.weights, args.opts))
    if not (config_file or weights):  # no model named: the one that ships
        config_file, weights = str(DEFAULT_CONFIG), str(DEFAULT_WEIGHTS)
    if not (config_file and weights):
        raise UsageError("give --run DIR, or both --config-file CFG and --weights W (or "
                         "neither, for the default model)")
    outputs = {"--output": args.output}
    if fmt == "slim":
        outputs["--output's config"] = args.output.with_suffix(".yaml")
    inputs = {"--weights": weights, "--config-file": config_file}
    if args.sample:
        inputs["--sample"] = args.sample
    check_outputs_spare_inputs(outputs, inputs)
    for path in export_model(config_file, opts, weights, args.output, fmt, args.half,
                             args.sample, args.score_thresh):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    run_cli(main)
