"""Other skeleton layouts -> the 16 STEP joints: round trips from known poses, units, up axes, errors, the data spec.

Each source layout's keypoints are synthesised here from a known 16-joint pose
by placing every source joint where its producer puts it, by the producer's own
index order (written out below from its documentation, not read from
``step_tf.graph``), including the face, thorax, toe and hand points the
converter must ignore or combine. Converting back must give the pose again:
exactly (float32) for joints that map 1:1 and for joints built by a rule the
pose obeys, within stated centimetres where the layout's anatomy differs.
"""

import numpy as np
import pytest

from step_tf.data import skeletons
from step_tf.data.sources import load_gaits

EXACT = 1e-5  # metres: float32 rounding of metre-scale coordinates
HEAD_TOLERANCE = 0.05  # metres: face keypoints put the head centre ~4.6 cm forward (see face_points)

STEP = (
    "root", "spine", "neck", "head", "shoulder_left", "elbow_left", "hand_left",
    "shoulder_right", "elbow_right", "hand_right", "hip_left", "knee_left", "foot_left",
    "hip_right", "knee_right", "foot_right",
)
S = {name: i for i, name in enumerate(STEP)}


def t_pose() -> np.ndarray:
    """A hand-made T-pose (1, 1, 16, 3), metres, y up, facing +z (left is +x): root at mid-hip,
    neck at mid-shoulder and spine halfway, so the built-joint rules hold exactly."""
    joints = {
        "root": (0.0, 0.95, 0.0), "spine": (0.0, 1.2, 0.0), "neck": (0.0, 1.45, 0.0), "head": (0.0, 1.62, 0.02),
        "shoulder_left": (0.18, 1.45, 0.0), "elbow_left": (0.48, 1.45, 0.0), "hand_left": (0.74, 1.45, 0.0),
        "shoulder_right": (-0.18, 1.45, 0.0), "elbow_right": (-0.48, 1.45, 0.0), "hand_right": (-0.74, 1.45, 0.0),
        "hip_left": (0.1, 0.95, 0.0), "knee_left": (0.1, 0.52, 0.02), "foot_left": (0.1, 0.08, 0.0),
        "hip_right": (-0.1, 0.95, 0.0), "knee_right": (-0.1, 0.52, 0.02), "foot_right": (-0.1, 0.08, 0.0),
    }
    return np.array([[[joints[name] for name in STEP]]], dtype=np.float64)


@pytest.fixture(scope="module")
def walk(fixtures_dir) -> np.ndarray:
    """Four real Bandai-Namco walks (4, 75, 16, 3), metres, y up."""
    return np.load(fixtures_dir / "bandai_walk_step16_4x75.npz")["positions"].astype(np.float64)


def body_axes(pose):
    """Unit vectors (..., 3): up (+y), the subject's left (shoulders, horizontal) and forward = left x up."""
    up = np.broadcast_to(np.array([0.0, 1.0, 0.0]), pose.shape[:-2] + (3,))
    left = pose[..., S["shoulder_left"], :] - pose[..., S["shoulder_right"], :]
    left = left * np.array([1.0, 0.0, 1.0])
    left = left / np.linalg.norm(left, axis=-1, keepdims=True)
    return up, left, np.cross(left, up)


def face_points(pose):
    """Nose, eyes and ears around the head centre (head-sized offsets, metres)."""
    up, left, forward = body_axes(pose)
    head = pose[..., S["head"], :]
    return {
        "nose": head + 0.10 * forward - 0.02 * up,
        "left_eye": head + 0.07 * forward + 0.03 * up + 0.032 * left,
        "right_eye": head + 0.07 * forward + 0.03 * up - 0.032 * left,
        # Ear canals sit about level with the head centre, a little behind it.
        "left_ear": head - 0.01 * forward + 0.075 * left,
        "right_ear": head - 0.01 * forward - 0.075 * left,
    }


def mid(pose, a, b):
    return 0.5 * (pose[..., S[a], :] + pose[..., S[b], :])


def stack(points, order):
    return np.stack([points[name] for name in order], axis=-2)


def coco17(pose):
    p = {name: pose[..., S[step], :] for name, step in (
        ("l_shoulder", "shoulder_left"), ("r_shoulder", "shoulder_right"), ("l_elbow", "elbow_left"),
        ("r_elbow", "elbow_right"), ("l_wrist", "hand_left"), ("r_wrist", "hand_right"), ("l_hip", "hip_left"),
        ("r_hip", "hip_right"), ("l_knee", "knee_left"), ("r_knee", "knee_right"), ("l_ankle", "foot_left"),
        ("r_ankle", "foot_right"))}
    face = face_points(pose)
    p.update(nose=face["nose"], l_eye=face["left_eye"], r_eye=face["right_eye"], l_ear=face["left_ear"], r_ear=face["right_ear"])
    # COCO keypoint order 0..16.
    return stack(p, ("nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
                     "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle"))


def h36m17(pose):
    up, _, forward = body_axes(pose)
    head = pose[..., S["head"], :]
    p = {
        "Pelvis": pose[..., S["root"], :], "Spine": pose[..., S["spine"], :], "Thorax": pose[..., S["neck"], :],
        # H36M's "neck/nose" joint is the skull base at about nose height; "head" is the head top.
        "NeckNose": head - 0.08 * up + 0.03 * forward, "HeadTop": head + 0.10 * up,
    }
    for side, h36m in (("left", "L"), ("right", "R")):
        for step, name in (("hip", "Hip"), ("knee", "Knee"), ("foot", "Ankle"), ("shoulder", "Shoulder"),
                           ("elbow", "Elbow"), ("hand", "Wrist")):
            p[h36m + name] = pose[..., S[f"{step}_{side}"], :]
    # VideoPose3D's 17-joint order.
    return stack(p, ("Pelvis", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "Spine", "Thorax", "NeckNose",
                     "HeadTop", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist"))


def body25(pose):
    up, left, forward = body_axes(pose)
    face = face_points(pose)
    p = {"Nose": face["nose"], "Neck": mid(pose, "shoulder_left", "shoulder_right"), "MidHip": mid(pose, "hip_left", "hip_right"),
         "REye": face["right_eye"], "LEye": face["left_eye"], "REar": face["right_ear"], "LEar": face["left_ear"]}
    for side, op in (("left", "L"), ("right", "R")):
        sign = 1.0 if side == "left" else -1.0
        for step, name in (("shoulder", "Shoulder"), ("elbow", "Elbow"), ("hand", "Wrist"), ("hip", "Hip"),
                           ("knee", "Knee"), ("foot", "Ankle")):
            p[op + name] = pose[..., S[f"{step}_{side}"], :]
        ankle = p[op + "Ankle"]
        p[op + "BigToe"] = ankle + 0.15 * forward - 0.07 * up - sign * 0.02 * left
        p[op + "SmallToe"] = ankle + 0.13 * forward - 0.07 * up + sign * 0.03 * left
        p[op + "Heel"] = ankle - 0.05 * forward - 0.07 * up
    # OpenPose BODY_25 order 0..24.
    return stack(p, ("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
                     "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
                     "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel"))


def kinect_v2(pose):
    up, left, forward = body_axes(pose)
    p = {"SpineBase": pose[..., S["root"], :], "SpineMid": pose[..., S["spine"], :],
         "SpineShoulder": pose[..., S["neck"], :], "Head": pose[..., S["head"], :]}
    p["Neck"] = 0.5 * (p["SpineShoulder"] + p["Head"])  # Kinect's neck: between the shoulders' line and the head
    for side, kinect in (("left", "Left"), ("right", "Right")):
        for step, name in (("shoulder", "Shoulder"), ("elbow", "Elbow"), ("hand", "Wrist"), ("hip", "Hip"),
                           ("knee", "Knee"), ("foot", "Ankle")):
            p[name + kinect] = pose[..., S[f"{step}_{side}"], :]
        wrist, elbow = p["Wrist" + kinect], p["Elbow" + kinect]
        along = (wrist - elbow) / np.linalg.norm(wrist - elbow, axis=-1, keepdims=True)
        p["Hand" + kinect] = wrist + 0.08 * along
        p["HandTip" + kinect] = wrist + 0.17 * along
        p["Thumb" + kinect] = wrist + 0.06 * along + 0.04 * forward
        p["Foot" + kinect] = p["Ankle" + kinect] + 0.12 * forward - 0.07 * up
    # Kinect v2 JointType order 0..24.
    return stack(p, ("SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
                     "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft",
                     "FootLeft", "HipRight", "KneeRight", "AnkleRight", "FootRight", "SpineShoulder", "HandTipLeft",
                     "ThumbLeft", "HandTipRight", "ThumbRight"))


def blazepose33_y_down(pose):
    """MediaPipe world landmarks: hip-centred, x right, y down, z away (pose turned 180 degrees about x)."""
    up, left, forward = body_axes(pose)
    face = face_points(pose)
    p = {"nose": face["nose"], "left_ear": face["left_ear"], "right_ear": face["right_ear"]}
    head = pose[..., S["head"], :]
    for side, sign in (("left", 1.0), ("right", -1.0)):
        p[f"{side}_eye"] = face[f"{side}_eye"]
        p[f"{side}_eye_inner"] = face[f"{side}_eye"] - sign * 0.012 * left
        p[f"{side}_eye_outer"] = face[f"{side}_eye"] + sign * 0.012 * left
        p[f"mouth_{side}"] = head + 0.09 * forward - 0.06 * up + sign * 0.025 * left
        for step, name in (("shoulder", "shoulder"), ("elbow", "elbow"), ("hand", "wrist"), ("hip", "hip"),
                           ("knee", "knee"), ("foot", "ankle")):
            p[f"{side}_{name}"] = pose[..., S[f"{step}_{side}"], :]
        wrist = p[f"{side}_wrist"]
        for finger, offset in (("pinky", -0.03), ("index", 0.0), ("thumb", 0.03)):
            p[f"{side}_{finger}"] = wrist - 0.08 * up + offset * forward
        p[f"{side}_heel"] = p[f"{side}_ankle"] - 0.05 * forward - 0.07 * up
        p[f"{side}_foot_index"] = p[f"{side}_ankle"] + 0.15 * forward - 0.07 * up
    order = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
             "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
             "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
             "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
             "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index")
    y_up = stack(p, order)
    centred = y_up - mid(pose, "hip_left", "hip_right")[..., None, :]
    return centred * np.array([1.0, -1.0, -1.0])  # 180 degrees about x: y down, z away


# layout -> (synthesise, up axis of the synthesised keypoints, STEP joints the layout builds, not maps 1:1)
LAYOUTS = {
    "coco17": (coco17, "y", ("root", "spine", "neck", "head")),
    "h36m17": (h36m17, "y", ("head",)),
    # BODY_25's mid_hip and neck are the mid-hip and mid-shoulder points, not where a mocap rig puts root and neck.
    "body25": (body25, "y", ("root", "spine", "neck", "head")),
    "kinect_v2": (kinect_v2, "y", ()),
    "blazepose33": (blazepose33_y_down, "-y", ("root", "spine", "neck", "head")),
    "mediapipe33": (blazepose33_y_down, "-y", ("root", "spine", "neck", "head")),
    "step16": (lambda pose: pose, "y", ()),
}
# A walk's mocap root/spine/neck vs. the mid-hip/halfway/mid-shoulder rules (measured on the Bandai fixture:
# at most 2.2, 3.5 and 4.0 cm); the rules are the video path's, so this bounds how far they sit from a mocap rig's.
BUILT_TRUNK_TOLERANCE = 0.05


def errors(converted, pose):
    return np.linalg.norm(converted - pose, axis=-1)  # (..., 16) metres


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_t_pose_round_trip(layout):
    synthesise, up, built = LAYOUTS[layout]
    pose = t_pose()
    converted = skeletons.to_step16(synthesise(pose), layout, up=up)
    assert converted.shape == (1, 1, 16, 3) and converted.dtype == np.float32
    if layout in ("blazepose33", "mediapipe33"):
        pose = pose - mid(pose, "hip_left", "hip_right")[..., None, :]  # world landmarks are hip-centred
    error = errors(converted, pose)[0, 0]
    head = S["head"]
    exact = [i for i in range(16) if i != head or "head" not in built]
    # The T-pose obeys the trunk rules, so every joint but a face-built head is exact.
    np.testing.assert_array_less(error[exact], EXACT)
    if "head" in built:
        assert error[head] < HEAD_TOLERANCE


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_walk_round_trip(layout, walk):
    synthesise, up, built = LAYOUTS[layout]
    converted = skeletons.to_step16(synthesise(walk), layout, up=up)
    assert converted.shape == walk.shape
    pose = walk
    if layout in ("blazepose33", "mediapipe33"):
        pose = walk - mid(walk, "hip_left", "hip_right")[..., None, :]
    error = errors(converted, pose)
    one_to_one = [S[name] for name in STEP if name not in built]
    assert error[..., one_to_one].max() < EXACT
    for name in built:
        tolerance = HEAD_TOLERANCE if name == "head" else BUILT_TRUNK_TOLERANCE
        assert error[..., S[name]].max() < tolerance, (name, error[..., S[name]].max())


def test_built_joints_follow_the_rules_on_a_walk(walk):
    # Independent of the tolerance above: the built trunk joints are exactly mid-hip, mid-shoulder and halfway.
    converted = skeletons.to_step16(coco17(walk), "coco17")
    root, neck = mid(walk, "hip_left", "hip_right"), mid(walk, "shoulder_left", "shoulder_right")
    np.testing.assert_allclose(converted[..., S["root"], :], root, atol=EXACT)
    np.testing.assert_allclose(converted[..., S["neck"], :], neck, atol=EXACT)
    np.testing.assert_allclose(converted[..., S["spine"], :], 0.5 * (root + neck), atol=EXACT)
    # Head: half the nose plus half the mid-ear point, 4.5 cm ahead of and 1 cm below the centre here.
    up, _, forward = body_axes(walk)
    expected_head = walk[..., S["head"], :] + 0.045 * forward - 0.01 * up
    np.testing.assert_allclose(converted[..., S["head"], :], expected_head, atol=EXACT)


def test_units_scale_to_metres(walk):
    metres = skeletons.to_step16(h36m17(walk), "h36m17")
    np.testing.assert_allclose(skeletons.to_step16(h36m17(walk) * 100, "h36m17", units="cm"), metres, atol=EXACT)
    np.testing.assert_allclose(skeletons.to_step16(h36m17(walk) * 1000, "h36m17", units="mm"), metres, atol=1e-4)


@pytest.mark.parametrize("factor, unit", [(1000, "mm"), (100, "cm")])
def test_wrong_units_are_refused_with_the_unit_that_fits(walk, factor, unit):
    with pytest.raises(ValueError, match=rf"walk\.npz: gait 'a': mean hip-to-neck distance .* outside the plausible 0\.2-1 m.*units={unit}"):
        skeletons.to_step16(coco17(walk[:1]) * factor, "coco17", source="walk.npz", keys=["a"])
    with pytest.raises(ValueError, match="hip-to-neck.*units=m"):
        skeletons.to_step16(coco17(walk[:1]), "coco17", units="mm")


def test_up_axes_are_rotations_to_y_up(walk):
    pose = walk[:1]
    keypoints = kinect_v2(pose)
    # z up, right-handed: +90 degrees about x takes y-up (x, y, z) to (x, -z, y).
    z_up = keypoints @ np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64).T
    np.testing.assert_allclose(z_up[..., 1], -keypoints[..., 2])
    np.testing.assert_allclose(skeletons.to_step16(z_up, "kinect_v2", up="z"), pose, atol=EXACT)
    # y down: 180 degrees about x.
    y_down = keypoints * np.array([1.0, -1.0, -1.0])
    converted = skeletons.to_step16(y_down, "kinect_v2", up="-y")
    np.testing.assert_allclose(converted, pose, atol=EXACT)
    # Still a body, not its mirror image: left = up x forward.
    up, left, forward = body_axes(converted.astype(np.float64))
    assert (np.einsum("...c,...c", np.cross(up, forward), left) > 0.9).all()


@pytest.mark.parametrize("turn, told, suggestion", [
    (np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]), "y", "up=z"),
    (np.diag([1, -1, -1]), "y", "up=-y"),
    (np.eye(3), "z", "up=y"),
    (np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]]), "y", "only y, -y, z are supported"),  # x up
])
def test_wrong_up_axis_is_refused_with_the_axis_the_trunk_follows(walk, turn, told, suggestion):
    keypoints = body25(walk[:1]) @ turn.T
    with pytest.raises(ValueError, match=rf"gait 'g'.*up={told}.*degrees from vertical.*{suggestion}"):
        skeletons.to_step16(keypoints, "body25", up=told, keys=["g"])


def test_2d_input_asks_for_3d():
    with pytest.raises(ValueError, match=r"clip\.npz: keypoints are 2D \(last axis 2\).*need 3D"):
        skeletons.to_step16(np.zeros((2, 75, 17, 2)), "coco17", source="clip.npz")
    with pytest.raises(ValueError, match="3 coordinates.*got 4; drop confidence"):
        skeletons.to_step16(np.zeros((75, 17, 4)), "coco17")
    with pytest.raises(ValueError, match="layout 'coco17' has 17 joints, but the keypoints have 25"):
        skeletons.to_step16(np.zeros((75, 25, 3)), "coco17")


def test_nan_keypoint_names_gait_frame_and_joint(walk):
    keypoints = coco17(walk[:2])
    keypoints[1, 7, 9] = np.nan
    with pytest.raises(ValueError, match=r"w\.npz: gait 'second', frame 7: joint 'left_wrist' is NaN"):
        skeletons.to_step16(keypoints, "coco17", source="w.npz", keys=["first", "second"])


def test_unknown_layout_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown skeleton layout 'openpose18'; known layouts: coco17, h36m17, blazepose33, body25, kinect_v2, step16, mediapipe33"):
        skeletons.to_step16(np.zeros((75, 18, 3)), "openpose18")
    with pytest.raises(ValueError, match="unknown units 'inch'; choose one of m, cm, mm"):
        skeletons.to_step16(np.zeros((75, 17, 3)), "coco17", units="inch")
    with pytest.raises(ValueError, match="unknown up axis 'x'"):
        skeletons.to_step16(np.zeros((75, 17, 3)), "coco17", up="x")


def test_data_spec_round_trip(tmp_path, walk):
    # Two 100-frame sequences of H36M keypoints in millimetres, z up (Human3.6M world axes).
    long = np.concatenate([walk[:2], walk[:2, :25]], axis=1)  # (2, 100, 16, 3)
    to_z_up = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64)
    path = tmp_path / "h36m.npz"
    np.savez(path, positions=(h36m17(long) @ to_z_up.T) * 1000, labels=np.array(["sad", "angry"]),
             keys=np.array(["s1_walk", "s2_walk"]), groups=np.array(["s1", "s2"]))
    gaits = load_gaits(f"keypoints:{path},layout=h36m17,units=mm,up=z")
    # Windows of 75 frames at 0 and 15 (100 - 75 = 25 leaves no room for a third).
    assert gaits.keys.tolist() == ["s1_walk_00000", "s1_walk_00015", "s2_walk_00000", "s2_walk_00015"]
    assert gaits.groups.tolist() == ["s1", "s1", "s2", "s2"]
    assert [gaits.label_names[i] for i in gaits.labels] == ["sad", "sad", "angry", "angry"]
    expected = np.stack([long[0, :75], long[0, 15:90], long[1, :75], long[1, 15:90]])
    body = [i for i in range(16) if i != S["head"]]  # H36M's head is built (about 2 cm off here)
    np.testing.assert_allclose(gaits.joints[:, :, body], expected[:, :, body], atol=1e-4)
    assert errors(gaits.joints, expected)[..., S["head"]].max() < HEAD_TOLERANCE
    assert gaits.source == str(path)

    stride = load_gaits(f"keypoints:{path},layout=h36m17,units=mm,up=z,stride=10")
    assert [key[-5:] for key in stride.keys[:3]] == ["00000", "00010", "00020"]


def test_data_spec_single_and_short_sequences(tmp_path, walk):
    one = tmp_path / "one.npz"
    np.savez(one, joints=kinect_v2(walk[0]), labels=np.int64(2))  # (75, 25, 3): one gait, key = file stem
    gaits = load_gaits(f"keypoints:{one},layout=kinect_v2")
    assert gaits.keys.tolist() == ["one"] and gaits.labels.tolist() == [2]
    np.testing.assert_allclose(gaits.joints[0], walk[0], atol=EXACT)

    short = tmp_path / "short.npz"
    np.savez(short, joints=kinect_v2(walk[:2, :40]))  # 40 frames: tiled 40 + 35
    gaits = load_gaits(f"keypoints:{short},layout=kinect_v2")
    assert gaits.keys.tolist() == ["short_00000_00000", "short_00001_00000"]
    assert gaits.labels.tolist() == [0, 0]  # unlabelled: placeholder ids
    np.testing.assert_allclose(gaits.joints[1], np.concatenate([walk[1, :40], walk[1, :35]]), atol=EXACT)


@pytest.mark.parametrize("spec_tail, message", [
    ("", r"expected keypoints:FILE\.npz,layout=NAME"),
    (",units=mm", r"expected keypoints:FILE\.npz,layout=NAME"),
    (",layout=coco17,colour=red", r"unknown or repeated option 'colour=red'"),
    (",layout=coco17,layout=h36m17", r"unknown or repeated option 'layout=h36m17'"),
    (",layout=coco17,stride=0", r"stride must be a positive number"),
    (",layout=coco18", r"unknown skeleton layout 'coco18'"),
])
def test_data_spec_errors(tmp_path, walk, spec_tail, message):
    path = tmp_path / "k.npz"
    np.savez(path, joints=coco17(walk[:1]))
    with pytest.raises(ValueError, match=message):
        load_gaits(f"keypoints:{path}{spec_tail}")


def test_file_errors_name_the_file_and_key(tmp_path, walk):
    both = tmp_path / "both.npz"
    np.savez(both, joints=coco17(walk[:1]), positions=coco17(walk[:1]))
    with pytest.raises(ValueError, match=r"both\.npz: the file holds both 'joints' and 'positions'"):
        skeletons.load_keypoints(both, "coco17")
    neither = tmp_path / "neither.npz"
    np.savez(neither, points=coco17(walk[:1]))
    with pytest.raises(ValueError, match=r"neither\.npz: the file holds neither .*its keys: points"):
        skeletons.load_keypoints(neither, "coco17")
    labelled = tmp_path / "labelled.npz"
    np.savez(labelled, joints=coco17(walk[:2]), labels=np.array(["sad", "bored"]), keys=np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"labelled\.npz: 'labels': sequence 'b' has label 'bored'"):
        skeletons.load_keypoints(labelled, "coco17")
    wrong_count = tmp_path / "count.npz"
    np.savez(wrong_count, joints=coco17(walk[:2]), groups=np.array(["a"]))
    with pytest.raises(ValueError, match=r"count\.npz: 'groups' must have one entry per sequence, shape \(2,\)"):
        skeletons.load_keypoints(wrong_count, "coco17")
    nan = tmp_path / "nan.npz"
    keypoints = coco17(walk[:2])
    keypoints[0, 3, 0] = np.nan
    np.savez(nan, joints=keypoints)
    with pytest.raises(ValueError, match=r"nan\.npz: 'joints': gait 'nan_00000', frame 3: joint 'nose'"):
        skeletons.load_keypoints(nan, "coco17")
    with pytest.raises(FileNotFoundError, match="missing.npz: keypoint file not found"):
        skeletons.load_keypoints(tmp_path / "missing.npz", "coco17")
    npy = tmp_path / "plain.npy"
    np.save(npy, coco17(walk[:1]))
    with pytest.raises(ValueError, match=r"plain\.npy: not an \.npz archive"):
        skeletons.load_keypoints(npy, "coco17")


def test_the_data_page_table_matches_the_mappings():
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "data.md").read_text()
    for layout in ("coco17", "h36m17", "blazepose33", "body25", "kinect_v2"):
        recipes = skeletons.describe_mapping(layout)
        for step_joint in ("root", "spine", "neck", "head", "hand_left", "foot_left"):
            assert f"`{recipes[step_joint]}`" in readme, (layout, step_joint, recipes[step_joint])


def test_bvh_spec_takes_a_joint_map(tmp_path, fixtures_dir):
    import json
    import shutil

    from step_tf.data.bvh import BANDAI_NAMCO_JOINT_MAP

    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(fixtures_dir / "dataset-1_walk_angry_001.bvh", clips / "walk_angry_001.bvh")
    # A map that picks other rig joints: the arms swapped between sides, so hands must come back swapped.
    swapped = {name: BANDAI_NAMCO_JOINT_MAP[name.replace("left", "TMP").replace("right", "left").replace("TMP", "right")]
               for name in STEP}
    (tmp_path / "map.json").write_text(json.dumps(swapped))
    default = load_gaits(f"bvh:{clips}")
    mapped = load_gaits(f"bvh:{clips},joint_map={tmp_path / 'map.json'}")
    assert mapped.keys.tolist() == default.keys.tolist()
    np.testing.assert_array_equal(mapped.joints[:, :, S["hand_left"]], default.joints[:, :, S["hand_right"]])
    np.testing.assert_array_equal(mapped.joints[:, :, S["head"]], default.joints[:, :, S["head"]])

    (tmp_path / "bad.json").write_text(json.dumps(["Hips"]))
    with pytest.raises(ValueError, match=r"bad\.json: the BVH joint map must be a JSON object of STEP joint name -> BVH joint name"):
        load_gaits(f"bvh:{clips},joint_map={tmp_path / 'bad.json'}")
    (tmp_path / "missing.json").write_text(json.dumps(dict(swapped, head="Skull")))
    with pytest.raises(ValueError, match=r"walk_angry_001\.bvh: no joint 'Skull' in the BVH hierarchy"):
        load_gaits(f"bvh:{clips},joint_map={tmp_path / 'missing.json'}")
    with pytest.raises(ValueError, match=r"expected bvh:DIR\[,LABELS\.json\]\[,joint_map=MAP\.json\]"):
        load_gaits(f"bvh:{clips},joint_map=a.json,joint_map=b.json")


def test_unreadable_file_is_named(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not numpy")
    with pytest.raises(ValueError, match=r"notes\.npz: not a readable \.npz file"):
        skeletons.load_keypoints(text, "coco17")
