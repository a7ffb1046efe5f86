"""The render scene of the synthetic hands: rigs, per-frame pose, light, renders and masks.

The scene is built once per process; each frame only re-poses the rigs and changes a few
properties, renders, and reads the RGBA result back through an uncompressed TGA in /dev/shm.
The paper look takes its mask from the render's alpha. Where a mask must leave something out
(the forearm, a sleeve, the other hand), a second pass gives it: Workbench, flat object colours,
no anti-aliasing, cropped to the hands' box (the same rasterisation as the colour pass, so the
masks are exact). Works with Blender 3.4 (Debian) and 5.0 (bpy wheel).
"""

from __future__ import annotations

import math
import os
import tempfile

import bpy
import numpy as np
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Matrix, Vector
from mathutils.bvhtree import BVHTree

from synth import camera as cam_model
from synth.blender_io import fast_tmp_dir
from synth.hand_model import apply_pose, build_hand, set_photo_shape, set_skin_colour
from synth.imageio import read_tga, remove_quietly
from synth.keypoints import KEYPOINT_BONES
from synth.labels import ID_COLOURS
from synth.prop_model import build_props, hold
from synth.scene_setup import add_camera, add_key_light, configure_render, mask_scene


class HandScene:
    """The whole render setup; create once, then call :meth:`render` per frame.

    Args:
        resolution: (width, height) in pixels.
        engine: "workbench", "cycles" or "eevee".
        samples: Anti-aliasing samples (workbench: 0/1 = off, or 5, 8, 11, 16, 32) or
            render samples (cycles, eevee).

    """

    def __init__(self, resolution: tuple[int, int], engine: str = "workbench", samples: int = 1,
                 photo: bool = False):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = bpy.context.scene
        self.resolution = resolution
        self.engine = engine
        self.photo = photo
        configure_render(self.scene, engine, resolution, samples)
        self.camera = add_camera(self.scene, resolution, photo)
        self.light = add_key_light(self.scene)
        self.rig = build_hand(photo=photo, name="R" if photo else "")
        self.rigs = {"right": self.rig}
        if photo:
            self.rigs["left"] = build_hand(True, "L", {"skin": self.rig["material"],
                                                      "cloth": self.rig["cloth"]})
        for side, rig in self.rigs.items():
            rig["hand"].color = ID_COLOURS[("hand", side)]
            rig["forearm"].color = ID_COLOURS[("forearm", side)]
            if rig["sleeve"] is not None:
                rig["sleeve"].color = ID_COLOURS[("sleeve", side)]
            rig["prop"] = None
            if photo:
                rig["props"] = build_props(rig["armature"], "R" if side == "right" else "L")
        self._masks = None
        fd, self._tmp = tempfile.mkstemp(suffix=".tga", dir=fast_tmp_dir())
        os.close(fd)

    def set_scale(self, scale: float) -> None:
        """Move the camera so the hand appears ``scale`` times its default size."""
        self.camera.location = (0.0, 0.0, cam_model.DISTANCE / scale)
        self.camera.rotation_euler = (0.0, 0.0, 0.0)

    def set_light_rotation(self, degrees: float) -> None:
        """Rotate the key light (and Workbench's studio light) about the view axis."""
        self.light.rotation_euler = (math.radians(20.0), math.radians(-15.0),
                                     math.radians(degrees))
        if self.engine == "workbench":
            self.scene.display.shading.studiolight_rotate_z = math.radians(degrees)

    def set_skin(self, rgb) -> None:
        """Set the skin colour (linear RGB)."""
        set_skin_colour(self.rig["material"], rgb)

    def set_forearm_visible(self, visible: bool) -> None:
        """Show or hide every rig's arm and sleeve (``--hide-forearm``)."""
        for rig in self.rigs.values():
            rig["forearm"].hide_render = not visible
            if rig["sleeve"] is not None:
                rig["sleeve"].hide_render = rig["sleeve"].hide_render or not visible

    def set_cloth(self, colours) -> None:
        """Set the two cloth colours (linear RGB) of the sleeves."""
        for mat, rgb in zip(self.rig["cloth"], colours, strict=True):
            set_skin_colour(mat, rgb)

    def place_hands(self, placements, hide_forearm: bool = False) -> None:
        """Pose, shape and place the photo look's hands; hide the rigs not in ``placements``."""
        used = {p.side for p in placements}
        for side, rig in self.rigs.items():
            visible = side in used
            for key in ("hand", "forearm", "sleeve"):
                rig[key].hide_render = not visible
        for p in placements:
            rig = self.rigs[p.side]
            set_photo_shape(rig, p.shape, p.sleeve)
            apply_pose(rig["armature"], p.pose)
            rig["armature"].matrix_world = Matrix([list(row) for row in p.matrix])
        if hide_forearm:
            self.set_forearm_visible(False)

    def hold_objects(self, placements, held) -> list:
        """Give each placed hand its held object (``synth.props``; None: nothing held).

        Returns:
            Per placement, what it holds and where (``"cup (grip)"``), or None.

        """
        by_side = {p.side: h for p, h in zip(placements, held, strict=True)}
        shown = {side: hold(rig, by_side.get(side)) for side, rig in self.rigs.items()}
        return [shown[p.side] for p in placements]

    def render(self, pose=None) -> object:
        """Pose the hand (unless ``pose`` is None), render, and return (H, W, 4) uint8 RGBA."""
        if pose is not None:
            apply_pose(self.rig["armature"], pose)
        bpy.ops.render.render()
        bpy.data.images["Render Result"].save_render(self._tmp, scene=self.scene)
        return read_tga(self._tmp)

    def render_photo(self) -> object:
        """Render the placed hands; only their box is rasterised, the rest is transparent.

        Returns:
            (H, W, 4) uint8 RGBA, straight alpha.

        """
        w, h = self.resolution
        out = np.zeros((h, w, 4), np.uint8)
        box = self.hands_box(list(self.rigs), ("hand", "forearm", "sleeve", "prop"))
        if box is None:
            return out
        x0, y0, x1, y1 = box
        r = self.scene.render  # border flags are on from __init__: setting them costs a render
        r.border_min_x, r.border_max_x = x0 / w, x1 / w
        r.border_min_y, r.border_max_y = 1.0 - y1 / h, 1.0 - y0 / h
        crop = self.render()
        out[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] = crop
        return out

    def hands_box(self, sides, parts=("hand",)) -> tuple[int, int, int, int] | None:
        """Pixel box (x0, y0, x1, y1) that holds every pixel of the given hands, or None.

        From the corners of each posed mesh's bounding box; the whole frame where a corner
        lies behind the camera; None where nothing can be in the frame.

        Args:
            sides: Rigs to bound ("right", "left").
            parts: Their objects to bound ("hand", "forearm", "sleeve", "prop"; hidden ones
                skipped).

        """
        w, h = self.resolution
        depsgraph = bpy.context.evaluated_depsgraph_get()
        xs, ys = [], []
        objects = [self.rigs[side][part] for side in sides for part in parts]
        for obj in objects:
            if obj is None or obj.hide_render:
                continue
            obj = obj.evaluated_get(depsgraph)
            for corner in obj.bound_box:
                p = world_to_camera_view(self.scene, self.camera, obj.matrix_world @ Vector(corner))
                if p.z <= 0:
                    return 0, 0, w, h
                xs.append(p.x * w)
                ys.append((1.0 - p.y) * h)
        if not xs:
            return None
        x0, x1 = max(0, int(np.floor(min(xs))) - 2), min(w, int(np.ceil(max(xs))) + 2)
        y0, y1 = max(0, int(np.floor(min(ys))) - 2), min(h, int(np.ceil(max(ys))) + 2)
        if x0 >= x1 or y0 >= y1:
            return None
        return x0, y0, x1, y1

    def render_ids(self, box) -> object:
        """Object ids (``synth.labels``) of every pixel, (H, W) uint8, 0 outside ``box``.

        A Workbench pass with flat object colours and no anti-aliasing, rendered only inside
        ``box`` (x0, y0, x1, y1), from a second scene that links the same objects and camera
        (switching one scene's settings back and forth costs Workbench more than the pass).
        """
        from synth.labels import decode_ids

        w, h = self.resolution
        out = np.zeros((h, w), np.uint8)
        if box is None:
            return out
        if self._masks is None:
            self._masks = mask_scene(self.scene, self.resolution)
        masks = self._masks
        r = masks.render
        x0, y0, x1, y1 = box
        r.border_min_x, r.border_max_x = x0 / w, x1 / w
        r.border_min_y, r.border_max_y = 1.0 - y1 / h, 1.0 - y0 / h
        bpy.ops.render.render(scene=masks.name)
        bpy.data.images["Render Result"].save_render(self._tmp, scene=masks)
        crop = read_tga(self._tmp)
        ch, cw = crop.shape[:2]
        out[y0:y0 + ch, x0:x0 + cw] = decode_ids(crop)
        return out

    def keypoints(self, side: str) -> object:
        """The 21 hand keypoints of one rig: (21, 4) rows of (x, y, depth, self-occluded).

        x, y are pixel coordinates (the image spans [0, W] x [0, H]); a keypoint counts as
        hidden by its own hand where a ray from the camera meets that hand's surface more than
        1.5 joint radii before the joint (the joints lie on the bones' axes, inside the mesh).
        """
        rig = self.rigs[side]
        arm, w, h = rig["armature"], *self.resolution
        depsgraph = bpy.context.evaluated_depsgraph_get()
        hand = rig["hand"].evaluated_get(depsgraph)
        tree = BVHTree.FromObject(hand, depsgraph)
        to_local = hand.matrix_world.inverted()
        eye = to_local @ self.camera.matrix_world.translation
        radii = {b.name: b.radii for b in rig["bones"]}
        out = np.zeros((len(KEYPOINT_BONES), 4))
        for k, (bone, end) in enumerate(KEYPOINT_BONES):
            pb = arm.pose.bones[bone]
            head, tail = Vector(pb.head), Vector(pb.tail)
            radius = radii[bone][0 if end == "head" else 1]
            point = head if end == "head" else tail
            if end == "tip":
                point = tail + (tail - head).normalized() * radius
            local = to_local @ (arm.matrix_world @ point)
            ray = local - eye
            hit = tree.ray_cast(eye, ray.normalized(), ray.length)
            hidden = hit[0] is not None and hit[3] < ray.length - 1.5 * max(radius, 0.008)
            p = world_to_camera_view(self.scene, self.camera, arm.matrix_world @ point)
            out[k] = (p.x * w, (1.0 - p.y) * h, p.z, float(hidden))
        return out

    def close(self) -> None:
        """Remove the temporary file."""
        remove_quietly(self._tmp)
