"""Procedural articulated right hand in Blender: armature, skinned meshes, skin material.

The armature has a forearm, a wrist bone and three bones per finger and thumb
(``synth.skeleton.BONES``); the hand mesh (palm + 15 phalanx capsules) and the forearm mesh are
skinned to it through vertex groups and an Armature modifier. Works with Blender 3.4 and 5.0.
"""

from __future__ import annotations

import math

import bpy
import numpy as np

from synth.meshgen import forearm_part, hand_parts
from synth.pose import FIELD_INDEX
from synth.skeleton import BONES


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


def _skin_material() -> bpy.types.Material:
    mat = bpy.data.materials.new("Skin")
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
    """Set the skin colour for every engine (Workbench uses the viewport colour).

    Args:
        mat: Material from :func:`build_hand`.
        rgb: Linear RGB triple in [0, 1].

    """
    mat.diffuse_color = (rgb[0], rgb[1], rgb[2], 1.0)
    bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    bsdf.inputs["Base Color"].default_value = (rgb[0], rgb[1], rgb[2], 1.0)
    if "Subsurface Color" in bsdf.inputs:
        bsdf.inputs["Subsurface Color"].default_value = (rgb[0], rgb[1], rgb[2], 1.0)


def build_hand() -> dict:
    """Create the armature, the hand and forearm meshes and the skin material.

    Returns:
        Dict with ``armature`` (object), ``hand`` and ``forearm`` (mesh objects), ``material``.

    """
    scene = bpy.context.scene
    arm_data = bpy.data.armatures.new("HandRig")
    armature = bpy.data.objects.new("HandRig", arm_data)
    scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    for bone in BONES:
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
    hand = _mesh_object("Hand", hand_parts(), armature)
    forearm = _mesh_object("Forearm", [forearm_part()], armature)
    mat = _skin_material()
    for obj in (hand, forearm):
        obj.data.materials.append(mat)
    return {"armature": armature, "hand": hand, "forearm": forearm, "material": mat}


def apply_pose(armature: bpy.types.Object, pose) -> None:
    """Pose the rig with one 28-value pose vector (see ``synth.pose``).

    Args:
        armature: The rig from :func:`build_hand`.
        pose: 28 floats (metres and degrees).

    """
    v = [float(x) for x in pose]
    armature.location = (v[FIELD_INDEX["tx"]], v[FIELD_INDEX["ty"]], v[FIELD_INDEX["tz"]])
    armature.rotation_euler = tuple(math.radians(v[FIELD_INDEX[k]]) for k in ("rx", "ry", "rz"))
    for bone in BONES:
        fx, fz = bone.dof
        x = math.radians(v[FIELD_INDEX[fx]]) if fx else 0.0
        z = math.radians(v[FIELD_INDEX[fz]] * bone.abd_sign) if fz else 0.0
        armature.pose.bones[bone.name].rotation_euler = (x, 0.0, z)
