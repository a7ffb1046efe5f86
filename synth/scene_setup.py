"""The fixed parts of the render scene, set once: engine settings, camera, key light, mask pass.

``synth.scene.HandScene`` builds on these; nothing here changes per frame.
"""

from __future__ import annotations

import math

import bpy

from synth import camera as cam_model

ENGINES = {"workbench": "BLENDER_WORKBENCH", "cycles": "CYCLES", "eevee": "BLENDER_EEVEE"}
WORKBENCH_AA = {0: "OFF", 1: "OFF", 5: "5", 8: "8", 11: "11", 16: "16", 32: "32"}


def engine_id(engine: str) -> str:
    """Blender's identifier of a render engine name ("workbench", "cycles", "eevee")."""
    ident = ENGINES[engine]
    if engine == "eevee" and (4, 2, 0) <= bpy.app.version < (5, 0, 0):
        ident = "BLENDER_EEVEE_NEXT"
    return ident


def set_first(obj, names, value) -> None:
    """Set the first attribute in ``names`` that ``obj`` has (API names moved between versions)."""
    for name in names:
        if hasattr(obj, name):
            setattr(obj, name, value)
            return


def _raw_output(scene, resolution: tuple[int, int]) -> None:
    """Straight RGBA into an uncompressed TGA at ``resolution``, no colour management."""
    r = scene.render
    r.resolution_x, r.resolution_y = resolution
    r.resolution_percentage = 100
    r.film_transparent = True
    r.dither_intensity = 0.0
    r.use_compositing = r.use_sequencer = False
    r.image_settings.file_format = "TARGA_RAW"
    r.image_settings.color_mode = "RGBA"
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.display_settings.display_device = "sRGB"


def configure_render(scene, engine: str, resolution: tuple[int, int], samples: int) -> None:
    """Engine, output format, colour management and a white world for the colour pass.

    Args:
        scene: The scene to configure.
        engine: "workbench", "cycles" or "eevee".
        resolution: (width, height) in pixels.
        samples: Workbench anti-aliasing samples or Cycles/EEVEE render samples.

    """
    scene.render.engine = engine_id(engine)
    _raw_output(scene, resolution)
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    world = bpy.data.worlds.new("World")
    world.color = (1.0, 1.0, 1.0)
    scene.world = world
    if engine == "workbench":
        scene.display.render_aa = WORKBENCH_AA[int(samples)]
        sh = scene.display.shading
        sh.light = "STUDIO"
        sh.color_type = "MATERIAL"
        sh.show_shadows = False
        sh.show_cavity = False
        sh.show_object_outline = False
        sh.show_specular_highlight = True
        sh.use_world_space_lighting = True
    elif engine == "cycles":
        scene.cycles.device = "CPU"
        scene.cycles.samples = max(1, int(samples))
        scene.cycles.use_denoising = False
        set_first(scene.cycles, ("use_adaptive_sampling",), False)
        scene.cycles.seed = 0
        world.use_nodes = True
        bg = world.node_tree.nodes.get("Background")
        bg.inputs["Color"].default_value = (0.55, 0.55, 0.55, 1.0)
    else:
        scene.eevee.taa_render_samples = max(1, int(samples))
        set_first(scene.eevee, ("use_shadows",), False)


def add_camera(scene, resolution: tuple[int, int], photo: bool):
    """The scene's camera: the paper look's 24 mm-sensor model, or the photo look's.

    The paper look's camera sits at the default distance (``HandScene.set_scale`` moves it);
    the photo look's stays at the origin and renders only a border (set per frame).
    """
    w, h = resolution
    data = bpy.data.cameras.new("Camera")
    data.sensor_fit = "VERTICAL" if h <= w else "HORIZONTAL"
    data.sensor_height = data.sensor_width = 24.0
    data.lens = cam_model.lens_mm(24.0)
    data.clip_start = cam_model.CLIP_START
    data.clip_end = 10.0
    obj = bpy.data.objects.new("Camera", data)
    scene.collection.objects.link(obj)
    scene.camera = obj
    obj.rotation_euler = (0.0, 0.0, 0.0)
    if photo:
        from synth.layout import FOCAL_PHOTO

        data.lens = FOCAL_PHOTO * 24.0 / 2.0
        data.clip_end = 30.0
        scene.render.use_border = scene.render.use_crop_to_border = True
        obj.location = (0.0, 0.0, 0.0)
    else:
        obj.location = (0.0, 0.0, cam_model.DISTANCE)
    return obj


def add_key_light(scene):
    """A shadowless sun, 20 degrees off the view axis (rotated per frame about it)."""
    data = bpy.data.lights.new("Key", "SUN")
    data.energy = 3.0
    set_first(data, ("use_shadow",), False)
    if hasattr(data, "cycles") and hasattr(data.cycles, "cast_shadow"):
        data.cycles.cast_shadow = False  # Blender 3.x
    obj = bpy.data.objects.new("Key", data)
    scene.collection.objects.link(obj)
    obj.rotation_euler = (math.radians(20.0), math.radians(-15.0), 0.0)
    return obj


def mask_scene(scene, resolution: tuple[int, int]):
    """A second scene linking ``scene``'s meshes and camera: flat object colours, no AA.

    Workbench rasterises it exactly like the colour pass, so the object ids it gives are the
    colour pass's pixels; switching one scene's settings back and forth costs more.
    """
    masks = bpy.data.scenes.new("Masks")
    for obj in scene.collection.objects:
        if obj.type in ("MESH", "ARMATURE"):
            masks.collection.objects.link(obj)
    masks.camera = scene.camera
    masks.render.engine = "BLENDER_WORKBENCH"
    _raw_output(masks, resolution)
    masks.render.use_border = masks.render.use_crop_to_border = True
    masks.display.render_aa = "OFF"
    sh = masks.display.shading
    sh.light, sh.color_type, sh.show_specular_highlight = "FLAT", "OBJECT", False
    sh.show_shadows = sh.show_cavity = sh.show_object_outline = False
    return masks
