"""Inference speed: batch-1 latency (p50, p99) and batch-256 throughput across Keras, tf.function, SavedModel and TFLite.

    python bench/inference.py [--models baseline_step,step] [--kernel 75] [--strides 1,2,1]
                              [--latency-calls 200] [--threads 0] [--out bench/results/inference.json]

Runtimes: Keras ``predict``; ``tf.function`` of the model (plain and XLA
``jit_compile``); the exported SavedModel's ``serving_default`` (through
``step_tf.serving.signatures.export_saved_model``, so softmax, arg-max and names
included); TFLite float32, float16 and int8 (dynamic range) through LiteRT
(``step_tf.serving.tflite``). Latency: ``--latency-calls`` single-gait calls
after a warm-up, percentiles over all calls. Throughput: ``--repeats`` calls of
256 gaits, median and min/max. The Keras and tf.function rows are also run with
the plain padded convolution, to show what the transform evaluation gains.
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf

from common import arguments, check_repeats, machine, model_flops, print_table, set_temporal_implementation, sgemm_ceiling, time_calls, write_results
from step_tf.data.gaits import EMOTIONS
from step_tf.data.sources import load_gaits
from step_tf.models.classifiers import MODELS
from step_tf.serving import tflite
from step_tf.serving.signatures import DEFAULT_SIGNATURE, INPUT_NAME, export_saved_model


def latency(function, joints, calls):
    function(joints[:1])
    durations = []
    for index in range(calls):
        gait = joints[index % len(joints)][None]
        started = time.perf_counter()
        function(gait)
        durations.append(time.perf_counter() - started)
    milliseconds = np.asarray(durations) * 1e3
    return {"p50_ms": float(np.percentile(milliseconds, 50)), "p99_ms": float(np.percentile(milliseconds, 99)),
            "min_ms": float(milliseconds.min()), "max_ms": float(milliseconds.max()), "calls": calls}


def throughput(function, joints, repeats):
    timing = time_calls(lambda: function(joints), repeats)
    return {"gaits_per_s": len(joints) / timing["median"], "gaits_per_s_min": len(joints) / timing["max"],
            "gaits_per_s_max": len(joints) / timing["min"]}


def runtimes(model, directory: pathlib.Path, threads: int):
    """(name, function(joints) -> outputs) of every runtime, the TFLite ones converted from one SavedModel."""
    compiled = tf.function(lambda joints: model(joints, training=False))
    compiled_xla = tf.function(lambda joints: model(joints, training=False), jit_compile=True)
    yield "keras_predict", lambda joints: model.predict(joints, batch_size=len(joints), verbose=0)
    yield "tf_function", lambda joints: compiled(tf.constant(joints)).numpy()
    yield "tf_function_xla", lambda joints: compiled_xla(tf.constant(joints)).numpy()
    saved_model = directory / "saved_model"
    export_saved_model(model, EMOTIONS[: model.output_shape[-1]], saved_model)
    serving = tf.saved_model.load(str(saved_model)).signatures[DEFAULT_SIGNATURE]
    yield "saved_model", lambda joints: serving(**{INPUT_NAME: tf.constant(joints)})["probabilities"].numpy()
    for quantization in tflite.QUANTIZATIONS:
        path = directory / tflite.tflite_name(quantization)
        path.write_bytes(tflite.convert(saved_model, quantization))
        runner = tflite.LiteRunner(path, num_threads=threads)
        yield f"tflite_{quantization}", lambda joints, runner=runner: runner.predict(joints)["probabilities"]


def main(argv=None) -> int:
    parser = arguments(__doc__.split("\n\n")[0], "inference.json")
    parser.add_argument("--models", default="baseline_step,step")
    parser.add_argument("--kernel", type=int, default=75)
    parser.add_argument("--strides", default="1,2,1")
    parser.add_argument("--latency-calls", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=0, help="LiteRT threads (0: all cores)")
    args = parser.parse_args(argv)
    repeats = check_repeats(args.repeats)
    strides = tuple(int(part) for part in args.strides.split(","))
    threads = args.threads or os.cpu_count()
    gaits = load_gaits("embedded")
    joints = gaits.joints[: args.batch]
    ceiling = sgemm_ceiling(repeats)["gflops_median"]
    print(f"sgemm ceiling {ceiling:.1f} GFLOP/s", flush=True)

    rows = []
    for name in args.models.split(","):
        model = MODELS[name](num_classes=gaits.num_classes, temporal_kernel_size=args.kernel, strides=strides)
        if hasattr(model, "adapt_feature_scaling"):
            model.adapt_feature_scaling(gaits.joints[:512])
        num_frames, num_joints = joints.shape[1], joints.shape[2]
        executed = model_flops(model, num_frames, num_joints, batch_size=args.batch)
        set_temporal_implementation(model, "direct")
        plain = model_flops(model, num_frames, num_joints, batch_size=args.batch)
        reference = None
        for implementation in ("direct", "auto"):
            set_temporal_implementation(model, implementation)
            with tempfile.TemporaryDirectory() as directory:
                for runtime, function in runtimes(model, pathlib.Path(directory), threads):
                    if implementation == "direct" and not runtime.startswith(("keras", "tf_function")):
                        continue
                    outputs = np.asarray(function(joints))
                    if runtime == "tf_function" and implementation == "direct":
                        reference = outputs
                    row = {"model": name, "runtime": runtime, "temporal": "plain" if implementation == "direct" else "transform",
                           **latency(function, joints, args.latency_calls), **throughput(function, joints, repeats)}
                    if runtime.startswith(("keras", "tf_function")) and reference is not None:
                        row["max_abs_diff_vs_plain"] = float(np.abs(outputs - reference).max())
                    flops = plain if implementation == "direct" else executed
                    row["executed_fraction_of_ceiling"] = row["gaits_per_s"] * flops / 1e9 / ceiling
                    row["useful_fraction_of_ceiling"] = row["gaits_per_s"] * plain / 1e9 / ceiling
                    print({key: round(value, 4) if isinstance(value, float) else value for key, value in row.items()}, flush=True)
                    rows.append(row)
    print_table(rows, ["model", "runtime", "temporal", "p50_ms", "p99_ms", "gaits_per_s", "gaits_per_s_min", "gaits_per_s_max",
                       "executed_fraction_of_ceiling", "useful_fraction_of_ceiling", "max_abs_diff_vs_plain"])
    write_results(args.out, {"machine": machine(), "command": " ".join(sys.argv), "sgemm_gflops": ceiling, "batch": args.batch,
                             "kernel": args.kernel, "strides": args.strides, "threads": threads, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
