"""Does compositing slow training down? Target: throughput with compositing >= 0.9x plain.

Baseline: ``HandsTrainer`` with the plain loader (detectron2's mapping of the stored images).
Measured: the same trainer and steps with ``HANDS.COMPOSITE`` on (0-3 pasted hands per image,
procedural and inpainted backgrounds, every jitter at its default). Both train the MobileNetV2-FPN
CPU config (320 px, batch 2) on the same generated 448x320 images, in one process, alternating
plain and composite runs (``--rounds``) so that drift of a shared machine hits both alike; the
training-loop time (not set-up) is summed and compared.

    python benchmarks/bench_composite_loader.py [--iters 30] [--rounds 3] [--workers 0]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def loop_seconds(cfg, out: Path) -> float:
    """Train ``cfg`` and return the time of its training loop."""
    from detectron2.engine import HookBase

    from d2hands.engine.trainer import HandsTrainer

    class Timer(HookBase):
        seconds = 0.0

        def before_train(self):
            self._t0 = time.perf_counter()

        def after_train(self):
            Timer.seconds = time.perf_counter() - self._t0

    cfg = cfg.clone()
    cfg.defrost()
    cfg.OUTPUT_DIR = str(out)
    cfg.freeze()
    trainer = HandsTrainer(cfg)
    trainer.register_hooks([Timer()])
    trainer.resume_or_load(resume=False)
    trainer.train()
    return Timer.seconds


def main() -> None:
    """Run both, print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=30, help="steps per run")
    parser.add_argument("--rounds", type=int, default=3, help="plain/composite run pairs")
    parser.add_argument("--workers", type=int, default=0, help="DATALOADER.NUM_WORKERS")
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    from detectron2.utils.env import seed_all_rng

    from d2hands.engine import build_cfg
    from d2hands.engine.setup import route_logs
    from d2hands.testing.toy import write_toy_coco

    work = Path(tempfile.mkdtemp(prefix="bench_comp_"))
    route_logs(str(work))
    ann = write_toy_coco(work / "data", num_images=args.images, size=(448, 320),
                         background="noise", seed=0)
    base = ["DATASETS.REGISTER", json.dumps([["bench", str(ann), str(ann.parent / "images")]]),
            "DATASETS.TRAIN", '("bench",)', "DATASETS.TEST", "()", "SOLVER.MAX_ITER",
            str(args.iters), "SOLVER.CHECKPOINT_PERIOD", "100000", "DATALOADER.NUM_WORKERS",
            str(args.workers)]
    config = str(ROOT / "configs" / "hands_mnv2_fpn_cpu.yaml")
    composite = ["HANDS.COMPOSITE.ENABLED", "True", "HANDS.COMPOSITE.HANDS_PER_IMAGE", "[0, 3]",
                 "HANDS.COMPOSITE.BACKGROUNDS", '["procedural", "inpainted:bench"]']
    plain = comp = 0.0
    for k in range(args.rounds):
        seed_all_rng(k)
        plain += loop_seconds(build_cfg(config, base), work / f"plain{k}")
        seed_all_rng(k)
        comp += loop_seconds(build_cfg(config, base + composite), work / f"composite{k}")
    steps = args.iters * args.rounds
    print(json.dumps({"iterations": steps, "workers": args.workers,
                      "torch_threads": args.threads or "default",
                      "plain_loop_s": round(plain, 2), "composite_loop_s": round(comp, 2),
                      "plain_s_per_iter": round(plain / steps, 3),
                      "composite_s_per_iter": round(comp / steps, 3)}))
    print(f"throughput ratio (composite/plain): {plain / comp:.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
