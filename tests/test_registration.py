"""``import step_tf`` is all a fresh process needs to load a step_tf model with ``keras.saving.load_model``."""

import os
import pathlib
import subprocess
import sys

import numpy as np

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]


def run_python(code: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
                   "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=300)


def test_import_step_tf_alone_loads_a_saved_step_model(tmp_path):
    import keras

    from step_tf.models.classifiers import STEP
    from step_tf.models.optimizers import AdamL2

    model = STEP(num_classes=4, channels=(8, 8), strides=(1, 2))
    gaits = np.random.default_rng(0).normal(0.0, 0.3, (2, 75, 16, 3)).astype(np.float32)
    model.adapt_feature_scaling(gaits)
    model.compile(optimizer=AdamL2(learning_rate=1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(gaits, np.zeros(2, np.int32), epochs=1, verbose=0)
    path = tmp_path / "best.keras"
    model.save(path)

    loaded = run_python(
        "import step_tf, keras\n"
        f"model = keras.saving.load_model({str(path)!r})\n"
        "print(type(model).__name__, type(model.optimizer).__name__, model.output_shape[-1])\n"
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split() == ["STEP", "AdamL2", "4"]


def test_import_step_tf_is_cheap():
    # Registration is lazy: the CLIs can answer --help without TensorFlow.
    imported = run_python("import sys, step_tf\nprint(sorted({'tensorflow', 'keras', 'step_tf.models'} & set(sys.modules)))")
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert imported.stdout.strip() == "[]"
