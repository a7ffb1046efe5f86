"""Blender scene for the synthetic hands: camera, white world, shadowless light, render engine.

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
from synth.hand_model import apply_pose, build_hand, set_photo_shape, set_skin_colour
from synth.imageio import read_tga, remove_quietly
from synth.keypoints import KEYPOINT_BONES
from synth.labels import ID_COLOURS
from synth.prop_model import build_props, hold

ENGINES = {"workbench": "BLENDER_WORKBENCH", "cycles": "CYCLES", "eevee": "BLENDER_EEVEE"}


def _engine_id(engine: str) -> str:
    ident = ENGINES[engine]
    if engine == "eevee" and (4, 2, 0) <= bpy.app.version < (5, 0, 0):
        ident = "BLENDER_EEVEE_NEXT"
    return ident


def _set_first(obj, names, value) -> None:
    """Set the first attribute in ``names`` that ``obj`` has (API names moved between versions)."""
    for name in names:
        if hasattr(obj, name):
            setattr(obj, name, value)
            return


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
        self._configure_render(samples)
        self._configure_camera()
        self._configure_light()
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
        fd, self._tmp = tempfile.mkstemp(suffix=".tga", dir=_fast_tmp_dir())
        os.close(fd)

    def _configure_render(self, samples: int) -> None:
        sc, r = self.scene, self.scene.render
        r.engine = _engine_id(self.engine)
        r.resolution_x, r.resolution_y = self.resolution
        r.resolution_percentage = 100
        r.film_transparent = True
        r.dither_intensity = 0.0
        r.use_compositing = False
        r.use_sequencer = False
        settings = r.image_settings
        settings.file_format = "TARGA_RAW"
        settings.color_mode = "RGBA"
        vs = sc.view_settings
        vs.view_transform = "Standard"
        vs.look = "None"
        vs.exposure = 0.0
        vs.gamma = 1.0
        sc.display_settings.display_device = "sRGB"
        world = bpy.data.worlds.new("World")
        world.color = (1.0, 1.0, 1.0)
        sc.world = world
        if self.engine == "workbench":
            aa = {0: "OFF", 1: "OFF", 5: "5", 8: "8", 11: "11", 16: "16", 32: "32"}
            sc.display.render_aa = aa[int(samples)]
            sh = sc.display.shading
            sh.light = "STUDIO"
            sh.color_type = "MATERIAL"
            sh.show_shadows = False
            sh.show_cavity = False
            sh.show_object_outline = False
            sh.show_specular_highlight = True
            sh.use_world_space_lighting = True
        elif self.engine == "cycles":
            sc.cycles.device = "CPU"
            sc.cycles.samples = max(1, int(samples))
            sc.cycles.use_denoising = False
            _set_first(sc.cycles, ("use_adaptive_sampling",), False)
            sc.cycles.seed = 0
            world.use_nodes = True
            bg = world.node_tree.nodes.get("Background")
            bg.inputs["Color"].default_value = (0.55, 0.55, 0.55, 1.0)
        else:
            sc.eevee.taa_render_samples = max(1, int(samples))
            _set_first(sc.eevee, ("use_shadows",), False)

    def _configure_camera(self) -> None:
        w, h = self.resolution
        data = bpy.data.cameras.new("Camera")
        data.sensor_fit = "VERTICAL" if h <= w else "HORIZONTAL"
        data.sensor_height = data.sensor_width = 24.0
        data.lens = cam_model.lens_mm(24.0)
        data.clip_start = cam_model.CLIP_START
        data.clip_end = 10.0
        obj = bpy.data.objects.new("Camera", data)
        self.scene.collection.objects.link(obj)
        self.scene.camera = obj
        self.camera = obj
        if self.photo:
            from synth.layout import FOCAL_PHOTO

            data.lens = FOCAL_PHOTO * 24.0 / 2.0
            data.clip_end = 30.0
            self.scene.render.use_border = self.scene.render.use_crop_to_border = True
            obj.location = (0.0, 0.0, 0.0)
            obj.rotation_euler = (0.0, 0.0, 0.0)
        else:
            self.set_scale(1.0)

    def _configure_light(self) -> None:
        data = bpy.data.lights.new("Key", "SUN")
        data.energy = 3.0
        _set_first(data, ("use_shadow",), False)
        if hasattr(data, "cycles") and hasattr(data.cycles, "cast_shadow"):
            data.cycles.cast_shadow = False  # Blender 3.x
        obj = bpy.data.objects.new("Key", data)
        self.scene.collection.objects.link(obj)
        obj.rotation_euler = (math.radians(20.0), math.radians(-15.0), 0.0)
        self.light = obj

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
        masks = self._mask_scene()
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

    def _mask_scene(self):
        if self._masks is None:
            masks = bpy.data.scenes.new("Masks")
            for obj in self.scene.collection.objects:
                if obj.type in ("MESH", "ARMATURE"):
                    masks.collection.objects.link(obj)
            masks.camera = self.camera
            r = masks.render
            r.engine = "BLENDER_WORKBENCH"
            r.resolution_x, r.resolution_y = self.resolution
            r.resolution_percentage = 100
            r.film_transparent = True
            r.dither_intensity = 0.0
            r.use_compositing = r.use_sequencer = False
            r.image_settings.file_format = "TARGA_RAW"
            r.image_settings.color_mode = "RGBA"
            r.use_border = r.use_crop_to_border = True
            masks.view_settings.view_transform = "Standard"
            masks.view_settings.look = "None"
            masks.display_settings.display_device = "sRGB"
            masks.display.render_aa = "OFF"
            sh = masks.display.shading
            sh.light, sh.color_type, sh.show_specular_highlight = "FLAT", "OBJECT", False
            sh.show_shadows = sh.show_cavity = sh.show_object_outline = False
            self._masks = masks
        return self._masks

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


def _fast_tmp_dir() -> str:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class BlenderImageIO:
    """Image files that need Blender's codecs: JPEG output and background images."""

    def __init__(self):
        self._jpeg = None
        self._cache: dict[str, object] = {}

    def write_jpeg(self, path: str, rgb, quality: int) -> None:
        """Atomically write an (H, W, 3) uint8 image as JPEG."""
        import numpy as np

        h, w = rgb.shape[:2]
        if self._jpeg is None or tuple(self._jpeg.size) != (w, h):
            self._jpeg = bpy.data.images.new("jpeg-out", w, h, alpha=False)
        rgba = np.ones((h, w, 4), np.float32)
        rgba[..., :3] = rgb[::-1] / np.float32(255.0)
        self._jpeg.pixels.foreach_set(rgba.ravel())
        tmp = os.path.join(os.path.dirname(path), f".tmp-{os.getpid()}.jpg")
        settings = bpy.context.scene.render.image_settings
        old = settings.file_format, settings.color_mode, settings.quality
        settings.file_format, settings.color_mode, settings.quality = "JPEG", "RGB", quality
        try:
            self._jpeg.save_render(tmp, scene=bpy.context.scene)
        finally:
            settings.file_format, settings.color_mode, settings.quality = old
        os.replace(tmp, path)

    def read_rgb(self, path: str):
        """Load an image file as (H, W, 3) uint8, row 0 at the top (cached, 32 files)."""
        import numpy as np

        if path not in self._cache:
            img = bpy.data.images.load(path, check_existing=False)
            w, h = img.size
            px = np.empty(w * h * img.channels, np.float32)
            img.pixels.foreach_get(px)
            px = px.reshape(h, w, img.channels)[::-1]
            if img.channels < 3:
                px = np.repeat(px[..., :1], 3, axis=2)
            bpy.data.images.remove(img)
            if len(self._cache) >= 32:
                self._cache.pop(next(iter(self._cache)))
            self._cache[path] = (np.clip(px[..., :3], 0, 1) * 255 + 0.5).astype(np.uint8)
        return self._cache[path]
