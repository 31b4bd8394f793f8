"""ExampleGen on Apache Beam: gaits to sharded TFRecord files of ``tf.train.Example``, their statistics and schema.

``write_examples(gait_set, out_dir, num_shards, beam_arguments)`` runs one Beam
pipeline (the DirectRunner here; Dataflow, Flink or Spark with the standard Beam
options in ``beam_arguments``, e.g. ``--runner DataflowRunner --project P
--region R --temp_location gs://B/tmp`` with an ``out_dir`` on ``gs://``) that

* encodes every gait (``step_tf.data.tfrecord.encode_gait``) and writes
  ``out_dir/examples/gaits-SSSSS-of-NNNNN.tfrecord`` (Beam's file sink writes
  temporary files and renames them when all are complete);
* combines per-gait summaries into ``out_dir/statistics.json``: gaits, counts per
  class and per group, frame and joint counts, coordinate ranges per axis.

``schema(gait_set)`` is the records' layout (``schema.json``), written by the
driver. Read the shards back with ``load_gaits("tfrecord:OUT/examples/*.tfrecord")``.
"""

from __future__ import annotations

import collections
import json

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions

from step_tf.data.gaits import GaitSet
from step_tf.data.tfrecord import FEATURES, encode_gait

EXAMPLES_FOLDER = "examples"
SHARD_PREFIX = "gaits"
SHARD_SUFFIX = ".tfrecord"
STATISTICS_FILE = "statistics.json"
SCHEMA_FILE = "schema.json"
AXES = ("x", "y", "z")


def shard_pattern(out_dir: str) -> str:
    """The glob of the shards ``write_examples`` writes under ``out_dir``."""
    return f"{out_dir}/{EXAMPLES_FOLDER}/{SHARD_PREFIX}-*{SHARD_SUFFIX}"


def schema(gait_set: GaitSet) -> dict:
    """The records' features, their kinds and sizes, and the label names (what ``schema.json`` holds)."""
    sizes = {
        "joints": [gait_set.num_frames * gait_set.num_joints * 3],
        "shape": [3],
        "label": [1],
        "label_name": [1],
        "group": [1],
        "key": [1],
    }
    return {
        "features": {name: {"kind": kind, "size": sizes[name]} for name, kind in FEATURES.items()},
        "joints_shape": [gait_set.num_frames, gait_set.num_joints, 3],
        "joints_order": "frames, joints, coordinates (x, y, z), row-major; metres, y up",
        "label_names": list(gait_set.label_names),
    }


def _gait_summary(row) -> dict:
    joints, label_name, group = row[0], row[2], row[3]
    return {
        "classes": {label_name: 1},
        "groups": {group: 1},
        "frames": {str(joints.shape[0]): 1},
        "joints": {str(joints.shape[1]): 1},
        "minimum": joints.min(axis=(0, 1)).tolist(),
        "maximum": joints.max(axis=(0, 1)).tolist(),
    }


class SummaryCombiner(beam.CombineFn):
    """Adds up per-gait summaries: counts per class, group, frame count and joint count; coordinate ranges."""

    def create_accumulator(self):
        return {"gaits": 0, "classes": collections.Counter(), "groups": collections.Counter(),
                "frames": collections.Counter(), "joints": collections.Counter(),
                "minimum": [np.inf] * 3, "maximum": [-np.inf] * 3}

    def add_input(self, accumulator, summary):
        return self.merge_accumulators([accumulator, {**summary, "gaits": 1}])

    def merge_accumulators(self, accumulators):
        merged = self.create_accumulator()
        for accumulator in accumulators:
            merged["gaits"] += accumulator["gaits"]
            for name in ("classes", "groups", "frames", "joints"):
                merged[name].update(accumulator[name])
            merged["minimum"] = np.minimum(merged["minimum"], accumulator["minimum"]).tolist()
            merged["maximum"] = np.maximum(merged["maximum"], accumulator["maximum"]).tolist()
        return merged

    def extract_output(self, accumulator):
        return {
            "gaits": accumulator["gaits"],
            "per_class": dict(sorted(accumulator["classes"].items())),
            "groups": len(accumulator["groups"]),
            "per_group": dict(sorted(accumulator["groups"].items())),
            "frames": {int(size): count for size, count in sorted(accumulator["frames"].items())},
            "joints": {int(size): count for size, count in sorted(accumulator["joints"].items())},
            "coordinate_range": {axis: [low, high] for axis, low, high in zip(AXES, accumulator["minimum"], accumulator["maximum"])},
        }


def write_examples(gait_set: GaitSet, out_dir: str, num_shards: int, beam_arguments: list[str] | None = None) -> None:
    """Runs the Beam pipeline that writes ``out_dir/examples/*.tfrecord`` and ``out_dir/statistics.json``."""
    if num_shards < 1:
        raise ValueError(f"the number of shards must be at least 1, got {num_shards}")
    if len(gait_set) == 0:
        raise ValueError(f"{gait_set.source}: no gaits to write")
    rows = [
        (gait_set.joints[index], int(gait_set.labels[index]), gait_set.label_names[gait_set.labels[index]],
         str(gait_set.groups[index]), str(gait_set.keys[index]))
        for index in range(len(gait_set))
    ]
    options = PipelineOptions(beam_arguments or [])
    with beam.Pipeline(options=options) as pipeline:
        gaits = pipeline | "Gaits" >> beam.Create(rows)
        (
            gaits
            | "Encode" >> beam.MapTuple(encode_gait)
            | "WriteShards" >> beam.io.WriteToTFRecord(
                f"{out_dir}/{EXAMPLES_FOLDER}/{SHARD_PREFIX}", file_name_suffix=SHARD_SUFFIX, num_shards=num_shards
            )
        )
        (
            gaits
            | "Summarise" >> beam.Map(_gait_summary)
            | "Statistics" >> beam.CombineGlobally(SummaryCombiner())
            | "ToJson" >> beam.Map(lambda statistics: json.dumps(statistics, indent=2))
            | "WriteStatistics" >> beam.io.WriteToText(
                f"{out_dir}/{STATISTICS_FILE.removesuffix('.json')}", file_name_suffix=".json", shard_name_template="", num_shards=1
            )
        )
