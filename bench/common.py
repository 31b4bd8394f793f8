"""Shared pieces of the benchmark scripts: timing statistics, the sgemm ceiling, FLOPs counted from a graph, output.

Every script warms up first, repeats at least five times and reports medians with
minimum and maximum. FLOPs count multiply-adds as two and cover the matrix-like
ops (MatMul, BatchMatMul, Conv2D and its gradients, Einsum); element-wise ops
(BatchNorm, ReLU, additions) are left out, as in the usual layer-by-layer counts.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
MIN_REPEATS = 5


def arguments(description: str, default_out: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS / default_out, help="JSON file to write")
    parser.add_argument("--repeats", type=int, default=MIN_REPEATS, help=f"timed repeats (at least {MIN_REPEATS})")
    return parser


def check_repeats(repeats: int) -> int:
    if repeats < MIN_REPEATS:
        raise SystemExit(f"--repeats must be at least {MIN_REPEATS}, got {repeats}")
    return repeats


def summary(seconds) -> dict:
    """Median, minimum and maximum of a list of durations, and how many."""
    seconds = [float(value) for value in seconds]
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds), "repeats": len(seconds)}


def time_calls(function, repeats: int, warmup: int = 1) -> dict:
    """``summary`` of the wall time of ``function()`` over ``repeats`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        function()
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        durations.append(time.perf_counter() - started)
    return summary(durations)


def sgemm_ceiling(repeats: int, sizes=(2048, 4096)) -> dict:
    """float32 matrix-multiply GFLOP/s: the best median over sizes and routes, with that row's min/max.

    Three routes multiply the same square matrices: TensorFlow's ``MatMul``,
    NumPy's BLAS, and a 1x1 ``Conv2D`` (a matrix product that TensorFlow hands to
    oneDNN, the library its convolutions run on). They differ by up to 2x on one
    CPU, and a ceiling below what the models' own convolutions reach would
    overstate every fraction.
    """
    best = None
    for size in sizes:
        a = tf.random.normal((size, size))
        b = tf.random.normal((size, size))
        a_numpy, b_numpy = a.numpy(), b.numpy()
        image = tf.reshape(a, (1, size, 1, size))  # size pixels of size channels
        filters = tf.reshape(b, (1, 1, size, size))
        routes = {
            "tf.matmul": tf.function(lambda: tf.reduce_sum(tf.matmul(a, b))),
            "numpy": lambda: a_numpy @ b_numpy,
            "conv2d_1x1": tf.function(lambda: tf.reduce_sum(tf.nn.conv2d(image, filters, 1, "VALID"))),
        }
        for route, function in routes.items():
            timing = time_calls(lambda: np.asarray(function()), repeats, warmup=2)
            flops = 2.0 * size**3
            row = {
                "size": size,
                "route": route,
                "gflops_median": flops / timing["median"] / 1e9,
                "gflops_max": flops / timing["min"] / 1e9,
                "gflops_min": flops / timing["max"] / 1e9,
            }
            if best is None or row["gflops_median"] > best["gflops_median"]:
                best = row
    return best


def _shape(tensor):
    return [int(dim) if dim is not None else None for dim in tensor.shape]


def _op_flops(op) -> int:
    """Two times the multiply-adds of one graph op (0 for ops that are not matrix-like)."""
    kind = op.type
    if kind == "MatMul":
        a, b = _shape(op.inputs[0]), _shape(op.inputs[1])
        rows = a[1] if op.get_attr("transpose_a") else a[0]
        inner = a[0] if op.get_attr("transpose_a") else a[1]
        cols = b[0] if op.get_attr("transpose_b") else b[1]
        return 2 * rows * inner * cols
    if kind in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"):
        out = _shape(op.outputs[0])
        a = _shape(op.inputs[0])
        inner = a[-2] if op.get_attr("adj_x") else a[-1]
        return 2 * int(np.prod(out)) * inner
    if kind in ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"):
        filter_shape = _shape(op.outputs[0]) if kind == "Conv2DBackpropFilter" else _shape(op.inputs[1])
        out = _shape(op.inputs[2]) if kind != "Conv2D" else _shape(op.outputs[0])
        return 2 * int(np.prod(out)) * filter_shape[0] * filter_shape[1] * filter_shape[2]
    if kind == "Einsum":
        equation = op.get_attr("equation").decode()
        inputs = equation.split("->")[0].split(",")
        sizes = {}
        for letters, tensor in zip(inputs, op.inputs):
            for letter, size in zip(letters, _shape(tensor)):
                sizes[letter] = size
        return 2 * int(np.prod([sizes[letter] for letter in sizes]))
    return 0


def graph_flops(concrete_function) -> int:
    """FLOPs of a concrete function's graph and of the function bodies it calls (shapes must be static)."""
    total = 0
    graphs = [concrete_function.graph]
    seen = set()
    while graphs:
        graph = graphs.pop()
        for op in graph.get_operations():
            total += _op_flops(op)
            for attr in ("f", "then_branch", "else_branch", "body", "cond"):
                try:
                    name = op.get_attr(attr).name
                except (ValueError, AttributeError):
                    continue
                function = graph._get_function(name)  # noqa: SLF001 -- nested bodies of the traced graph
                if function is not None and name not in seen:
                    seen.add(name)
                    graphs.append(function.graph)
    return total


def model_flops(model, num_frames: int, num_joints: int, training: bool = False, batch_size: int = 1) -> float:
    """FLOPs per gait of ``model`` on ``(batch_size, num_frames, num_joints, 3)``, counted from its traced graph.

    ``training=True`` counts a forward and backward pass (gradients of every
    trainable variable). STEP-Gen (a model with ``loss_terms``) takes labels too
    and is counted through its full training loss, push and pull terms included.
    """
    joints_spec = tf.TensorSpec((batch_size, num_frames, num_joints, 3), tf.float32)
    labels_spec = tf.TensorSpec((batch_size,), tf.int32)
    generator = hasattr(model, "loss_terms")

    def forward(joints, labels):
        if generator:
            return model.loss_terms(joints, labels, training=training)["loss"]
        return tf.reduce_sum(model(joints, training=training))

    @tf.function
    def step(joints, labels):
        if not training:
            return forward(joints, labels)
        with tf.GradientTape() as tape:
            loss = forward(joints, labels)
        return tape.gradient(loss, model.trainable_variables)

    return graph_flops(step.get_concrete_function(joints_spec, labels_spec)) / batch_size


def set_temporal_implementation(model, implementation: str) -> None:
    """Sets every temporal (de)convolution of ``model`` to ``"auto"`` or ``"direct"`` (retrace afterwards)."""
    from step_tf.layers import TemporalConvolution, TemporalDeconvolution

    for layer in model._flatten_layers():  # noqa: SLF001 -- Keras's own walk over nested layers
        if isinstance(layer, (TemporalConvolution, TemporalDeconvolution)):
            layer.implementation = implementation
    model.predict_function = None  # predict() would reuse the graph traced before the switch


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_1min": load,
        "tensorflow": tf.__version__,
        "python": platform.python_version(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
    }


def print_table(rows: list[dict], columns: list[str]) -> None:
    def cell(value):
        if isinstance(value, float):
            return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
        return "" if value is None else str(value)

    widths = {column: max(len(column), *(len(cell(row.get(column))) for row in rows)) for column in columns}
    print("  ".join(column.ljust(widths[column]) for column in columns))
    for row in rows:
        print("  ".join(cell(row.get(column)).ljust(widths[column]) for column in columns))


def write_results(path: pathlib.Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
