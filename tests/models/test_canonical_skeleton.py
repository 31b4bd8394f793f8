"""CanonicalSkeleton: the motion moved onto a reference skeleton, inside STEP's graph."""

import json
import pathlib

import keras
import numpy as np
import pytest

from step_tf.data.synthetic import generate_gaits
from step_tf.graph import STEP16
from step_tf.models.classifiers import REFERENCE_BONE_LENGTHS, STEP, CanonicalSkeleton
from tests.helpers import run_layer_test

SMALL = dict(channels=(8, 16), strides=(1, 2), temporal_kernel_size=5)
REFERENCE = np.array(REFERENCE_BONE_LENGTHS["step16"])
# step16 edges (parent, child) from the root outwards, written out here rather than derived by the layer's code.
TREE = [(0, 1), (1, 2), (2, 3), (2, 4), (4, 5), (5, 6), (2, 7), (7, 8), (8, 9), (0, 10), (10, 11), (11, 12), (0, 13), (13, 14), (14, 15)]
LEGS = [(10, 11), (11, 12), (13, 14), (14, 15)]  # hip-knee, knee-foot, left then right


def _gaits(num_gaits=3, num_frames=20, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0.0, 0.3, size=(num_gaits, num_frames, 16, 3)) + [1.0, 0.9, -2.0]).astype(np.float32)


def _edge(parent, child):
    return STEP16.edges.index((parent, child))


def _numpy_canonical(joints, lengths):
    """The definition, one bone at a time in float64."""
    joints = joints.astype(np.float64)
    leg = np.mean(sum(np.linalg.norm(joints[:, :, b] - joints[:, :, a], axis=-1) for a, b in LEGS), axis=1) / 2.0  # (N,)
    leg_ref = sum(lengths[_edge(a, b)] for a, b in LEGS) / 2.0
    out = np.zeros_like(joints)
    out[:, :, 0] = joints[:, :, 0] * (leg_ref / leg)[:, None, None]
    for parent, child in TREE:
        bone = joints[:, :, child] - joints[:, :, parent]
        out[:, :, child] = out[:, :, parent] + lengths[_edge(parent, child)] * bone / np.linalg.norm(bone, axis=-1, keepdims=True)
    return out


def _retarget(joints, factors, scale):
    """The same bone directions with bone ``e`` ``scale * factors[e]`` times as long, the root path in the new leg lengths."""
    bones = {child: scale * factors[_edge(parent, child)] * (joints[:, :, child] - joints[:, :, parent]) for parent, child in TREE}
    leg = lambda vectors: np.mean(sum(np.linalg.norm(vectors[b], axis=-1) for _, b in LEGS), axis=1)  # noqa: E731
    original = {child: joints[:, :, child] - joints[:, :, parent] for parent, child in TREE}
    out = np.zeros_like(joints)
    out[:, :, 0] = joints[:, :, 0] * (leg(bones) / leg(original))[:, None, None]
    for parent, child in TREE:  # parents come first
        out[:, :, child] = out[:, :, parent] + bones[child]
    return out.astype(np.float32)


def test_canonical_skeleton_matches_a_numpy_bone_by_bone_calculation():
    joints = _gaits()
    lengths = np.random.default_rng(1).uniform(0.05, 0.5, len(STEP16.edges))
    for reference in (REFERENCE, lengths):
        layer = CanonicalSkeleton(reference_lengths=reference.tolist())
        np.testing.assert_allclose(layer(joints).numpy(), _numpy_canonical(joints, reference), atol=2e-5)


def test_canonical_skeleton_forgets_bone_lengths_and_body_size():
    joints = _gaits(seed=2)
    layer = CanonicalSkeleton()
    reference = layer(joints).numpy()
    rng = np.random.default_rng(3)
    # The whole walk scaled; every bone scaled by its own factor (and the whole body too).
    np.testing.assert_allclose(layer(joints * np.float32(1.3)).numpy(), reference, atol=1e-5)
    for scale in (0.8, 1.0, 1.25):
        changed = _retarget(joints, rng.uniform(0.6, 1.5, len(STEP16.edges)), scale)
        assert not np.allclose(changed, joints, atol=1e-2)
        np.testing.assert_allclose(layer(changed).numpy(), reference, atol=1e-5)


def test_canonical_skeleton_keeps_bone_directions_and_sets_reference_lengths():
    joints = generate_gaits(4, seed=5, num_frames=30).joints  # walks of bodies 1.5-1.9 m tall
    out = CanonicalSkeleton()(joints).numpy()
    for parent, child in TREE:
        before = joints[:, :, child] - joints[:, :, parent]
        after = out[:, :, child] - out[:, :, parent]
        np.testing.assert_allclose(np.linalg.norm(after, axis=-1), REFERENCE[_edge(parent, child)], rtol=1e-5)
        cosine = np.sum(before * after, axis=-1) / np.linalg.norm(before, axis=-1) / np.linalg.norm(after, axis=-1)
        np.testing.assert_allclose(cosine, 1.0, atol=1e-5)


def test_canonical_skeleton_survives_a_zero_length_bone():
    joints = _gaits(num_gaits=2)
    joints[0, :, 3] = joints[0, :, 2]  # the head on the neck in every frame
    joints[1, 4:9, 12] = joints[1, 4:9, 11]  # a foot on its knee in a few frames
    joints[1, :, :] = joints[1, :1, :]  # and a gait that stands still
    layer = CanonicalSkeleton()
    out = layer(joints).numpy()
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[0, :, 3], out[0, :, 2], atol=1e-6)  # no direction: the child stays on its parent
    import tensorflow as tf

    variable = tf.Variable(joints)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(layer(variable) ** 2)
    assert np.all(np.isfinite(tape.gradient(total, variable).numpy()))
    # A skeleton with no legs at all: the root is scaled by leg_ref / eps, large but finite.
    assert np.all(np.isfinite(layer(np.zeros((1, 5, 16, 3), np.float32)).numpy()))


def test_canonical_skeleton_layer_checks():
    # Shapes, get_config round trip (every argument in it), .keras round trip, LiteRT conversion against Keras.
    run_layer_test(CanonicalSkeleton, dict(layout="step16", reference_lengths=(REFERENCE * 1.1).tolist()),
                   (2, 6, 16, 3), (2, 6, 16, 3), run_training_step=False)


def test_canonical_skeleton_config_is_json_and_rejects_bad_lengths():
    layer = CanonicalSkeleton()
    config = json.loads(json.dumps(layer.get_config()))
    assert config["reference_lengths"] == REFERENCE.tolist()
    assert CanonicalSkeleton.from_config(config).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="15 non-negative lengths"):
        CanonicalSkeleton(reference_lengths=[0.3] * 14)
    with pytest.raises(ValueError, match="no default reference lengths"):
        CanonicalSkeleton(layout="h36m17")


def test_default_reference_is_a_170_m_body_of_winters_proportions():
    lengths = dict(zip(STEP16.edges, REFERENCE))
    assert lengths[(0, 1)] + lengths[(1, 2)] == pytest.approx(0.288 * 1.70)  # hips to neck, 0.49 m
    assert lengths[(10, 11)] + lengths[(11, 12)] == pytest.approx((0.245 + 0.246) * 1.70)  # thigh + shank
    assert lengths[(2, 4)] == lengths[(2, 7)] == pytest.approx(np.hypot(0.129, 0.02) * 1.70)  # neck to shoulder


def test_step_with_canonical_skeleton_saves_and_loads_with_identical_outputs(tmp_path):
    model = STEP(**SMALL, canonical_skeleton=True)
    gaits = _gaits(num_gaits=4)
    model.adapt_feature_scaling(gaits)
    assert model.get_layer("canonical_skeleton") is model.layers[1]  # the first layer after the input
    path = pathlib.Path(tmp_path) / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_config()["canonical_skeleton"] is True
    np.testing.assert_array_equal(loaded(gaits, training=False), model(gaits, training=False))
    # A rig with other bone lengths and a body of another size walking alike: the same answer.
    changed = _retarget(gaits, np.random.default_rng(4).uniform(0.7, 1.4, len(STEP16.edges)), 1.2)
    np.testing.assert_allclose(model(changed, training=False), model(gaits, training=False), atol=1e-4)


def test_step_configs_without_the_key_load_without_canonical_skeleton():
    config = STEP(**SMALL).get_config()
    assert config["canonical_skeleton"] is False  # off by default
    del config["canonical_skeleton"]
    rebuilt = STEP.from_config({**config, "heading_normalisation": True, "motion_input": True})
    assert rebuilt.get_config()["canonical_skeleton"] is False
    assert "canonical_skeleton" not in [layer.name for layer in rebuilt.layers]


def test_step_with_canonical_skeleton_checks_including_tflite():
    from tests.helpers import run_model_test

    model = STEP(**SMALL, canonical_skeleton=True)
    gaits = _gaits(num_gaits=4)
    model.adapt_feature_scaling(gaits)
    run_model_test(model, gaits, (4, 4), targets=np.array([0, 1, 2, 3]),
                   compile_kwargs=dict(optimizer="adam", loss="sparse_categorical_crossentropy"))


def test_run_configs_and_the_fit_flag_thread_canonical_skeleton_to_the_model(tmp_path):
    import dataclasses

    from step_tf.config import TrainConfig, resolve
    from step_tf.fit import parser
    from step_tf.training.loop import build_model

    assert TrainConfig().canonical_skeleton is False
    # A run configured before the option existed loads without it.
    old = dataclasses.asdict(resolve())
    del old["canonical_skeleton"]
    (tmp_path / "config.json").write_text(json.dumps(old))
    assert TrainConfig.load(tmp_path / "config.json").canonical_skeleton is False
    assert parser().parse_args(["--canonical-skeleton"]).canonical_skeleton is True
    assert parser().parse_args(["--no-canonical-skeleton"]).canonical_skeleton is False
    assert parser().parse_args([]).canonical_skeleton is None  # the recipe decides
    model = build_model(resolve(canonical_skeleton=True, channels=(8,), strides=(1,), temporal_kernel_size=3), 4)
    assert model.get_config()["canonical_skeleton"] is True and model.get_layer("canonical_skeleton")
