"""Procedural articulated right hand in Blender: armature, skinned meshes, materials.

The armature has a forearm, a wrist bone and three bones per finger and thumb
(``synth.skeleton.build_bones``); the hand mesh (palm + 15 phalanx capsules), the forearm mesh
and (photo look) a sleeve are skinned to it through vertex groups and an Armature modifier. A
left hand is the same rig mirrored by its object transform. The photo look changes the shape per
image by rewriting the meshes' rest vertices (same topology). Works with Blender 3.4 and 5.0.
"""

from __future__ import annotations

import math

import bpy
import numpy as np

from synth.anatomy import (
    ARM_TAPER,
    HAND_LENGTH,
    WRIST_HALF_THICKNESS,
    WRIST_HALF_WIDTH,
    anatomical_dims,
)
from synth.meshgen import (
    arm_tube,
    forearm_part,
    hand_parts,
    hand_vertices,
    sleeve_pattern,
    sleeve_tube,
)
from synth.pose import FIELD_INDEX
from synth.skeleton import BONES, PAPER_DIMS, build_bones


def _mesh_object(name: str, parts, armature) -> bpy.types.Object:
    verts, faces, groups, offset = [], [], [], 0
    for bone_name, v, f in parts:
        verts.append(v)
        faces += [tuple(i + offset for i in face) for face in f]
        groups.append((bone_name, range(offset, offset + len(v))))
        offset += len(v)
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(np.concatenate(verts).tolist(), [], faces)
    mesh.update()
    smooth = [True] * len(mesh.polygons)
    mesh.polygons.foreach_set("use_smooth", smooth)
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    for bone_name, idx in groups:
        obj.vertex_groups.new(name=bone_name).add(list(idx), 1.0, "REPLACE")
    obj.parent = armature
    mod = obj.modifiers.new("Armature", "ARMATURE")
    mod.object = armature
    return obj


def new_material(name: str) -> bpy.types.Material:
    """A Principled material; skin settings are harmless for cloth at these sizes."""
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    inputs = bsdf.inputs
    for name, value in (("Roughness", 0.55), ("Specular IOR Level", 0.3), ("Specular", 0.3),
                        ("Subsurface Weight", 0.15), ("Subsurface", 0.15)):
        if name in inputs:  # 'Specular'/'Subsurface' in 3.x, renamed in 4.0
            inputs[name].default_value = value
    if "Subsurface Radius" in inputs:
        inputs["Subsurface Radius"].default_value = (0.01, 0.004, 0.002)
    return mat


def set_skin_colour(mat: bpy.types.Material, rgb) -> None:
    """Set a material's colour for every engine (Workbench uses the viewport colour).

    Args:
        mat: Material from :func:`build_hand` (skin) or its cloth materials.
        rgb: Linear RGB triple in [0, 1].

    """
    mat.diffuse_color = (rgb[0], rgb[1], rgb[2], 1.0)
    bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    bsdf.inputs["Base Color"].default_value = (rgb[0], rgb[1], rgb[2], 1.0)
    if "Subsurface Color" in bsdf.inputs:
        bsdf.inputs["Subsurface Color"].default_value = (rgb[0], rgb[1], rgb[2], 1.0)


def build_hand(photo: bool = False, name: str = "", materials: dict | None = None) -> dict:
    """Create the armature, the hand and forearm meshes (and a sleeve) with their materials.

    Args:
        photo: The photo-look hand (``synth.anatomy``), an elliptical arm and a sleeve; else
            the paper-look hand with its capsule forearm.
        name: Suffix of the object names (a second rig needs its own).
        materials: ``{"skin": mat, "cloth": (mat, mat)}`` to share with another rig.

    Returns:
        Dict with ``armature`` (object), ``hand``, ``forearm`` and ``sleeve`` (mesh objects;
        ``sleeve`` is None for the paper look), ``material`` (skin), ``cloth`` (two materials),
        ``bones`` (the bone table) and ``dims``.

    """
    dims = anatomical_dims() if photo else PAPER_DIMS
    bones = build_bones(dims)
    scene = bpy.context.scene
    arm_data = bpy.data.armatures.new("HandRig" + name)
    armature = bpy.data.objects.new("HandRig" + name, arm_data)
    scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    for bone in bones:
        eb = arm_data.edit_bones.new(bone.name)
        eb.head = tuple(bone.head)
        eb.tail = tuple(bone.tail)
        eb.align_roll(tuple(bone.frame[:, 2]))
        if bone.parent:
            eb.parent = arm_data.edit_bones[bone.parent]
            eb.use_connect = False
    bpy.ops.object.mode_set(mode="OBJECT")
    armature.rotation_mode = "XYZ"
    for pb in armature.pose.bones:
        pb.rotation_mode = "XYZ"
    if materials is None:
        materials = {"skin": new_material("Skin"),
                     "cloth": (new_material("Cloth"), new_material("ClothPattern"))}
    hand = _mesh_object("Hand" + name, hand_parts(bones=bones, palm_box=dims.palm_box), armature)
    sleeve = None
    if photo:
        verts, faces = arm_tube(0.3, *_arm_half_axes(), ARM_TAPER)
        forearm = _mesh_object("Forearm" + name, [("forearm", verts, faces)], armature)
        verts, faces = sleeve_tube(0.05, 0.3, *_arm_half_axes(), ARM_TAPER, 1.2)
        sleeve = _mesh_object("Sleeve" + name, [("forearm", verts, faces)], armature)
        for mat in materials["cloth"]:
            sleeve.data.materials.append(mat)
    else:
        forearm = _mesh_object("Forearm" + name, [forearm_part()], armature)
    for obj in (hand, forearm):
        obj.data.materials.append(materials["skin"])
    return {"armature": armature, "hand": hand, "forearm": forearm, "sleeve": sleeve,
            "material": materials["skin"], "cloth": materials["cloth"], "bones": bones,
            "dims": dims}


def _arm_half_axes() -> tuple[float, float]:
    """The wrist's half breadth and half thickness (the photo rig is built at HAND_LENGTH)."""
    return WRIST_HALF_WIDTH * HAND_LENGTH, WRIST_HALF_THICKNESS * HAND_LENGTH


def _set_vertices(obj, verts) -> None:
    obj.data.vertices.foreach_set("co", np.asarray(verts, np.float32).ravel())
    obj.data.update()


def set_photo_shape(rig: dict, shape, sleeve) -> None:
    """Give a photo-look rig one image's shape, arm length and sleeve.

    Args:
        rig: From :func:`build_hand` with ``photo=True``.
        shape: ``synth.anatomy.Shape`` (its ``scale`` is applied by the object transform).
        sleeve: ``(start, looseness, pattern)`` with the cuff ``start`` metres behind the wrist,
            or None for a bare arm.

    """
    dims = rig["dims"]
    if "shape_basis" not in rig:
        # Digit vertices are linear in the thickness, palm vertices in the palm's breadth.
        base = hand_vertices(rig["bones"], dims.palm_box, 0.0, 0.0)
        rig["shape_basis"] = (base,
                              hand_vertices(rig["bones"], dims.palm_box, 1.0, 0.0) - base,
                              hand_vertices(rig["bones"], dims.palm_box, 0.0, 1.0) - base)
    base, per_thickness, per_width = rig["shape_basis"]
    _set_vertices(rig["hand"], base + shape.thickness * per_thickness
                  + shape.palm_width * per_width)
    half_w, half_t = _arm_half_axes()
    _set_vertices(rig["forearm"], arm_tube(shape.arm_length, half_w, half_t, ARM_TAPER)[0])
    rig["sleeve"].hide_render = sleeve is None
    if sleeve is not None:
        start, looseness, pattern = sleeve
        verts, faces = sleeve_tube(min(start, shape.arm_length * 0.8), shape.arm_length, half_w,
                                   half_t, ARM_TAPER, looseness)
        _set_vertices(rig["sleeve"], verts)
        rig["sleeve"].data.polygons.foreach_set("material_index",
                                                sleeve_pattern(pattern, len(faces)))


def apply_pose(armature: bpy.types.Object, pose) -> None:
    """Pose the rig with one 28-value pose vector (see ``synth.pose``).

    Args:
        armature: The rig from :func:`build_hand`.
        pose: 28 floats (metres and degrees).

    """
    v = [float(x) for x in pose]
    armature.location = (v[FIELD_INDEX["tx"]], v[FIELD_INDEX["ty"]], v[FIELD_INDEX["tz"]])
    armature.rotation_euler = tuple(math.radians(v[FIELD_INDEX[k]]) for k in ("rx", "ry", "rz"))
    for bone in BONES:  # every rig has the same bone names and degrees of freedom
        fx, fz = bone.dof
        x = math.radians(v[FIELD_INDEX[fx]]) if fx else 0.0
        z = math.radians(v[FIELD_INDEX[fz]] * bone.abd_sign) if fz else 0.0
        armature.pose.bones[bone.name].rotation_euler = (x, 0.0, z)
