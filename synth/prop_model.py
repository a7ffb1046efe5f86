"""Held objects in Blender: their meshes, and their placement on a posed rig (``synth.props``).

Each photo-look rig gets one hidden mesh per kind, parented to its armature (so the rig's
placement, scale and mirror apply to it) and painted id 7 in the mask pass, which is no hand's:
where an object passes in front of a hand, the hand's mask loses those pixels.
"""

from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix

from synth.hand_model import new_material, set_skin_colour
from synth.labels import PROP_COLOUR
from synth.props import KINDS, held_transform, pinched

CYLINDER_SIDES = 24


def _box(width: float, height: float, thickness: float):
    x, y, z = width / 2, height / 2, thickness / 2
    verts = [(sx * x, sy * y, sz * z) for sz in (-1, 1) for sy in (-1, 1) for sx in (-1, 1)]
    faces = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    return verts, faces


def _cylinder(diameter: float, height: float):
    angles = np.linspace(0, 2 * np.pi, CYLINDER_SIDES, endpoint=False)
    ring = [(diameter / 2 * np.cos(a), diameter / 2 * np.sin(a)) for a in angles]
    verts = [(x, y, z) for z in (-height / 2, height / 2) for x, y in ring]
    n = CYLINDER_SIDES
    faces = [(k, (k + 1) % n, n + (k + 1) % n, n + k) for k in range(n)]
    faces += [tuple(reversed(range(n))), tuple(range(n, 2 * n))]
    return verts, faces


def build_props(armature, name: str) -> dict:
    """One hidden object per kind, parented to ``armature``, sharing one material.

    Returns:
        ``{"objects": {kind: object}, "material": material}``.

    """
    material = new_material("Held" + name)
    objects = {}
    for kind, (shape, size) in KINDS.items():
        verts, faces = _box(*size) if shape == "box" else _cylinder(size[0], size[2])
        mesh = bpy.data.meshes.new(f"Held_{kind}{name}")
        mesh.from_pydata([tuple(map(float, v)) for v in verts], [], faces)
        mesh.update()
        mesh.materials.append(material)
        obj = bpy.data.objects.new(f"Held_{kind}{name}", mesh)
        bpy.context.scene.collection.objects.link(obj)
        obj.parent = armature
        obj.matrix_parent_inverse = Matrix.Identity(4)
        obj.color = PROP_COLOUR
        obj.hide_render = True
        objects[kind] = obj
    return {"objects": objects, "material": material}


def _tip(pose_bone) -> np.ndarray:
    return np.array(pose_bone.tail, float)


def hold(rig: dict, held) -> str | None:
    """Show ``held`` (a ``synth.props.HeldObject``, or None) in a posed rig's hand.

    Sets ``rig["prop"]`` to the shown object (None when nothing is held), which the scene's
    render box takes in.

    Returns:
        What the hand holds and where, e.g. ``"card (grip)"``; None when nothing.

    """
    props = rig.get("props")
    rig["prop"] = None
    if props is None:
        return None
    for obj in props["objects"].values():
        obj.hide_render = True
    if held is None:
        return None
    bpy.context.view_layer.update()  # the posed bones' matrices
    bones = rig["armature"].pose.bones
    thumb, index = _tip(bones["thumb_3"]), _tip(bones["index_3"])
    transform = held_transform(held, np.array(bones["wrist"].matrix, float), thumb, index)
    obj = props["objects"][held.kind]
    obj.matrix_basis = Matrix(transform.tolist())
    obj.hide_render = False
    set_skin_colour(props["material"], held.rgb)
    rig["prop"] = obj
    return f"{held.kind} ({'grip' if pinched(held, thumb, index) else 'palm'})"
