"""The compute ceiling: float32 sgemm GFLOP/s measured now, and FLOPs per gait of each model counted from its graph.

    python bench/ceiling.py [--kernel 75] [--strides 1,2,1] [--out bench/results/ceiling.json]

For each classifier it counts FLOPs per gait of inference and of one training
step (forward and backward) twice: as executed (the temporal convolutions
through ``step_tf.layers.temporal_fast`` where it applies) and with the plain
padded convolution (the "useful" count every throughput is also reported
against). One ST-GCN block's count is checked against the analytic formula.
The caps are the ceiling divided by the FLOPs (inference at batch 256, training
at batch 8): the gaits/s that executing those FLOPs at the sgemm rate would allow.
"""

from __future__ import annotations

import sys

import keras

from common import arguments, check_repeats, machine, model_flops, print_table, set_temporal_implementation, sgemm_ceiling, write_results
from step_tf.graph import adjacency
from step_tf.layers import STGCNBlock
from step_tf.layers.temporal_fast import direct_multiply_adds, spectral_is_faster, spectral_multiply_adds, spectral_plan
from step_tf.models.classifiers import MODELS

NUM_FRAMES, NUM_JOINTS = 75, 16


def analytic_block_flops(frames, in_channels, filters, kernel_size, stride, transform: bool) -> int:
    """FLOPs of one ST-GCN block without residual on one gait (layer-by-layer formula)."""
    partitions = adjacency("step16", "spatial", 1).shape[0]
    pointwise = 2 * frames * NUM_JOINTS * in_channels * partitions * filters
    aggregation = 2 * frames * NUM_JOINTS * NUM_JOINTS * partitions * filters
    if transform:
        kernel_transform = 2 * (2 * spectral_plan(frames, kernel_size, stride).frequencies) * kernel_size * filters * filters
        temporal = 2 * NUM_JOINTS * spectral_multiply_adds(frames, kernel_size, stride, filters, filters) + kernel_transform
    else:
        temporal = 2 * NUM_JOINTS * direct_multiply_adds(frames, kernel_size, stride, filters, filters)
    return pointwise + aggregation + temporal


def check_one_block(kernel_size: int) -> list[dict]:
    rows = []
    for implementation in ("auto", "direct"):
        block = STGCNBlock(32, temporal_kernel_size=kernel_size, stride=1, residual=False)
        inputs = keras.Input(batch_shape=(1, NUM_FRAMES, NUM_JOINTS, 3))
        model = keras.Model(inputs, block(inputs))
        set_temporal_implementation(model, implementation)
        counted = model_flops(model, NUM_FRAMES, NUM_JOINTS)
        transform = implementation == "auto" and spectral_is_faster(NUM_FRAMES, kernel_size, 1, 32, 32)
        analytic = analytic_block_flops(NUM_FRAMES, 3, 32, kernel_size, 1, transform)
        rows.append({"block": f"STGCNBlock(3->32, K={kernel_size}), {implementation}", "counted": counted, "analytic": analytic,
                     "equal": counted == analytic})
    return rows


def main(argv=None) -> int:
    parser = arguments(__doc__.split("\n\n")[0], "ceiling.json")
    parser.add_argument("--kernel", type=int, default=75, help="temporal kernel size (public code 75)")
    parser.add_argument("--strides", default="1,2,1", help="block strides (public code 1,2,1; paper recipe 1,2,2)")
    args = parser.parse_args(argv)
    repeats = check_repeats(args.repeats)
    strides = tuple(int(part) for part in args.strides.split(","))

    ceiling = sgemm_ceiling(repeats)
    print(f"sgemm ceiling: {ceiling['gflops_median']:.1f} GFLOP/s median (min {ceiling['gflops_min']:.1f}, "
          f"max {ceiling['gflops_max']:.1f}) at {ceiling['size']}^3 through {ceiling['route']}")
    rows = []
    for name, model_class in MODELS.items():
        if name not in ("baseline_step", "step"):
            continue
        model = model_class(temporal_kernel_size=args.kernel, strides=strides)
        row = {"model": name, "kernel": args.kernel, "strides": args.strides}
        for implementation, label in (("auto", "executed"), ("direct", "plain")):
            set_temporal_implementation(model, implementation)
            row[f"forward_gflops_{label}"] = model_flops(model, NUM_FRAMES, NUM_JOINTS) / 1e9
            # The kernels' transforms are per batch: at batch 256 they are spread over the gaits.
            row[f"forward_b256_gflops_{label}"] = model_flops(model, NUM_FRAMES, NUM_JOINTS, batch_size=256) / 1e9
            row[f"train_gflops_{label}"] = model_flops(model, NUM_FRAMES, NUM_JOINTS, training=True, batch_size=8) / 1e9
        row["inference_cap_gaits_per_s"] = ceiling["gflops_median"] / row["forward_b256_gflops_executed"]
        row["inference_cap_plain_gaits_per_s"] = ceiling["gflops_median"] / row["forward_b256_gflops_plain"]
        row["train_cap_gaits_per_s"] = ceiling["gflops_median"] / row["train_gflops_executed"]
        row["train_cap_plain_gaits_per_s"] = ceiling["gflops_median"] / row["train_gflops_plain"]
        rows.append(row)
    print_table(rows, ["model", "forward_gflops_plain", "forward_gflops_executed", "forward_b256_gflops_executed", "train_gflops_plain", "train_gflops_executed",
                       "inference_cap_plain_gaits_per_s", "inference_cap_gaits_per_s", "train_cap_plain_gaits_per_s", "train_cap_gaits_per_s"])
    blocks = check_one_block(args.kernel)
    print_table(blocks, ["block", "counted", "analytic", "equal"])
    write_results(args.out, {"machine": machine(), "command": " ".join(sys.argv), "sgemm": ceiling, "models": rows, "block_check": blocks})
    return 0 if all(block["equal"] for block in blocks) else 1


if __name__ == "__main__":
    sys.exit(main())
