"""The video CLI and library end to end: results, rendering, gait files, folder extraction, and every bad input."""

import json
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image

from step_tf.data.egait import read_egait
from step_tf.pose.emotion import classify_extraction, extract_gaits
from step_tf.pose.extract import extract_folder, read_labels
from step_tf.pose.overlay import PANEL_HEIGHT, render_video
from step_tf.video import main


@pytest.fixture(scope="module")
def truncated_video(fixture_video, tmp_path_factory):
    """The first 200,000 bytes of the fixture: its header announces 130 frames, 45 can be decoded (1.5 s)."""
    path = tmp_path_factory.mktemp("bad") / "walk_cut.mp4"
    path.write_bytes(fixture_video.read_bytes()[:200_000])
    return path


def write_video(path, frames, size=(320, 240)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    for _ in range(frames):
        writer.write(np.full((size[1], size[0], 3), 128, np.uint8))
    writer.release()
    return path


def test_render_of_the_fixture_is_a_real_video(extraction, classifier, tmp_path):
    result = classify_extraction(extraction, classifier)
    frames, size = render_video(result, tmp_path / "walk.mp4")
    capture = cv2.VideoCapture(str(tmp_path / "walk.mp4"))
    decoded = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        assert frame.shape == (318 + PANEL_HEIGHT, 1060, 3)
        decoded += 1
    assert decoded == frames == 130 and size == (1060, 318 + PANEL_HEIGHT)
    assert [p.name for p in tmp_path.iterdir()] == ["walk.mp4"]  # no temporary file left


def test_cli_on_a_truncated_short_video_with_gif_and_gaits(truncated_video, run_dir, tmp_path, capsys):
    code = main([str(truncated_video), "--model", str(run_dir), "--render", str(tmp_path / "cut.gif"),
                 "--save-gaits", str(tmp_path / "cut.h5"), "--output", str(tmp_path / "cut.json")])
    assert code == 0
    report = json.loads((tmp_path / "cut.json").read_text())
    errors = capsys.readouterr().err
    assert "truncated or damaged: decoding stopped after 45 of the 130 frames" in errors
    assert "shorter than one 75-frame window" in errors and "tiled" in errors
    assert report["frames"] == 45 and len(report["windows"]) == 1 and report["windows"][0]["tiled"]
    probabilities = report["video_result"]["probabilities"]
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    with Image.open(tmp_path / "cut.gif") as gif:
        assert gif.n_frames == 45
        assert gif.size == (480, round((318 + PANEL_HEIGHT) * 480 / 1060))
    gaits = read_egait(tmp_path / "cut.h5", tmp_path / "cut_labels.h5")
    assert gaits.joints.shape == (1, 75, 16, 3)


@pytest.mark.parametrize("content, message", [
    (b"", "empty \\(0 bytes\\)"),
    (b"this is a text file, not a video\n" * 20, "not a readable video|no decodable frame"),
])
def test_not_a_video(tmp_path, content, message, run_dir, capsys):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        extract_gaits(path)
    assert main([str(path), "--model", str(run_dir), "--render", str(tmp_path / "out.mp4")]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "out.mp4").exists()


def test_zero_frame_video(tmp_path):
    path = write_video(tmp_path / "zero.mp4", 0)
    with pytest.raises(ValueError, match="empty|not a readable video|no decodable frame"):
        extract_gaits(path)


def test_missing_video(tmp_path):
    with pytest.raises(FileNotFoundError, match="video file not found"):
        extract_gaits(tmp_path / "absent.mp4")


def test_video_with_nobody_says_so_and_gives_no_emotion(tmp_path, run_dir, capsys):
    path = write_video(tmp_path / "empty_room.mp4", 20)
    assert main([str(path), "--model", str(run_dir), "--output", str(tmp_path / "empty.json")]) == 0
    report = json.loads((tmp_path / "empty.json").read_text())
    assert report["detected_fraction"] == 0.0 and report["tracks"] == []
    assert report["video_result"] == {"state": "no walking found", "class_name": None, "windows": 0, "tracks": []}
    assert [w["state"] for w in report["windows"]] == ["no person"]
    assert any("nobody was found in any of its 20 frames" in note for note in report["notes"])
    summary = capsys.readouterr().err
    assert "a person present in 0.0 %, 0 track(s) (nobody)" in summary and summary.rstrip().endswith("no walking found")


def test_unknown_model_path(fixture_video, tmp_path, capsys):
    assert main([str(fixture_video), "--model", str(tmp_path / "no_such_run")]) == 2
    assert "model not found" in capsys.readouterr().err


def test_bad_labels_rows(tmp_path, fixture_video):
    shutil.copy(fixture_video, tmp_path / "walk.mp4")
    cases = {
        "file,label\nwalk.mp4,furious\n": "line 2: unknown label 'furious'",
        "walk.mp4\n": "line 1: expected two columns",
        "walk.mp4,happy\nother.mp4,sad\n": "line 2: video 'other.mp4' not found",
        "walk.mp4,happy\nwalk.mp4,sad\n": "line 2: 'walk.mp4' is labelled twice",
        "file,label\n": "no labelled video",
    }
    for text, message in cases.items():
        (tmp_path / "labels.csv").write_text(text)
        with pytest.raises(ValueError, match=message):
            read_labels(tmp_path / "labels.csv", tmp_path)


def test_extraction_is_resumable_and_atomic(tmp_path, fixture_video, truncated_video):
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(fixture_video, videos / "anna_walk.mp4")
    shutil.copy(truncated_video, videos / "ben_walk.mp4")
    write_video(videos / "nobody.mp4", 10)
    (videos / "labels.csv").write_text("file,label\nanna_walk.mp4,happy\nben_walk.mp4,sad\nnobody.mp4,neutral\n")
    out = tmp_path / "set" / "gaits.h5"

    def interrupt_after_first(name, status):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C after the first video

    with pytest.raises(KeyboardInterrupt):
        extract_folder(videos, videos / "labels.csv", out, on_video=interrupt_after_first)
    assert not out.exists() and not (tmp_path / "set" / "gaits_labels.h5").exists()

    seen = []
    gaits, notes = extract_folder(videos, videos / "labels.csv", out, on_video=lambda name, status: seen.append((name, status)))
    assert seen[0] == ("anna_walk.mp4", "already extracted")
    assert [name for name, _ in seen] == ["anna_walk.mp4", "ben_walk.mp4", "nobody.mp4"]
    assert any("nobody was found" in note for note in notes)
    read_back = read_egait(out, tmp_path / "set" / "gaits_labels.h5")
    assert len(read_back) == 3  # anna: windows at 0 and 30 of 130 frames; ben: one tiled window
    assert sorted(read_back.keys.tolist()) == ["anna_walk_0_00000", "anna_walk_0_00030", "ben_walk_0_00000"]
    assert [read_back.label_names[i] for i in read_back.labels] == ["happy", "happy", "sad"]
    assert sorted(p.name for p in (tmp_path / "set").iterdir()) == ["gaits.h5", "gaits_labels.h5"]
