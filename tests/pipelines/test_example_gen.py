"""ExampleGen on Apache Beam (DirectRunner): shards that read back exactly, statistics that match the gaits."""

import json

import numpy as np

from pipelines.example_gen import SHARD_SUFFIX, STATISTICS_FILE, schema, shard_pattern, write_examples
from step_tf.data.sources import load_gaits


def test_beam_shards_read_back_exactly_and_statistics_match(tmp_path):
    source = load_gaits("embedded:48:5")
    write_examples(source, str(tmp_path), num_shards=3)
    shards = sorted((tmp_path / "examples").iterdir())
    assert [path.name for path in shards] == [f"gaits-{index:05d}-of-00003{SHARD_SUFFIX}" for index in range(3)]

    read = load_gaits(f"tfrecord:{shard_pattern(str(tmp_path))}")
    by_key = source.subset(np.argsort(source.keys))
    assert read.keys.tolist() == by_key.keys.tolist()
    assert np.array_equal(read.joints.view(np.uint32), by_key.joints.view(np.uint32))
    assert np.array_equal(read.labels, by_key.labels)
    assert read.groups.tolist() == by_key.groups.tolist()

    statistics = json.loads((tmp_path / STATISTICS_FILE).read_text())
    assert statistics["gaits"] == len(source)
    assert statistics["per_class"] == {name: int(count) for name, count in zip(source.label_names, source.class_counts()) if count}
    groups, counts = np.unique(source.groups, return_counts=True)
    assert statistics["per_group"] == dict(zip(groups.tolist(), counts.tolist())) and statistics["groups"] == len(groups)
    assert statistics["frames"] == {str(source.num_frames): len(source)}
    assert statistics["joints"] == {str(source.num_joints): len(source)}
    for axis, name in enumerate("xyz"):
        assert statistics["coordinate_range"][name] == [float(source.joints[..., axis].min()), float(source.joints[..., axis].max())]
    assert schema(source)["features"]["joints"]["size"] == [source.num_frames * source.num_joints * 3]
