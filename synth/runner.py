"""The render loop of ``render_poses.py``: resume, render, write image + record, progress.

Everything before the first render (options, pose list, framing check, output folder) is
checked first; bpy is imported only when frames are actually rendered.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from synth import records
from synth.camera import framing_margin_px
from synth.fsutil import remove_stale_temps
from synth.imageio import composite, write_png
from synth.joblist import select_jobs
from synth.keypoints import coco_keypoints
from synth.labels import instance_mask
from synth.layout import draw_layout
from synth.option_values import OptionError, background_files
from synth.pose import FIELD_INDEX
from synth.props import draw_held_objects
from synth.randomize import fit_background, frame_params, procedural_background, skin_colour
from synth.sequence import sequence_jobs
from synth.skeleton import forward_kinematics

_FRAME_KEYS = ("preset", "structures", "step", "resolution", "engine", "samples", "limit", "shard",
               "seed", "image_format", "png_level", "jpeg_quality", "background", "skin_tone",
               "light_jitter", "scale_range", "left_hand_prob", "rle", "hide_forearm", "sequence",
               "mask_extent", "forearm", "view", "hand_size", "hands_per_image")


def run_config(opts) -> dict:
    """Return the settings that determine the frames (a resumed run must repeat them)."""
    d = dataclasses.asdict(opts)
    keys = _FRAME_KEYS + (("held_objects",) if opts.held_objects else ())  # older runs lack it
    return {k: list(d[k]) if isinstance(d[k], tuple) else d[k] for k in keys}


class Progress:
    """Prints done/total, rate and ETA to stderr at most every ``every`` seconds."""

    def __init__(self, total: int, already: int, quiet: bool, every: float = 2.0):
        self.total, self.done, self.quiet, self.every = total, already, quiet, every
        self.start_done, self.t0, self.last = already, time.perf_counter(), 0.0

    def update(self, done: int, force: bool = False) -> None:
        """Report ``done`` finished frames."""
        self.done = done
        now = time.perf_counter()
        if self.quiet or (not force and now - self.last < self.every):
            return
        self.last = now
        rate = (done - self.start_done) / max(now - self.t0, 1e-9)
        left = self.total - done
        eta = _hms(left / rate) if rate > 0 else "?"
        print(f"[synth] {done}/{self.total} frames  {rate:.2f} img/s  ETA {eta}",
              file=sys.stderr, flush=True)


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


def check_framing(opts, jobs) -> float:
    """Geometric check that no pose of ``jobs`` puts the hand outside the frame.

    Returns:
        The smallest margin in pixels.

    Raises:
        OptionError: If the hand would leave the frame at the largest requested scale.

    """
    if not jobs:
        return float("inf")
    poses = np.array([j.pose for j in jobs])
    margin = float(framing_margin_px(forward_kinematics(poses, FIELD_INDEX), opts.resolution,
                                     opts.scale_range[1]).min())
    if margin < 0:
        raise OptionError(f"--scale-range up to {opts.scale_range[1]:g} lets the hand leave the "
                          f"{opts.resolution[0]}x{opts.resolution[1]} frame "
                          f"(by {-margin:.0f} px); use a smaller scale")
    return margin


def prepare(opts):
    """Validate everything that can fail before rendering; return this process's jobs."""
    if opts.sequence:
        k, n = opts.shard
        jobs = sequence_jobs(opts.sequence, opts.seed)[k::n]
    else:
        jobs = select_jobs(opts.structures, opts.step, opts.seed, opts.limit, opts.shard)
    if not opts.photo:
        check_framing(opts, jobs)
    if opts.contact_sheet and opts.image_format != "png":
        raise OptionError("--contact-sheet needs --image-format png")
    if opts.worker == (0, 1):
        try:
            records.check_run_config(opts.out, run_config(opts))
        except ValueError as exc:
            raise OptionError(str(exc)) from None
        for structure in opts.structures:
            os.makedirs(os.path.join(opts.out, "images", structure), exist_ok=True)
        os.makedirs(os.path.join(opts.out, "records"), exist_ok=True)
        if opts.keep_rgba:
            os.makedirs(os.path.join(opts.out, "rgba"), exist_ok=True)
        remove_stale_temps(opts.out)
    w, ws = opts.worker
    return jobs, jobs[w::ws]


def render_jobs(opts, jobs, progress: Progress | None) -> int:
    """Render the unfinished jobs; return how many frames were rendered now.

    Blender renders on this thread; compositing, PNG encoding, RLE and the record of a frame
    run on a writer thread meanwhile (zlib and numpy release the GIL), at most two frames
    behind. A frame's record is still written after its image.
    """
    todo = [j for j in jobs if not records.is_done(opts.out, j, opts.image_format)]
    if not todo:
        return 0
    from synth.blender_io import BlenderImageIO  # bpy from here on
    from synth.scene import HandScene

    scene = HandScene(opts.resolution, opts.engine, opts.samples, photo=opts.photo)
    scene.set_forearm_visible(not opts.hide_forearm)
    io = BlenderImageIO()
    bg_files = [] if opts.background in ("white", "procedural") else background_files(
        opts.background)
    done = len(jobs) - len(todo)
    frame = _photo_frame if opts.photo else _paper_frame
    pending: list = []
    try:
        with ThreadPoolExecutor(max_workers=1) as writer:
            for job in todo:
                rgba, background_seed, info, instances, mirror = frame(opts, scene, job)
                background = _background(opts, io, bg_files, background_seed)
                if opts.image_format == "png":
                    pending.append(writer.submit(_write_frame, opts, job, rgba, background,
                                                 info, instances, mirror, None))
                else:  # JPEG goes through Blender, which must stay on this thread
                    _write_frame(opts, job, rgba, background, info, instances, mirror, io)
                    done += 1
                while pending and (len(pending) > 2 or pending[0].done()):
                    pending.pop(0).result()
                    done += 1
                if progress:
                    progress.update(done)
            for future in pending:
                future.result()
    finally:
        scene.close()
    return len(todo)


def _write_frame(opts, job, rgba, background, info, instances, mirror, io) -> None:
    """Composite, write the image (then the raw RGBA if asked), then the frame's record."""
    if mirror:  # the hand is mirrored, not the background
        rgba = np.ascontiguousarray(rgba[:, ::-1])
    image = composite(rgba, background)
    rel = records.image_relpath(job, opts.image_format)
    path = os.path.join(opts.out, rel)
    if io is None:
        write_png(path, image, opts.png_level)
    else:
        io.write_jpeg(path, image, opts.jpeg_quality)
    if opts.keep_rgba:
        write_png(os.path.join(opts.out, "rgba", f"{job.pose_id:06d}.png"), rgba)
    rec = records.frame_record(job, rel, rgba.shape[:2], info, instances,
                               opts.rle == "compressed")
    records.write_record(opts.out, job, rec)


def _background(opts, io, bg_files, seed):
    w, h = opts.resolution
    if opts.background == "procedural":
        return procedural_background(seed, h, w)
    if bg_files:
        return fit_background(io.read_rgb(bg_files[seed % len(bg_files)]), h, w, seed)
    return None


def _paper_frame(opts, scene, job):
    """One frame of the paper look: fixed camera, one right hand (left by mirroring)."""
    p = frame_params(opts.seed, job.pose_id, opts.skin_tone, opts.light_jitter,
                     opts.scale_range, opts.left_hand_prob)
    scene.set_skin(skin_colour(p.skin_tone))
    scene.set_light_rotation(p.light_deg)
    scene.set_scale(p.scale)
    rgba = scene.render(job.pose)
    if opts.mask_extent == "hand+forearm" or opts.hide_forearm:
        mask = rgba[..., 3] > 127  # alpha > 0.5: the forearm is bare skin
    else:
        mask = instance_mask(scene.render_ids(scene.hands_box(["right"])), "right", "hand")
    points = scene.keypoints("right")
    if p.mirror:
        mask = mask[:, ::-1]
    keypoints, count = coco_keypoints(points, mask, mirror=p.mirror)
    side = "left" if p.mirror else "right"
    info = {"hand": side, "skin_tone": round(p.skin_tone, 4), "scale": round(p.scale, 4),
            "preset": "paper", "view": "front", "mask_extent": opts.mask_extent}
    instance = (mask, keypoints, count, {"hand": side, "sleeve": False})
    return rgba, p.background_seed, info, [instance], p.mirror


def _photo_frame(opts, scene, job):
    """One frame of the photo look: one or two placed hands, arms, sleeves, mask pass."""
    key = 0 if opts.sequence else job.pose_id
    lay = draw_layout(opts.seed, key, job.pose, opts.resolution, opts.view,
                      opts.hands_per_image, opts.forearm, opts.hand_size, opts.skin_tone,
                      opts.light_jitter)
    scene.set_skin(skin_colour(lay.skin_tone))
    scene.set_cloth(lay.cloth)
    scene.set_light_rotation(lay.light_deg)
    scene.place_hands(lay.hands, opts.hide_forearm)
    held = draw_held_objects(opts.seed, key, len(lay.hands), opts.held_objects)
    held = scene.hold_objects(lay.hands, held)
    rgba = scene.render_photo()
    sides = [h.side for h in lay.hands]
    parts = ("hand",) if opts.mask_extent == "hand" else ("hand", "forearm")
    ids = scene.render_ids(scene.hands_box(sides, parts))
    instances = []
    for hand, obj in zip(lay.hands, held, strict=True):
        hand_only = instance_mask(ids, hand.side, "hand")
        mask = hand_only if opts.mask_extent == "hand" else instance_mask(ids, hand.side,
                                                                          opts.mask_extent)
        keypoints, count = coco_keypoints(scene.keypoints(hand.side), hand_only)
        attributes = {"hand": hand.side, "size": round(hand.size, 4),
                      "sleeve": hand.sleeve is not None and not opts.hide_forearm}
        if opts.held_objects:
            attributes["held"] = obj
        instances.append((mask, keypoints, count, attributes))
    info = {"preset": "photo", "view": lay.view, "hands": len(lay.hands),
            "mask_extent": opts.mask_extent, "skin_tone": round(lay.skin_tone, 4)}
    return rgba, lay.background_seed, info, instances, False


def _count_done(opts, jobs) -> int:
    return sum(os.path.exists(records.record_path(opts.out, j.pose_id)) for j in jobs)


def spawn_workers(opts, jobs, launcher: list, argv: list, progress: Progress) -> int:
    """Run ``opts.workers`` render processes on disjoint parts of ``jobs``; wait for them."""
    procs = [subprocess.Popen(launcher + argv + ["--worker", f"{w}/{opts.workers}", "--quiet"])
             for w in range(opts.workers)]
    try:
        while any(p.poll() is None for p in procs):
            time.sleep(0.5)
            progress.update(_count_done(opts, jobs))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return max(p.returncode for p in procs)


def run(opts, launcher: list, argv: list) -> int:
    """Render a shard (or one worker's part of it) and assemble its annotations.

    Args:
        opts: Validated options.
        launcher: Command prefix that starts this script again (for ``--workers``).
        argv: This process's own arguments (passed on to workers).

    Returns:
        Exit status.

    """
    jobs, mine = prepare(opts)
    is_worker = opts.worker != (0, 1)
    progress = Progress(len(jobs), _count_done(opts, jobs), opts.quiet or is_worker)
    if opts.workers > 1 and not is_worker:
        status = spawn_workers(opts, jobs, launcher, argv, progress)
        if status:
            print(f"error: a render worker failed (status {status})", file=sys.stderr)
            return 1
    else:
        render_jobs(opts, mine, progress)
    if is_worker:
        return 0
    progress.update(_count_done(opts, jobs), force=True)
    counts = records.assemble(opts.out, jobs, run_config(opts))
    if not opts.quiet:
        print(f"[synth] wrote {counts['images']} images, {counts['annotations']} annotations "
              f"to {os.path.join(opts.out, records.ANNOTATIONS)}", file=sys.stderr)
    if opts.contact_sheet:
        from synth.contact_sheet import write_contact_sheet

        write_contact_sheet(opts.out, opts.contact_sheet)
    return 0 if counts["missing"] == 0 else 1
