"""Does the chain cost anything beyond its sessions?

Baseline: a plain detectron2 ``DefaultTrainer`` (its own loader and sampler) training the tiny
CPU config for N iterations. Measured: ``run_chain`` doing the same N iterations as S sessions.
Prints the iteration-throughput ratio inside sessions (target >= 0.97) and the share of wall time
spent on session hand-off: building trainers, loading and saving weights (target < 5% at 100
iterations per session).

    python benchmarks/bench_repetitive_overhead.py [--iters-per-session 100] [--sessions 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class LoopTimer:
    """Hook factory: times the training loop only (before_train .. after_train)."""

    @staticmethod
    def make():
        from detectron2.engine import HookBase

        class _Timer(HookBase):
            seconds = 0.0

            def before_train(self):
                self._t0 = time.perf_counter()

            def after_train(self):
                type(self).seconds = time.perf_counter() - self._t0

        return _Timer


def plain_run(cfg, iters: int, out: Path) -> dict:
    """detectron2's DefaultTrainer, nothing of ours in the loop."""
    from detectron2.engine import DefaultTrainer

    timer = LoopTimer.make()
    cfg = cfg.clone()
    cfg.defrost()
    cfg.SOLVER.MAX_ITER, cfg.OUTPUT_DIR = iters, str(out)
    cfg.freeze()
    start = time.perf_counter()
    trainer = DefaultTrainer(cfg)
    trainer.register_hooks([timer()])
    trainer.resume_or_load(resume=False)
    trainer.train()
    return {"wall_s": time.perf_counter() - start, "loop_s": timer.seconds}


def chain_run(cfg, sessions: int, iters: int, out: Path) -> dict:
    """Our repetitive trainer, same total iterations as S sessions."""
    from d2hands.repetitive import PlanRequest, run_chain

    start = time.perf_counter()
    manifest = run_chain(cfg, PlanRequest(subsets=sessions, schedule=["all"] * sessions,
                                          iters=[iters]), out)
    wall = time.perf_counter() - start
    loop = sum(s["train_loop_s"] for s in manifest["sessions"])
    return {"wall_s": wall, "loop_s": loop}


def main() -> None:
    """Run both, print the ratios as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters-per-session", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--images", type=int, default=64)
    args = parser.parse_args()

    from d2hands.engine import build_cfg
    from d2hands.testing.toy import write_toy_coco

    work = Path(tempfile.mkdtemp(prefix="bench_rep_"))
    ann = write_toy_coco(work / "data", num_images=args.images, seed=0)
    cfg = build_cfg(str(ROOT / "configs" / "hands_tiny_cpu.yaml"), [
        "DATASETS.REGISTER", json.dumps([["bench", str(ann), str(ann.parent / "images")]]),
        "DATASETS.TRAIN", '("bench",)', "SOLVER.CHECKPOINT_PERIOD", "100000"])
    total = args.sessions * args.iters_per_session
    plain = plain_run(cfg, total, work / "plain")
    chain = chain_run(cfg, args.sessions, args.iters_per_session, work / "chain")
    throughput_ratio = plain["loop_s"] / chain["loop_s"]
    handoff_share = (chain["wall_s"] - chain["loop_s"]) / chain["wall_s"]
    print(json.dumps({"iterations": total, "sessions": args.sessions,
                      "plain_loop_s": round(plain["loop_s"], 2),
                      "plain_wall_s": round(plain["wall_s"], 2),
                      "chain_loop_s": round(chain["loop_s"], 2),
                      "chain_wall_s": round(chain["wall_s"], 2)}))
    print(f"throughput ratio (chain/plain, inside sessions): {throughput_ratio:.3f} "
          f"(target >= 0.97)")
    print(f"hand-off share of chain wall time: {100 * handoff_share:.1f}% (target < 5%)")


if __name__ == "__main__":
    main()
