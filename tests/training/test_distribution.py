"""Distributed training: two worker processes on loopback ports train what one process trains."""

import json
import os
import socket
import subprocess
import sys
import time
import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from step_tf.config import resolve
from step_tf.data.sources import load_gaits
from step_tf.models import classifiers  # noqa: F401  registers the model classes that load_model looks up
from step_tf.training.distribution import is_chief, make_strategy

# Tiny and deterministic: no augmentation, no dropout. 64 gaits give 40 training gaits, batches of 16, 16 and 8:
# every batch splits evenly over two workers, so the mean of the two halves' mean losses is the batch's mean loss.
# Positions only (--no-motion-input): the velocity channels' mean (the walking speed, all along +z after heading
# normalisation) is large against their spread, and the synchronized BatchNorm's E[x^2] - E[x]^2 loses float32
# digits there: with velocities the second epoch's losses differed by 1.3e-4 (measured), from that rounding alone.
TINY = ["--data", "embedded:64", "--epochs", "2", "--batch-size", "16", "--channels", "8,8", "--strides", "1,2",
        "--temporal-kernel-size", "3", "--no-augment", "--dropout-rate", "0", "--no-motion-input", "--verbose", "0"]
# The two runs round differently (float32 sums of two half-batch gradients, the synchronized BatchNorm's
# E[x^2] - E[x]^2): losses and probabilities agree to about 1e-5. Weights agree to about 1e-4, except where Adam
# magnifies rounding: a bias feeding a BatchNorm has a true gradient of zero, so its computed gradient is pure
# rounding noise, which Adam scales to a step of about the learning rate (2e-3, then 2e-4). Measured: largest
# weight difference 2.8e-3 (such biases), losses 4e-5, probabilities 1.2e-4.
LOSS_TOLERANCE = 1e-4
PROBABILITY_TOLERANCE = 1e-3
WEIGHT_TOLERANCE = 5e-3
TIMEOUT_SECONDS = 150


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for handle in sockets:
        handle.bind(("localhost", 0))
    ports = [handle.getsockname()[1] for handle in sockets]
    for handle in sockets:
        handle.close()
    return ports


def _start(run_dir, strategy, tf_config=None):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    environment.pop("TF_CONFIG", None)
    if tf_config is not None:
        environment["TF_CONFIG"] = json.dumps(tf_config)
    command = [sys.executable, "-m", "step_tf.fit", "--strategy", strategy, "--run-dir", str(run_dir), *TINY]
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait(processes, deadline):
    outputs = []
    try:
        for process in processes:
            output, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outputs.append(output)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return outputs




@pytest.mark.slow  # about 110 s: two worker processes and a single-process run (fast cover: the in-process test below)

def test_two_workers_train_the_weights_of_one_process_with_the_same_global_batch(tmp_path):
    cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
    workers = [_start(tmp_path / f"worker{index}", "multiworker", {"cluster": cluster, "task": {"type": "worker", "index": index}})
               for index in range(2)]
    single = _start(tmp_path / "single", "default")
    outputs = _wait([*workers, single], time.monotonic() + TIMEOUT_SECONDS)
    for process, output in zip([*workers, single], outputs):
        assert process.returncode == 0, output[-3000:]

    chief, single_dir = tmp_path / "worker0", tmp_path / "single"
    assert json.loads((chief / "config.json").read_text())["strategy"] == "multiworker"
    # Only the chief writes the run; the other worker's temporary directory is gone.
    assert not (tmp_path / "worker1").exists()
    assert (chief / "metrics.json").is_file()

    models = [keras.saving.load_model(run / "model.keras") for run in (chief, single_dir)]
    weights = [model.get_weights() for model in models]
    assert len(weights[0]) == len(weights[1])
    largest = max(float(np.max(np.abs(a - b))) for a, b in zip(*weights))
    gaits = load_gaits("embedded:64").joints
    probabilities = [keras.ops.softmax(model.predict(gaits, verbose=0)).numpy() for model in models]
    history = [np.genfromtxt(run / "history.csv", delimiter=",", names=True) for run in (chief, single_dir)]
    print(f"2 workers vs 1 process: largest weight difference {largest:.3g}, probabilities "
          f"{np.max(np.abs(probabilities[0] - probabilities[1])):.3g}, losses {np.max(np.abs(history[0]['loss'] - history[1]['loss'])):.3g}")
    assert len(history[0]) == 2
    np.testing.assert_allclose(history[0]["loss"], history[1]["loss"], rtol=0, atol=LOSS_TOLERANCE)
    np.testing.assert_allclose(history[0]["val_accuracy"], history[1]["val_accuracy"], rtol=0, atol=LOSS_TOLERANCE)
    np.testing.assert_allclose(probabilities[0], probabilities[1], rtol=0, atol=PROBABILITY_TOLERANCE)
    assert largest < WEIGHT_TOLERANCE


def test_the_chief_is_the_chief_task_or_worker_zero():
    def strategy(cluster, task_type, task_id):
        resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec(cluster), task_type=task_type, task_id=task_id)
        return types.SimpleNamespace(cluster_resolver=resolver)

    workers = {"worker": ["localhost:1", "localhost:2"]}
    assert is_chief(strategy(workers, "worker", 0))
    assert not is_chief(strategy(workers, "worker", 1))
    with_chief = {"chief": ["localhost:3"], **workers}
    assert is_chief(strategy(with_chief, "chief", 0))
    assert not is_chief(strategy(with_chief, "worker", 0))
    assert is_chief(tf.distribute.get_strategy())


def test_bad_strategies_are_clear_errors(monkeypatch):
    with pytest.raises(ValueError, match="strategy must be one of default, mirrored, multiworker"):
        resolve(strategy="parameter_server")
    with pytest.raises(ValueError, match="generators train on one device"):
        resolve(model="stepgen", strategy="mirrored")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs TF_CONFIG"):
        make_strategy("multiworker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        make_strategy("multiworker")


# Two replicas of MirroredStrategy on one machine without GPUs: the CPU split into two logical devices, which
# must happen before TensorFlow starts, hence a fresh process.
TWO_REPLICAS = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from step_tf.config import TrainConfig
from step_tf.training import loop
config = TrainConfig.from_dict(json.loads(sys.argv[2]))
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert strategy.num_replicas_in_sync == 2
loop.train(config, sys.argv[1], verbose=0, strategy=strategy)
"""


@pytest.mark.slow  # about 40 s: two processes (fast cover: the in-process test below)

def test_two_mirrored_replicas_train_what_one_device_trains(tmp_path):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    environment.pop("TF_CONFIG", None)
    config = resolve(data="embedded:64", epochs=2, batch_size=16, channels=(8, 8), strides=(1, 2), temporal_kernel_size=3,
                     augment=False, dropout_rate=0.0, motion_input=False, strategy="mirrored")  # what TINY says
    mirrored = subprocess.Popen([sys.executable, "-c", TWO_REPLICAS, str(tmp_path / "mirrored"), config.to_json()],
                                env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    single = _start(tmp_path / "single", "default")
    outputs = _wait([mirrored, single], time.monotonic() + TIMEOUT_SECONDS)
    for process, output in zip([mirrored, single], outputs):
        assert process.returncode == 0, output[-3000:]

    runs = [tmp_path / "mirrored", tmp_path / "single"]
    assert json.loads((runs[0] / "config.json").read_text())["strategy"] == "mirrored"
    gaits = load_gaits("embedded:64").joints
    probabilities = [keras.ops.softmax(keras.saving.load_model(run / "model.keras").predict(gaits, verbose=0)).numpy() for run in runs]
    history = [np.genfromtxt(run / "history.csv", delimiter=",", names=True) for run in runs]
    assert len(history[0]) == 2
    np.testing.assert_allclose(history[0]["loss"], history[1]["loss"], rtol=0, atol=LOSS_TOLERANCE)
    np.testing.assert_allclose(probabilities[0], probabilities[1], rtol=0, atol=PROBABILITY_TOLERANCE)


def test_a_run_trains_inside_a_strategys_scope(tmp_path):
    """The fast cover of the tests above: build, compile, feature scaling and fit in a one-replica MirroredStrategy."""
    from step_tf.training import loop

    config = resolve(data="embedded:48", epochs=1, batch_size=16, channels=(4,), strides=(1,), temporal_kernel_size=3,
                     augment=False, strategy="mirrored")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    metrics = loop.train(config, tmp_path / "run", verbose=0, strategy=strategy)
    assert metrics["epochs"] == 1 and json.loads((tmp_path / "run" / "config.json").read_text())["strategy"] == "mirrored"
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert model.feature_scaling_adapted and model.compiled
