"""Blender renders: masks against the render's alpha, framing, resume, merge, both Blender paths.

Expected values come from pycocotools and numpy on the raw RGBA renders (``--keep-rgba``), never
from synth's own encoder.
"""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

pytestmark = [pytest.mark.blender, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SCRIPT = str(REPO / "synth" / "render_poses.py")
HAS_BPY = importlib.util.find_spec("bpy") is not None
BLENDER = shutil.which("blender")
RES = ["--resolution", "320x180", "--preset", "paper"]  # the paper look; photo: test_synth_photo
needs_bpy = pytest.mark.skipif(not HAS_BPY, reason="bpy wheel not installed")
needs_blender = pytest.mark.skipif(BLENDER is None, reason="no blender binary")


def _cmd(out, args, blender=False):
    if blender:
        return [BLENDER, "-b", "--factory-startup", "-P", SCRIPT, "--", "--output-dir", str(out),
                *args]
    return [sys.executable, SCRIPT, "--output-dir", str(out), *args]


def render(out, *args, blender=False):
    res = subprocess.run(_cmd(out, args, blender), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return out


def _rgb(path):
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def check_output(out, white=True):
    """Check every frame of a run; return {pose_id: mask}."""
    coco = COCO(str(out / "annotations.json"))
    masks = {}
    for img_id, info in coco.imgs.items():
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[img_id]))
        assert len(anns) == 1 and anns[0]["category_id"] == 1 and anns[0]["iscrowd"] == 0
        ann = anns[0]
        assert info["structure"] in ("L2", "L11") and len(info["pose"]) == 28
        mask = coco.annToMask(ann).astype(bool)
        rgba = cv2.imread(str(out / "rgba" / f"{info['pose_id']:06d}.png"), cv2.IMREAD_UNCHANGED)
        if rgba is not None:
            assert np.array_equal(mask, rgba[..., 3] > 127)  # mask == alpha > 0.5
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert ann["area"] == int(mask_utils.area(rle)) == int(mask.sum()) > 0
        assert ann["bbox"] == mask_utils.toBbox(rle).tolist()
        ys, xs = np.nonzero(mask)
        assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                               ys.max() - ys.min() + 1]
        image = cv2.imread(str(out / info["file_name"]), cv2.IMREAD_UNCHANGED)
        assert image.shape[:2] == (info["height"], info["width"]) == mask.shape
        if white:
            assert (image[~mask] == 255).all()  # white outside the mask
            assert (image[mask] < 250).any()
        masks[info["pose_id"]] = mask
    return masks


def _touches_border(mask):
    return bool(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())


@pytest.fixture(scope="module")
def bpy_run(tmp_path_factory):
    if not HAS_BPY:
        pytest.skip("bpy wheel not installed")
    return render(tmp_path_factory.mktemp("bpy") / "out", "--limit", "6", *RES, "--keep-rgba")


@needs_bpy
def test_bpy_renders_both_structures(bpy_run):
    masks = check_output(bpy_run)
    coco = json.loads((bpy_run / "annotations.json").read_text())
    assert sorted(i["structure"] for i in coco["images"]) == ["L11"] * 3 + ["L2"] * 3
    assert len({a["id"] for a in coco["annotations"]}) == len(masks) == 6
    (category,) = coco["categories"]
    assert {k: category[k] for k in ("id", "name", "supercategory")} == {
        "id": 1, "name": "hand", "supercategory": "person"}
    assert len(category["keypoints"]) == 21


@needs_bpy
def test_mask_touches_border_only_where_forearm_leaves(bpy_run, tmp_path):
    full = check_output(bpy_run)
    hand_only = check_output(render(tmp_path / "hand", "--limit", "6", *RES, "--keep-rgba",
                                    "--hide-forearm"))
    assert any(_touches_border(m) for m in full.values())  # the forearm does run out
    for pose_id, mask in hand_only.items():
        assert not _touches_border(mask), pose_id
        assert (mask <= full[pose_id]).all()


@needs_blender
def test_blender_binary_path(tmp_path):
    out = render(tmp_path / "bin", "--limit", "2", *RES, "--keep-rgba", blender=True)
    assert len(check_output(out)) == 2


@needs_bpy
def test_cycles_engine(tmp_path):
    out = render(tmp_path / "cy", "--limit", "2", "--resolution", "160x90", "--engine", "cycles",
                 "--samples", "2", "--keep-rgba", "--preset", "paper")
    assert len(check_output(out)) == 2


@needs_bpy
def test_randomisation_switches(tmp_path, bpy_run):
    args = ["--limit", "6", *RES, "--keep-rgba"]
    left = check_output(render(tmp_path / "left", *args, "--left-hand-prob", "1"))
    right = check_output(bpy_run)
    for pid, mask in left.items():
        assert np.array_equal(mask, right[pid][:, ::-1])
    out = render(tmp_path / "proc", "--limit", "2", *RES, "--keep-rgba", "--background",
                 "procedural", "--skin-tone", "0,1", "--light-jitter", "40", "--scale-range",
                 "0.9,1.1", "--image-format", "jpg")
    masks = check_output(out, white=False)
    for info in json.loads((out / "annotations.json").read_text())["images"]:
        img = _rgb(out / info["file_name"])
        assert info["file_name"].endswith(".jpg")
        assert img[~masks[info["pose_id"]]].std() > 5  # not a plain white background


def _records(out):
    if not (out / "records").exists():
        return []
    return sorted(f for f in os.listdir(out / "records") if not f.startswith("."))


@needs_bpy
def test_killed_and_resumed_equals_uninterrupted(tmp_path):
    args = ["--limit", "24", "--shard", "1/2", *RES]
    ref = render(tmp_path / "ref", *args)
    out = tmp_path / "killed"
    proc = subprocess.Popen(_cmd(out, args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not _records(out) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _records(out)
    assert 0 < len(done) < 12, "the run should have been killed midway"
    assert not (out / "annotations.json").exists()
    # a frame caught half-written: image truncated, record not yet written; plus a temp file
    victim = json.loads((out / "records" / done[0]).read_text())["image"]["file_name"]
    (out / "records" / done[0]).unlink()
    (out / victim).write_bytes(b"\x89PNG broken")
    (out / "images" / "L2" / ".tmp-123.png").write_bytes(b"partial")
    render(out, *args)
    a = json.loads((ref / "annotations.json").read_text())
    b = json.loads((out / "annotations.json").read_text())
    assert a == b
    ids = [i["id"] for i in b["images"]]
    assert len(ids) == len(set(ids)) == 12
    for im in a["images"]:
        assert (ref / im["file_name"]).read_bytes() == (out / im["file_name"]).read_bytes()
    assert not list(out.rglob(".tmp-*"))


@needs_bpy
def test_merged_shards_load(tmp_path):
    shards = [render(tmp_path / f"s{k}", "--limit", "6", "--shard", f"{k}/2", *RES)
              for k in range(2)]
    merged = tmp_path / "annotations.json"
    res = subprocess.run([sys.executable, "-m", "synth.merge", *map(str, shards), "--output",
                          str(merged)], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    coco = COCO(str(merged))
    assert len(coco.imgs) == 6 and len(coco.anns) == 6
    assert len({i["pose_id"] for i in coco.imgs.values()}) == 6
    for info in coco.imgs.values():
        assert (merged.parent / info["file_name"]).is_file()
    for ann in coco.anns.values():
        assert coco.annToMask(ann).sum() == ann["area"]
    dup = subprocess.run([sys.executable, "-m", "synth.merge", str(shards[0]), str(shards[0]),
                          "--output", str(tmp_path / "dup.json")], cwd=REPO, capture_output=True,
                         text=True)
    assert dup.returncode == 2 and dup.stderr.startswith("error: ")
    outside = subprocess.run([sys.executable, "-m", "synth.merge", *map(str, shards), "--output",
                              str(tmp_path / "elsewhere" / "a.json")], cwd=REPO,
                             capture_output=True, text=True)
    assert outside.returncode == 2 and "not inside" in outside.stderr
    data = pytest.importorskip("d2hands.data")
    dicts = data.load_hands_coco(str(merged), str(merged.parent))
    assert len(dicts) == 6
    assert all(len(d["annotations"]) == 1 for d in dicts)


_RIG_CHECK = r"""
import json, sys
import numpy as np
import bpy
from synth.hand_model import apply_pose, build_hand
from synth.pose import FIELD_INDEX, structure_grid
from synth.skeleton import BONES, PALM_BOX, forward_kinematics
bpy.ops.wm.read_factory_settings(use_empty=True)
rig = build_hand()
arm = rig["armature"]
poses = np.concatenate([structure_grid("L2", 10)[::97], structure_grid("L11", 10)[::97]])
fk = forward_kinematics(poses, FIELD_INDEX)
worst_joint, worst_vertex = 0.0, 0.0
for k, pose in enumerate(poses):
    apply_pose(arm, pose)
    bpy.context.view_layer.update()
    for i, b in enumerate(BONES):
        pb = arm.pose.bones[b.name]
        for end, ref in ((pb.head, fk["head"][k, i]), (pb.tail, fk["tail"][k, i])):
            err = np.abs(np.array(arm.matrix_world @ end) - ref).max()
            worst_joint = max(worst_joint, float(err))
    dg = bpy.context.evaluated_depsgraph_get()
    ev = rig["hand"].evaluated_get(dg)
    mesh = ev.to_mesh()
    v = np.array([tuple(ev.matrix_world @ x.co) for x in mesh.vertices])
    ev.to_mesh_clear()
    # distance outside the nearest bone capsule (digits) or palm box (wrist bone frame)
    best = np.full(len(v), np.inf)
    for i, b in enumerate(BONES):
        h, t = fk["head"][k, i], fk["tail"][k, i]
        if b.name == "wrist":
            local = (v - h) @ fk["rot"][k, i]
            lo = np.array([p[0] for p in PALM_BOX]); hi = np.array([p[1] for p in PALM_BOX])
            out = np.linalg.norm(np.maximum(lo - local, 0) + np.maximum(local - hi, 0), axis=1)
        elif b.name == "forearm":
            continue
        else:
            d = t - h
            s = np.clip((v - h) @ d / (d @ d), 0, 1)
            radius = b.radii[0] + s * (b.radii[1] - b.radii[0])  # inside the two spheres' hull
            out = np.linalg.norm(v - (h + s[:, None] * d), axis=1) - radius
        best = np.minimum(best, out)
    worst_vertex = max(worst_vertex, float(best.max()))
print(json.dumps({"joint": worst_joint, "vertex": worst_vertex}))
"""


@needs_bpy
def test_rendered_rig_matches_numpy_kinematics():
    """The framing check and plausibility rule use synth.skeleton; the Blender rig must agree."""
    res = subprocess.run([sys.executable, "-c", _RIG_CHECK], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    worst = json.loads(res.stdout.strip().splitlines()[-1])
    assert worst["joint"] < 1e-5  # metres
    assert worst["vertex"] < 1e-6  # every skinned vertex lies inside its bone's bound


@needs_bpy
def test_worker_processes_give_the_same_output(bpy_run, tmp_path):
    out = render(tmp_path / "w2", "--limit", "6", *RES, "--keep-rgba", "--workers", "2")
    a = json.loads((bpy_run / "annotations.json").read_text())
    b = json.loads((out / "annotations.json").read_text())
    assert a == b
    for im in a["images"]:
        assert (bpy_run / im["file_name"]).read_bytes() == (out / im["file_name"]).read_bytes()


@needs_bpy
def test_left_hands_mirror_the_hand_not_the_background(tmp_path):
    args = ["--limit", "2", *RES, "--keep-rgba", "--background", "procedural"]
    right = render(tmp_path / "r", *args)
    left = render(tmp_path / "l", *args, "--left-hand-prob", "1")
    right_masks, left_masks = check_output(right, white=False), check_output(left, white=False)
    for info in json.loads((left / "annotations.json").read_text())["images"]:
        pid = info["pose_id"]
        outside = ~(right_masks[pid] | left_masks[pid])
        a, b = _rgb(right / info["file_name"]), _rgb(left / info["file_name"])
        assert np.array_equal(a[outside], b[outside])  # the same, unmirrored background
