"""Build a frozen config from a file plus ``KEY VALUE`` opts, register its datasets; route logs."""

from __future__ import annotations

import contextlib
import logging
import os

from detectron2.config import get_cfg
from detectron2.engine import default_setup
from detectron2.utils import comm
from detectron2.utils.logger import setup_logger

from .. import modeling  # noqa: F401  (registers the MobileNetV2 backbones)
from ..config import add_hands_config
from ..config_file import check_config_values, merge_config_file, merge_config_opts
from ..data.registration import register_datasets_from_cfg


def build_cfg(config_file: str = "", opts: list[str] | None = None, freeze: bool = True):
    """Return detectron2's defaults + d2hands' keys, merged with a file and opts.

    The datasets the config declares are registered by name; none is read (building a config
    for inference never opens the training images). The training loader picks the mask format
    that its data needs.

    Config files are read as plain YAML (never a python tag), see ``d2hands.config_file``.

    Args:
        config_file: a yacs YAML file (may use ``_BASE_``); empty for the defaults.
        opts: trailing ``KEY VALUE`` pairs, as detectron2's tools take them.
        freeze: freeze the returned config.

    Raises:
        ConfigError: For a missing or invalid file, an unknown key or a bad override.
        UnsafeFileError: For a file of the chain that asks to run code.

    """
    cfg = get_cfg()
    add_hands_config(cfg)
    if config_file:
        merge_config_file(cfg, config_file)
    merge_config_opts(cfg, list(opts or []))
    check_config_values(cfg)
    register_datasets_from_cfg(cfg)
    if freeze:
        cfg.freeze()
    return cfg


LOG_FILE = "log.txt"
_SINK = None


def _console_sink():
    global _SINK
    if _SINK is None:
        _SINK = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the loggers using it
    return _SINK


@contextlib.contextmanager
def _console(verbose: bool):
    """Loggers set up inside get the console (verbose) or a sink in its place (quiet)."""
    if verbose:
        yield
    else:
        with contextlib.redirect_stdout(_console_sink()):
            yield


def route_logs(output_dir: str | None, verbose: bool = False) -> str | None:
    """Send detectron2's, fvcore's and d2hands' logs (and Python warnings) to a file.

    The full log goes to ``output_dir/log.txt`` (``None``: no file, for tools that must write
    nothing before their inputs are known to be good); the console gets it only with
    ``verbose``. Tools call this (or :func:`setup`) before anything logs, so that they print
    only their progress bars and summary.

    Returns:
        The log file's path, or None.

    """
    rank = comm.get_rank()
    with _console(verbose):
        setup_logger(output_dir, distributed_rank=rank, name="fvcore")
        setup_logger(output_dir, distributed_rank=rank)
        setup_logger(output_dir, distributed_rank=rank, name="d2hands", abbrev_name="d2hands")
    if not verbose:
        logging.captureWarnings(True)
        warnings_logger = logging.getLogger("py.warnings")
        warnings_logger.handlers = logging.getLogger("d2hands").handlers[-1:]
        warnings_logger.propagate = False
    return None if output_dir is None else os.path.join(output_dir, LOG_FILE)


def setup(args, verbose: bool = True):
    """Config for a tool run from detectron2-style ``args`` (also logging and the output dir).

    Args:
        args: From detectron2's ``default_argument_parser`` (``config_file``, ``opts``).
        verbose: Print detectron2's log (environment, config, every step) as ``train_net.py``
            does; otherwise it goes to ``OUTPUT_DIR/log.txt`` only.

    """
    cfg = build_cfg(args.config_file, args.opts)
    default_setup_quietly(cfg, args, verbose)
    return cfg


def default_setup_quietly(cfg, args, verbose: bool = False) -> None:
    """Run detectron2's ``default_setup``, its log routed by :func:`route_logs` unless verbose.

    ``default_setup`` makes the output dir, writes ``config.yaml`` and seeds the RNGs.
    """
    if not verbose:
        route_logs(cfg.OUTPUT_DIR)
    with _console(verbose):
        default_setup(cfg, args)
