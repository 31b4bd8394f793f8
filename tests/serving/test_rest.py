"""TensorFlow Serving's JSON formats and the version table, in-process (no HTTP)."""

import json

import keras
import numpy as np
import pytest

from step_tf.serving import rest
from step_tf.serving.servable import RequestError, Servable
from step_tf.serving.server import VersionTable
from step_tf.serving.signatures import export_saved_model
from step_tf.serving.versions import publish

from .conftest import MODEL_NAME


@pytest.fixture(scope="module")
def servable(version_dir):
    return Servable.load(version_dir, 1)


def _answer(servable, request):
    signature, inputs, row_format = rest.parse_predict_request(json.dumps(request).encode(), servable)
    return json.loads(json.dumps(rest.predict_response(servable.predict(signature, inputs), row_format)))


def test_row_and_columnar_formats_give_the_same_numbers(servable, test_split, keras_probabilities):
    joints = test_split.joints[:3]
    rows = _answer(servable, {"instances": joints.tolist()})["predictions"]
    named_rows = _answer(servable, {"instances": [{"joints": gait} for gait in joints.tolist()]})["predictions"]
    columns = _answer(servable, {"inputs": joints.tolist()})["outputs"]
    named_columns = _answer(servable, {"signature_name": "serving_default", "inputs": {"joints": joints.tolist()}})["outputs"]
    assert rows == named_rows and columns == named_columns
    assert [row["probabilities"] for row in rows] == columns["probabilities"]
    np.testing.assert_allclose(columns["probabilities"], keras_probabilities[:3], atol=1e-4)
    expected_ids = keras_probabilities[:3].argmax(axis=1).tolist()
    assert columns["class_ids"] == [row["class_ids"] for row in rows] == expected_ids
    assert columns["class_names"] == [test_split.label_names[i] for i in expected_ids]


def test_any_frames_signature_takes_other_frame_counts(servable, test_split):
    answer = _answer(servable, {"signature_name": "serve_any_frames", "inputs": {"joints": test_split.joints[:2, :40].tolist()}})
    assert np.asarray(answer["outputs"]["probabilities"]).shape == (2, 4)
    with pytest.raises(RequestError, match="at least 15 frames"):
        _answer(servable, {"signature_name": "serve_any_frames", "instances": test_split.joints[:1, :14].tolist()})


GAIT = np.zeros((75, 16, 3)).tolist()


@pytest.mark.parametrize("body, message", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"instances": []}', "is empty"),
    (b'{"instances": [[1, 2, 3]]}', "must have shape [-1, 75, 16, 3], got [1, 3]"),
    (json.dumps({"instances": [GAIT, GAIT[:10]]}).encode(), "ragged"),
    (json.dumps({"instances": [[[["a", 1, 2]] * 16] * 75]}).encode(), "expected numbers"),
    (json.dumps({"inputs": [[[[True] * 3] * 16] * 75]}).encode(), "expected numbers"),
    (json.dumps({"instances": [GAIT]}).replace("0.0", "NaN", 1).encode(), "NaN or infinite"),
    (json.dumps({"instances": [GAIT]}).replace("0.0", "1e39", 1).encode(), "NaN or infinite"),
    (json.dumps({"instances": [GAIT], "inputs": [GAIT]}).encode(), "exactly one of"),
    (json.dumps({"instances": [{"points": GAIT}]}).encode(), "expected ['joints']"),
    (json.dumps({"signature_name": "nope", "instances": [GAIT]}).encode(), 'signature name: "nope" not found'),
])
def test_bad_requests_are_400_with_a_clear_message(servable, body, message):
    with pytest.raises(RequestError) as caught:
        signature, inputs, _ = rest.parse_predict_request(body, servable)
        servable.predict(signature, inputs)
    assert caught.value.status == 400 and message in str(caught.value), str(caught.value)


def test_new_versions_are_picked_up_and_a_held_version_keeps_answering(exported, run_dir, tmp_path, test_split):
    import shutil

    base = tmp_path / MODEL_NAME
    shutil.copytree(exported[0], base)
    table = VersionTable(MODEL_NAME, base, num_versions=1)
    table.refresh()
    in_flight = table.get(MODEL_NAME)  # what a request that started now holds
    model = keras.saving.load_model(run_dir / "best.keras")
    assert publish(base, lambda folder: export_saved_model(model, ("w", "x", "y", "z"), folder)) == 2
    table.refresh()
    assert sorted(table.servables) == [2] and table.get(MODEL_NAME).version == 2
    joints = {"joints": test_split.joints[:2]}
    assert set(table.get(MODEL_NAME).predict("serving_default", joints)["class_names"]) <= {b"w", b"x", b"y", b"z"}
    old = in_flight.predict("serving_default", joints)["class_names"]  # the old version still answers
    assert {name.decode() for name in old} <= set(test_split.label_names)
    with pytest.raises(RequestError) as caught:
        table.get(MODEL_NAME, 1)
    assert caught.value.status == 404
    with pytest.raises(RequestError) as caught:
        table.get("other")
    assert caught.value.status == 404
