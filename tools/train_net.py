"""Train (or evaluate) Mask R-CNN for hands on the datasets a config declares.

    python tools/train_net.py --config-file configs/hands_tiny_cpu.yaml [--num-gpus N] \
        [--eval-only MODEL.WEIGHTS W] [KEY VALUE ...]
"""

from __future__ import annotations

from d2hands.cli import one_line_errors, run_cli
from d2hands.engine import HandsTrainer, build_cfg
from d2hands.modeling.loading import load_model


def main(args):
    """Run in every process that ``launch()`` starts."""
    from detectron2.checkpoint import DetectionCheckpointer
    from detectron2.data import DatasetCatalog

    from d2hands.engine.setup import default_setup_quietly

    cfg = build_cfg(args.config_file, args.opts)
    # Bad data is refused before OUTPUT_DIR, its config.yaml and log.txt are made.
    for name in (() if args.eval_only else cfg.DATASETS.TRAIN) + tuple(cfg.DATASETS.TEST):
        DatasetCatalog.get(name)
    default_setup_quietly(cfg, args, verbose=True)
    if args.eval_only:
        weights = cfg.MODEL.WEIGHTS
        if args.resume:  # detectron2's rule: the last checkpoint of OUTPUT_DIR where there is one
            checkpointer = DetectionCheckpointer(None, save_dir=cfg.OUTPUT_DIR)
            if checkpointer.has_checkpoint():
                weights = checkpointer.get_checkpoint_file()
        return HandsTrainer.test(cfg, load_model(cfg, weights))
    trainer = HandsTrainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


def cli() -> None:
    """Parse detectron2's arguments and start ``main`` in every process."""
    # detectron2 is imported after d2hands, whose import quiets torch's deprecation chatter.
    from detectron2.engine import default_argument_parser, launch

    args = one_line_errors(default_argument_parser()).parse_args()
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))


if __name__ == "__main__":
    run_cli(cli)
