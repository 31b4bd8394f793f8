"""The classifier shipped with the package: licence-clean, small, used when no model is named, and what its card says."""

import json

import numpy as np
import pytest

from step_tf import pretrained
from step_tf.data.gaits import EMOTIONS

MAX_BYTES = 5 * 1024 * 1024  # "a few MB at most"


@pytest.fixture(scope="module")
def model():
    import step_tf.models  # noqa: F401  (registers the custom layers)
    from step_tf.runs import load_keras_model

    return load_keras_model(pretrained.default_run() / "best.keras")


def test_shipped_run_is_small_and_trained_on_the_embedded_set_only():
    run = pretrained.default_run()
    assert (run / "best.keras").stat().st_size < MAX_BYTES
    config = json.loads((run / "config.json").read_text())
    # Licence-clean: no weights trained on CC BY-NC data (the Bandai walks) or other real data ship.
    assert config["data"].split(":")[0] == "embedded"
    assert config["generated"] is None
    assert pretrained.MODEL_CARD.is_file()


def test_shipped_model_classifies_four_emotions(model):
    assert model.output_shape[-1] == len(EMOTIONS)
    assert model.input_shape[1:] == (None, 16, 3)


def test_shipped_model_meets_its_card_on_the_real_walks(model, bandai_dir):
    # The model card's sim-to-real figure (bench/sim_to_real.py) must stay true of the file that ships.
    import keras

    from step_tf.data.bandai import read_bandai_walks
    from step_tf.evaluation.metrics import classification_report

    walks = read_bandai_walks(bandai_dir)
    predicted = np.argmax(keras.ops.convert_to_numpy(model.predict(walks.joints, batch_size=256, verbose=0)), axis=1)
    report = classification_report(walks.labels, predicted, walks.label_names)
    assert report["balanced_accuracy"] >= 0.70
    assert set(predicted.tolist()) == set(range(len(EMOTIONS)))  # every class is predicted


def test_predict_uses_the_shipped_model_and_exports_it_once(tmp_path, monkeypatch, capsys):
    from step_tf import predict
    from step_tf.data.synthetic import generate_gaits
    from step_tf.serving.versions import list_versions

    monkeypatch.setenv("STEP_TF_CACHE", str(tmp_path / "cache"))
    gaits = generate_gaits(num_gaits=3, seed=4)
    np.savez(tmp_path / "gaits.npz", joints=gaits.joints, keys=gaits.keys)
    for _ in range(2):
        assert predict.main(["--input", str(tmp_path / "gaits.npz")]) == 0
        rows = json.loads(capsys.readouterr().out)["predictions"]
        assert [row["key"] for row in rows] == list(gaits.keys)
    bases = list((tmp_path / "cache").glob("step_embedded-*/step_embedded"))
    assert len(bases) == 1 and list_versions(bases[0]) == [1]  # the second call reused the export


def test_video_and_serve_default_to_the_shipped_model():
    from step_tf import serve, video

    assert video.analyse_parser().parse_args(["clip.mp4"]).model is None
    assert serve.parser().parse_args([]).model_base_path is None
    from step_tf.pose.classifier import load_classifier

    classifier = load_classifier(pretrained.default_run())
    assert tuple(classifier.label_names) == EMOTIONS
