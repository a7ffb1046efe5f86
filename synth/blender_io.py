"""Image files through Blender's codecs (JPEG output, background images) and the fast temp dir.

Blender's Python has no PIL or OpenCV; ``synth.imageio`` covers TGA and PNG in numpy, and
what needs a real codec goes through ``bpy.data.images`` here.
"""

from __future__ import annotations

import os

import bpy
import numpy as np


def fast_tmp_dir() -> str | None:
    """/dev/shm where it is writable (render read-back through RAM), else the default."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class BlenderImageIO:
    """Image files that need Blender's codecs: JPEG output and background images."""

    def __init__(self):
        self._jpeg = None
        self._cache: dict[str, object] = {}

    def write_jpeg(self, path: str, rgb, quality: int) -> None:
        """Atomically write an (H, W, 3) uint8 image as JPEG."""
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
