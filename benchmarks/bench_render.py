"""Rendering throughput: synth's fast path against a naive BlenderProc-style path, same run.

    python benchmarks/bench_render.py [--frames 200] [--naive-frames 20] [--resolution 1280x720]
    blender -b -P benchmarks/bench_render.py -- [same options]

fast      : synth.runner as shipped with the default (photo) preset: one or two hands, arms,
            sleeves, Workbench colour pass + the cropped mask pass, keypoints, PNG zlib level 1,
            images + masks (RLE records) written, scene built once.
paper     : the same with --preset paper (one hand, mask from the alpha, no mask pass).
fast-jpg  : the photo preset with --image-format jpg.
fast-2proc: the command line with --workers 2, timed end to end (process start-up included;
            CPU time is not measured across processes).
naive     : the same photo scenes in Cycles with 8 samples: a full render + PNG save
            (write_still, RGBA, compression 15), then one more full render per hand with
            everything else hidden, each PNG loaded back for its alpha (a hand's mask).

Prints img/s per variant, the fast/naive ratio and the projected time of the full default grid.
"""

import argparse
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from synth.render_poses import _bootstrap, _script_args  # noqa: E402

_bootstrap()

import numpy as np  # noqa: E402

from synth import records  # noqa: E402
from synth.fsutil import atomic_write_json  # noqa: E402
from synth.joblist import select_jobs  # noqa: E402
from synth.options import parse_options  # noqa: E402
from synth.runner import prepare, render_jobs  # noqa: E402


def run_fast(out, frames, resolution, extra):
    opts = parse_options(["--out", out, "--limit", str(frames), "--resolution", resolution,
                          "--quiet", *extra])
    _, mine = prepare(opts)
    t0, c0 = time.perf_counter(), time.process_time()
    n = render_jobs(opts, mine, None)
    return n, time.perf_counter() - t0, time.process_time() - c0


def run_workers(out, frames, resolution, workers=2):
    import subprocess

    script = os.path.join(REPO, "synth", "render_poses.py")
    if any(a in ("-P", "--python") for a in sys.argv):
        cmd = [sys.argv[0], "-b", "--factory-startup", "-P", script, "--"]
    else:
        cmd = [sys.executable, script]
    cmd += ["--out", out, "--limit", str(frames), "--resolution", resolution, "--quiet",
            "--workers", str(workers)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return frames, time.perf_counter() - t0, float("nan")


def run_naive(out, frames, resolution):
    import bpy

    from synth.layout import draw_layout
    from synth.scene import HandScene

    w, h = (int(v) for v in resolution.split("x"))
    jobs = select_jobs(("L2", "L11"), 2.0, 0, frames)
    t0, c0 = time.perf_counter(), time.process_time()
    scene = HandScene((w, h), "cycles", 8, photo=True)
    settings = scene.scene.render.image_settings
    settings.file_format, settings.color_mode, settings.compression = "PNG", "RGBA", 15

    def render_alpha(path):
        scene.scene.render.filepath = path
        bpy.ops.render.render(write_still=True)
        img = bpy.data.images.load(path)
        px = np.empty(w * h * 4, np.float32)
        img.pixels.foreach_get(px)
        bpy.data.images.remove(img)
        return px.reshape(h, w, 4)[::-1, :, 3] > 0.5

    for job in jobs:
        lay = draw_layout(0, job.pose_id, job.pose, (w, h), "mixed", "mixed", "mixed",
                          (0.05, 0.6), (0.0, 1.0), 30.0)
        scene.place_hands(lay.hands)
        path = os.path.join(out, f"{job.pose_id:06d}.png")
        render_alpha(path)
        shown = {o: o.hide_render for rig in scene.rigs.values() for o in
                 (rig["hand"], rig["forearm"], rig["sleeve"])}
        instances = []
        for hand in lay.hands:
            for obj in shown:
                obj.hide_render = obj is not scene.rigs[hand.side]["hand"]
            mask = render_alpha(os.path.join(out, f"{job.pose_id:06d}_{hand.side}.png"))
            instances.append((mask, [], 0, {}))
        for obj, hidden in shown.items():
            obj.hide_render = hidden
        rec = records.frame_record(job, path, (h, w), {}, instances, True)
        atomic_write_json(path + ".json", rec)
    scene.close()
    return len(jobs), time.perf_counter() - t0, time.process_time() - c0


def _report(name, n, wall, cpu):
    cpu_text = "" if cpu != cpu else f" ({cpu / n:.3f} CPU s per image)"
    print(f"{name:10s} {n:4d} frames {wall:7.1f} s {n / wall:6.2f} img/s{cpu_text}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--naive-frames", type=int, default=20)
    ap.add_argument("--aa-frames", type=int, default=40, help="frames of the JPEG variant")
    ap.add_argument("--resolution", default="1280x720")
    args = ap.parse_args(_script_args())
    import bpy

    print(f"Blender {bpy.app.version_string}, {os.cpu_count()} CPUs, {args.resolution}, "
          f"load average before: {os.getloadavg()[0]:.2f}")
    rates = {}
    variants = [("fast", args.frames, []), ("paper", args.frames, ["--preset", "paper"]),
                ("fast-jpg", args.aa_frames, ["--image-format", "jpg"])]
    with tempfile.TemporaryDirectory() as tmp:
        for name, frames, extra in variants:
            n, dt, cpu = run_fast(os.path.join(tmp, name), frames, args.resolution, extra)
            rates[name] = n / dt
            _report(name, n, dt, cpu)
        n, dt, cpu = run_workers(os.path.join(tmp, "2proc"), args.frames, args.resolution)
        rates["fast-2proc"] = n / dt
        _report("fast-2proc", n, dt, cpu)
        naive_dir = os.path.join(tmp, "naive")
        os.makedirs(naive_dir)
        n, dt, cpu = run_naive(naive_dir, args.naive_frames, args.resolution)
        rates["naive"] = n / dt
        _report("naive", n, dt, cpu)
    grid = len(select_jobs(("L2", "L11"), 2.0, 0))
    print(f"ratio fast/naive: {rates['fast'] / rates['naive']:.1f}x")
    for name in ("fast", "fast-2proc", "naive"):
        hours = grid / rates[name] / 3600
        print(f"full grid ({grid} poses) with {name}: {hours:.2f} h")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
