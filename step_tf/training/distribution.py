"""Training on several devices or machines with ``tf.distribute``: the strategy, the chief, input sharding.

Strategies (``TrainConfig.strategy``):

* ``default``: one device, TensorFlow's default strategy (the path of a plain run);
* ``mirrored``: ``tf.distribute.MirroredStrategy``, every GPU of this machine;
* ``multiworker``: ``tf.distribute.MultiWorkerMirroredStrategy``, one process per
  machine, the cluster and this process's place in it read from ``TF_CONFIG``.

``TrainConfig.batch_size`` is the *global* batch: each of R replicas gets
``batch_size / R`` gaits of every batch, and Keras scales each replica's mean loss
by ``1 / R`` before the gradients are summed, so a step equals one device's step on
the whole batch (exactly when the replicas' shares are equal). Every worker reads
the same tensors, so the input is sharded by element (``AutoShardPolicy.DATA``),
not by file. Only the chief writes the run directory; the other workers write the
same files to a temporary directory that is deleted when they finish.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import tempfile

import tensorflow as tf


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy called ``name``; create it before any other TensorFlow work."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("strategy 'multiworker' needs TF_CONFIG, the cluster description (see the README)")
        try:
            json.loads(os.environ["TF_CONFIG"])
        except json.JSONDecodeError as error:
            raise ValueError(f"TF_CONFIG is not valid JSON ({error})") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; expected default, mirrored or multiworker")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run: the ``chief`` task, or worker 0 of a cluster without one."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return True
    if resolver.task_type == "chief":
        return True
    return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


@contextlib.contextmanager
def worker_run_directory(run_dir: str | os.PathLike, strategy: tf.distribute.Strategy):
    """Yields where this process writes its run: ``run_dir`` for the chief, a temporary directory (deleted after) otherwise."""
    if is_chief(strategy):
        yield pathlib.Path(run_dir)
        return
    temporary = pathlib.Path(tempfile.mkdtemp(prefix="step_tf-worker-"))
    try:
        yield temporary / "run"
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def shard_by_element(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` sharded across workers by element: it comes from in-memory tensors, not files."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def prepare_keras_fit(model, strategy: tf.distribute.Strategy, sample_batch) -> None:
    """Makes Keras ``fit`` and ``evaluate`` under a distribution strategy train what one device trains.

    Does nothing under the default strategy. Otherwise (Keras 3.15, keras-team/keras#20585):

    * ``fit`` and ``evaluate`` build the model from a first batch drawn from the
      distributed dataset and averaged across replicas with ``strategy.reduce``. That
      draw starts an extra pass over the reshuffling training dataset (so the epochs
      see other orders than on one device), and the average fails for a nested batch
      under MultiWorkerMirroredStrategy. The build needs only shapes, so it is given a
      local ``sample_batch`` ``(joints (B, T, V, 3), labels (B,))``.
    * Under MultiWorkerMirroredStrategy the per-replica metric values (scalars) are
      averaged with ``strategy.reduce("MEAN", value, axis=0)``, which needs an axis:
      they are returned with shape ``(1,)`` and so reduced to the mean over replicas
      (the global value when the replicas' shares are equal, as in every full batch).
    """
    if not isinstance(strategy, (tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy)):
        return

    def build_from_sample(iterator=None, data_batch=None):
        with strategy.scope():
            model._symbolic_build(data_batch=sample_batch)

    model._maybe_symbolic_build = build_from_sample
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return
    compute_metrics = model.compute_metrics

    def metrics_with_an_axis(*args, **kwargs):
        return {name: tf.reshape(value, (1,)) for name, value in compute_metrics(*args, **kwargs).items()}

    model.compute_metrics = metrics_with_an_axis
