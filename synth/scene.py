"""Blender scene for the synthetic hands: camera, white world, shadowless light, render engine.

The scene is built once per process; each frame only re-poses the rig and changes a few
properties, renders, and reads the RGBA result back through an uncompressed TGA in /dev/shm
(the render's own alpha gives the mask). Works with Blender 3.4 (Debian) and 5.0 (bpy wheel).
"""

from __future__ import annotations

import math
import os
import tempfile

import bpy

from synth import camera as cam_model
from synth.hand_model import apply_pose, build_hand, set_skin_colour
from synth.imageio import read_tga, remove_quietly

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

    def __init__(self, resolution: tuple[int, int], engine: str = "workbench", samples: int = 1):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = bpy.context.scene
        self.resolution = resolution
        self.engine = engine
        self._configure_render(samples)
        self._configure_camera()
        self._configure_light()
        self.rig = build_hand()
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
        """Show or hide the forearm in renders (tests render the hand alone with this)."""
        self.rig["forearm"].hide_render = not visible

    def render(self, pose) -> object:
        """Pose the hand, render, and return the (H, W, 4) uint8 RGBA image (straight alpha)."""
        apply_pose(self.rig["armature"], pose)
        bpy.ops.render.render()
        bpy.data.images["Render Result"].save_render(self._tmp, scene=self.scene)
        return read_tga(self._tmp)

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
