"""Right-hand skeleton (numpy only): bone table, rest frames and batched forward kinematics.

Armature space (= the hand's own frame, origin at the wrist joint): in the rest pose the fingers
point along +Y, the palm faces +Z (towards the camera) and the thumb lies on the +X side, so the
camera sees the palm of a right hand with the thumb on the image's right. Lengths are in metres,
angles in degrees.

Every bone has a rest frame whose columns are its X axis (flexion axis), Y axis (head to tail)
and Z axis (abduction axis), exactly like a Blender bone; a pose rotates a bone in its own rest
frame by the Euler angles (x=flexion, z=abduction) in Blender's 'XYZ' order (R = Rz @ Ry @ Rx).
``synth.hand_model`` builds the Blender armature from this same table, so the forward kinematics
here is the geometry that gets rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FINGERS = ("little", "ring", "middle", "index")
DIGITS = FINGERS + ("thumb",)


@dataclass(frozen=True)
class HandDims:
    """Everything that sizes a skeleton (metres, degrees).

    Attributes:
        fingers: Per finger: MCP position (x, y), splay angle in the palm plane (+ towards the
            little finger), phalanx lengths, radii (MCP, PIP, DIP, tip), abduction sign.
        thumb_head: CMC joint position.
        thumb_dir: Direction of the thumb in the rest pose.
        thumb_flex_towards: Flexion swings the thumb towards this direction.
        thumb_lengths: Metacarpal, proximal and distal lengths.
        thumb_radii: Radii at CMC, MCP, IP and tip.
        palm_box: ((x0, x1), (y0, y1), (z0, z1)) in the wrist bone's frame.
        forearm_length: Elbow to wrist.
        forearm_radii: At the elbow, at the wrist.

    """

    fingers: dict
    thumb_head: tuple
    thumb_dir: tuple
    thumb_flex_towards: tuple
    thumb_lengths: tuple
    thumb_radii: tuple
    palm_box: tuple
    forearm_length: float
    forearm_radii: tuple


# The paper-look hand of ``--preset paper`` (the geometry every earlier release rendered).
PAPER_DIMS = HandDims(
    fingers={
        "index": ((0.030, 0.092), -6.0, (0.041, 0.025, 0.020),
                  (0.0100, 0.0094, 0.0086, 0.0078), -1.0),
        "middle": ((0.008, 0.097), 0.0, (0.045, 0.028, 0.021),
                   (0.0102, 0.0096, 0.0088, 0.0080), -1.0),
        "ring": ((-0.014, 0.093), 5.0, (0.042, 0.027, 0.020),
                 (0.0096, 0.0090, 0.0083, 0.0076), 1.0),
        "little": ((-0.034, 0.083), 11.0, (0.033, 0.019, 0.018),
                   (0.0086, 0.0080, 0.0074, 0.0068), 1.0),
    },
    thumb_head=(0.024, 0.020, 0.006), thumb_dir=(0.62, 0.74, 0.26),
    thumb_flex_towards=(-0.55, 0.0, 0.84), thumb_lengths=(0.046, 0.032, 0.028),
    thumb_radii=(0.0135, 0.0118, 0.0108, 0.0095),
    palm_box=((-0.046, 0.043), (-0.004, 0.097), (-0.016, 0.016)),
    forearm_length=0.27, forearm_radii=(0.036, 0.029))
FOREARM_LENGTH = PAPER_DIMS.forearm_length
FOREARM_RADII = PAPER_DIMS.forearm_radii
PALM_BOX = PAPER_DIMS.palm_box


@dataclass(frozen=True)
class Bone:
    """One bone of the armature.

    Attributes:
        name: Blender bone name.
        parent: Parent bone name or None for the root.
        head: Rest head position in armature space.
        frame: 3x3 rest rotation, columns = bone X (flexion axis), Y (along bone), Z.
        length: Head to tail distance.
        radii: Mesh radius at head and at tail (the mesh lies inside this capsule).
        dof: Pose-vector field names driving (x rotation, z rotation); None = fixed.
        abd_sign: Sign applied to the z (abduction) field.

    """

    name: str
    parent: str | None
    head: tuple
    frame: np.ndarray
    length: float
    radii: tuple
    dof: tuple
    abd_sign: float = 1.0

    @property
    def tail(self) -> np.ndarray:
        """Rest tail position in armature space."""
        return np.asarray(self.head) + self.frame[:, 1] * self.length


def _frame(y_dir, z_hint) -> np.ndarray:
    y = np.asarray(y_dir, float)
    y = y / np.linalg.norm(y)
    z = np.asarray(z_hint, float)
    z = z - y * (z @ y)
    z = z / np.linalg.norm(z)
    return np.stack([np.cross(y, z), y, z], axis=1)


def build_bones(dims: HandDims = PAPER_DIMS) -> list[Bone]:
    """Return the 17 bones (forearm, wrist, 3 per digit) in parent-before-child order."""
    up = (0.0, 0.0, 1.0)
    bones = [
        Bone("forearm", None, (0.0, -dims.forearm_length, 0.0), _frame((0, 1, 0), up),
             dims.forearm_length, dims.forearm_radii, (None, None)),
        Bone("wrist", "forearm", (0.0, 0.0, 0.0), _frame((0, 1, 0), up), 0.09,
             (0.0, 0.0), ("wrist_flex", "wrist_dev")),
    ]
    for finger in FINGERS:
        (mx, my), splay, lengths, radii, sign = dims.fingers[finger]
        a = np.radians(splay)
        frame = _frame((-np.sin(a), np.cos(a), 0.0), up)
        head = np.array([mx, my, 0.0])
        parent = "wrist"
        for k, (part, dof) in enumerate(zip(("1", "2", "3"), (
                (f"{finger}_mcp_flex", f"{finger}_mcp_abd"), (f"{finger}_pip", None),
                (f"{finger}_dip", None)), strict=True)):
            name = f"{finger}_{part}"
            bones.append(Bone(name, parent, tuple(head), frame, lengths[k],
                              (radii[k], radii[k + 1]), dof, sign))
            head = head + frame[:, 1] * lengths[k]
            parent = name
    frame = _frame(dims.thumb_dir, dims.thumb_flex_towards)
    head = np.array(dims.thumb_head)
    parent = "wrist"
    for k, dof in enumerate((("thumb_cmc_flex", "thumb_cmc_abd"), ("thumb_mcp", None),
                             ("thumb_ip", None))):
        name = f"thumb_{k + 1}"
        bones.append(Bone(name, parent, tuple(head), frame, dims.thumb_lengths[k],
                          (dims.thumb_radii[k], dims.thumb_radii[k + 1]), dof, 1.0))
        head = head + frame[:, 1] * dims.thumb_lengths[k]
        parent = name
    return bones


BONES = build_bones()
BONE_INDEX = {b.name: i for i, b in enumerate(BONES)}


def euler_xyz(x_deg, y_deg, z_deg) -> np.ndarray:
    """Batched rotation matrices for Blender 'XYZ' Euler angles (R = Rz @ Ry @ Rx).

    Args:
        x_deg: Angles about X in degrees, any shape S (broadcast together with the others).
        y_deg: Angles about Y in degrees.
        z_deg: Angles about Z in degrees.

    Returns:
        Array of shape S + (3, 3).

    """
    x, y, z = (np.radians(np.asarray(v, float)) for v in (x_deg, y_deg, z_deg))
    x, y, z = np.broadcast_arrays(x, y, z)
    cx, sx, cy, sy, cz, sz = np.cos(x), np.sin(x), np.cos(y), np.sin(y), np.cos(z), np.sin(z)
    r = np.empty(x.shape + (3, 3))
    r[..., 0, 0] = cy * cz
    r[..., 0, 1] = sx * sy * cz - cx * sz
    r[..., 0, 2] = cx * sy * cz + sx * sz
    r[..., 1, 0] = cy * sz
    r[..., 1, 1] = sx * sy * sz + cx * cz
    r[..., 1, 2] = cx * sy * sz - sx * cz
    r[..., 2, 0] = -sy
    r[..., 2, 1] = sx * cy
    r[..., 2, 2] = cx * cy
    return r


def forward_kinematics(poses: np.ndarray, field_index: dict, bones: list | None = None) -> dict:
    """Pose every bone for a batch of pose vectors.

    The armature object sits at the translation (v1-v3) and is rotated by the global rotation
    (v4-v6, 'XYZ' Euler about the wrist); bones follow Blender's pose formula
    ``M_bone = M_parent @ inv(Rest_parent) @ Rest_bone @ R_local``.

    Args:
        poses: (N, 28) pose vectors.
        field_index: Map from field name to column, see ``synth.pose.FIELD_INDEX``.
        bones: Bone table (default: the paper hand's ``BONES``).

    Returns:
        Dict with ``rot`` (N, B, 3, 3) world bone frames, ``head`` and ``tail`` (N, B, 3) world
        positions, in the order of ``BONES``.

    """
    bones = BONES if bones is None else bones
    index = {b.name: i for i, b in enumerate(bones)}
    poses = np.asarray(poses, float)
    n = poses.shape[0]
    obj_r = euler_xyz(poses[:, field_index["rx"]], poses[:, field_index["ry"]],
                      poses[:, field_index["rz"]])
    obj_t = poses[:, [field_index["tx"], field_index["ty"], field_index["tz"]]]
    rots, heads = {}, {}
    zeros = np.zeros(n)
    for bone in bones:
        fx, fz = bone.dof
        ax = poses[:, field_index[fx]] if fx else zeros
        az = poses[:, field_index[fz]] * bone.abd_sign if fz else zeros
        local = euler_xyz(ax, zeros, az)
        if bone.parent is None:
            rot = obj_r @ bone.frame
            head = obj_t + obj_r @ np.asarray(bone.head)
        else:
            p = bones[index[bone.parent]]
            rel_r = p.frame.T @ bone.frame
            rel_t = p.frame.T @ (np.asarray(bone.head) - np.asarray(p.head))
            rot = rots[p.name] @ rel_r
            head = heads[p.name] + np.einsum("nij,j->ni", rots[p.name], rel_t)
        rots[bone.name] = rot @ local
        heads[bone.name] = head
    rot = np.stack([rots[b.name] for b in bones], axis=1)
    head = np.stack([heads[b.name] for b in bones], axis=1)
    lengths = np.array([b.length for b in bones])
    tail = head + rot[..., :, 1] * lengths[None, :, None]
    return {"rot": rot, "head": head, "tail": tail}
