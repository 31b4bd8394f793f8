"""Stage artifacts: skipped when inputs and parameters are unchanged, rebuilt otherwise, never left half-written."""

import json

import pytest

from pipelines.artifacts import FINGERPRINT_FILE, run_stage


def _quiet(message):
    pass


def _stage(output, parameters, inputs, calls, fail=False):
    def build(folder):
        calls.append(folder)
        (folder / "result.txt").write_text(json.dumps(parameters))
        if fail:
            raise RuntimeError("the stage broke halfway")
        return {"built": len(calls)}

    return run_stage("Stage", output, parameters, inputs, build, log=_quiet)


def test_a_stage_is_skipped_until_its_parameters_or_input_contents_change(tmp_path):
    source = tmp_path / "input"
    source.mkdir()
    (source / "data.bin").write_bytes(b"one")
    output, calls = tmp_path / "out", []
    first = _stage(output, {"epochs": 1}, {"data": source}, calls)
    assert not first.skipped and len(calls) == 1 and first.summary == {"built": 1}
    again = _stage(output, {"epochs": 1}, {"data": source}, calls)
    assert again.skipped and len(calls) == 1 and again.summary == {"built": 1}
    assert _stage(output, {"epochs": 2}, {"data": source}, calls).skipped is False
    (source / "data.bin").write_bytes(b"two")  # same name, new contents
    assert _stage(output, {"epochs": 2}, {"data": source}, calls).skipped is False
    (source / "more.bin").write_bytes(b"")  # a new file
    assert _stage(output, {"epochs": 2}, {"data": source}, calls).skipped is False
    assert len(calls) == 4
    record = json.loads((output / FINGERPRINT_FILE).read_text())
    assert record["parameters"] == {"epochs": 2} and record["inputs"] == {"data": str(source)}
    assert json.loads((output / "result.txt").read_text()) == {"epochs": 2}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["input", "out"]  # nothing hidden left behind


def test_a_failing_stage_leaves_no_artifact_and_keeps_the_previous_one(tmp_path):
    output, calls = tmp_path / "out", []
    with pytest.raises(RuntimeError, match="broke halfway"):
        _stage(output, {"epochs": 1}, {}, calls, fail=True)
    assert list(tmp_path.iterdir()) == []
    _stage(output, {"epochs": 1}, {}, calls)
    with pytest.raises(RuntimeError):
        _stage(output, {"epochs": 2}, {}, calls, fail=True)
    assert json.loads((output / "result.txt").read_text()) == {"epochs": 1}
    assert json.loads((output / FINGERPRINT_FILE).read_text())["parameters"] == {"epochs": 1}
    assert [path.name for path in tmp_path.iterdir()] == ["out"]


def test_a_missing_input_artifact_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="input artifact 'model' of stage 'Stage' not found"):
        _stage(tmp_path / "out", {}, {"model": tmp_path / "absent"}, [])
