"""Training throughput (gaits/s) through ``model.fit`` and the tf.data pipeline, with and without XLA.

    python bench/train_speed.py [--models baseline_step,step,stepgen] [--batch-sizes 8,16,32,64,128]
                                [--kernel 75] [--strides 1,2,1] [--out bench/results/train_speed.json]

Each (model, batch size, XLA) runs ``fit`` for one untimed epoch (tracing and
compilation) and ``--repeats`` timed epochs of ``--steps`` steps on the embedded
gaits (``step_tf.data.datasets.gait_dataset``, shuffled, ``--augment`` adds the
default augmentation). The classifiers use the paper recipe's optimiser (Adam
with coupled L2); STEP-Gen uses ``step_tf.training.generator.build_generator``
and its full loss. Rates are also given as FLOPs per second over the measured
sgemm ceiling, both for the FLOPs executed and for the plain convolution's.
"""

from __future__ import annotations

import sys
import time

import keras

from common import arguments, check_repeats, machine, model_flops, print_table, set_temporal_implementation, sgemm_ceiling, summary, write_results
from step_tf.config import resolve
from step_tf.data.augment import default_augmentation
from step_tf.data.datasets import gait_dataset
from step_tf.data.sources import load_gaits
from step_tf.training.loop import build_model


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def build(name, batch_size, kernel, strides, gaits, jit_compile):
    """The compiled model (STEP-Gen with the paper's generator recipe, classifiers with the paper's)."""
    if name == "stepgen":
        from step_tf.data.preprocess import canonical_view
        from step_tf.training.generator import build_generator

        config = resolve("paper", model="stepgen", batch_size=batch_size, temporal_kernel_size=kernel)
        model = build_generator(config, gaits.num_classes, gaits.num_frames)
        model.adapt(canonical_view(gaits.joints[:512]))
        model.compile(optimizer=model.optimizer, jit_compile=jit_compile)
        return model
    config = resolve("paper", model=name, batch_size=batch_size, temporal_kernel_size=kernel, strides=strides)
    model = build_model(config, gaits.num_classes)
    if hasattr(model, "adapt_feature_scaling"):
        model.adapt_feature_scaling(gaits.joints[:512])
    model.compile(optimizer=model.optimizer, loss=model.loss, metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
                  jit_compile=jit_compile)
    return model


def main(argv=None) -> int:
    parser = arguments(__doc__.split("\n\n")[0], "train_speed.json")
    parser.add_argument("--models", default="baseline_step,step,stepgen")
    parser.add_argument("--batch-sizes", default="8,16,32,64,128")
    parser.add_argument("--xla", default="off,on", help="off, on or off,on")
    parser.add_argument("--kernel", type=int, default=75)
    parser.add_argument("--strides", default="1,2,1")
    parser.add_argument("--steps", type=int, default=0, help="steps per timed epoch (default: about 512 gaits)")
    parser.add_argument("--augment", action="store_true", help="include the default augmentation in the pipeline")
    args = parser.parse_args(argv)
    repeats = check_repeats(args.repeats)
    strides = tuple(int(part) for part in args.strides.split(","))
    gaits = load_gaits("embedded")
    ceiling = sgemm_ceiling(repeats)["gflops_median"]
    print(f"sgemm ceiling {ceiling:.1f} GFLOP/s", flush=True)

    rows = []
    for name in args.models.split(","):
        for jit in (value == "on" for value in args.xla.split(",")):
            for batch_size in (int(value) for value in args.batch_sizes.split(",")):
                row = {"model": name, "batch": batch_size, "xla": jit}
                try:
                    model = build(name, batch_size, args.kernel, strides, gaits, jit)
                except (ImportError, ValueError, TypeError) as error:
                    row["error"] = f"{type(error).__name__}: {error}"
                    print(row, flush=True)
                    rows.append(row)
                    continue
                joints = gaits.joints
                if name == "stepgen":
                    from step_tf.data.preprocess import canonical_view

                    joints = canonical_view(joints)
                    gaits_view = type(gaits)(joints, gaits.labels, gaits.label_names, gaits.groups, gaits.keys, gaits.source)
                else:
                    gaits_view = gaits
                dataset = gait_dataset(gaits_view, batch_size, shuffle=True,
                                       augmentation=default_augmentation() if args.augment else None).repeat()
                steps = args.steps or max(4, 512 // batch_size)
                timer = EpochTimer()
                model.fit(dataset, steps_per_epoch=steps, epochs=1 + repeats, callbacks=[timer], verbose=0)
                timing = summary(timer.seconds[1:])
                gaits_per_epoch = steps * batch_size
                row.update(gaits_per_s=gaits_per_epoch / timing["median"], gaits_per_s_min=gaits_per_epoch / timing["max"],
                           gaits_per_s_max=gaits_per_epoch / timing["min"], repeats=timing["repeats"], steps=steps)
                executed = model_flops(model, gaits.num_frames, gaits.joints.shape[2], training=True, batch_size=batch_size)
                set_temporal_implementation(model, "direct")
                plain = model_flops(model, gaits.num_frames, gaits.joints.shape[2], training=True, batch_size=batch_size)
                row["executed_fraction_of_ceiling"] = row["gaits_per_s"] * executed / 1e9 / ceiling
                row["useful_fraction_of_ceiling"] = row["gaits_per_s"] * plain / 1e9 / ceiling
                print({key: round(value, 3) if isinstance(value, float) else value for key, value in row.items()}, flush=True)
                rows.append(row)
                keras.backend.clear_session()

    print_table(rows, ["model", "batch", "xla", "gaits_per_s", "gaits_per_s_min", "gaits_per_s_max",
                       "executed_fraction_of_ceiling", "useful_fraction_of_ceiling", "error"])
    fastest = {}
    for row in rows:
        if "gaits_per_s" in row and row["gaits_per_s"] > fastest.get(row["model"], {}).get("gaits_per_s", 0):
            fastest[row["model"]] = row
    for name, row in fastest.items():
        print(f"fastest {name}: batch {row['batch']}, XLA {row['xla']}: {row['gaits_per_s']:.1f} gaits/s")
    write_results(args.out, {"machine": machine(), "command": " ".join(sys.argv), "sgemm_gflops": ceiling,
                             "kernel": args.kernel, "strides": args.strides, "rows": rows,
                             "fastest": {name: {"batch": row["batch"], "xla": row["xla"], "gaits_per_s": row["gaits_per_s"]}
                                         for name, row in fastest.items()}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
