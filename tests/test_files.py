"""Atomic writing: all or nothing, and ordinary permissions."""

import os

import pytest

from step_tf.files import atomic_output, write_json


def test_a_failed_write_leaves_nothing_and_the_old_file_intact(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"accuracy": 0.5})
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temporary:
            temporary.write_text("{half")
            raise RuntimeError("killed")
    assert target.read_text() == '{\n  "accuracy": 0.5\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_written_files_get_the_permissions_of_a_plain_open(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    write_json(tmp_path / "atomic.json", [1])
    assert os.stat(tmp_path / "atomic.json").st_mode & 0o777 == os.stat(plain).st_mode & 0o777
