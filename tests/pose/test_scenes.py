"""Who was analysed, when they walked, and nothing from nobody: test videos made from the fixture walker (conftest.scenes).

Expected frames come from the videos' making and from mediapipe's own landmarks of the fixture, not from our output.
"""

import json

import cv2
import numpy as np
import pytest

from step_tf.pose.emotion import EmotionStream, analyse_video, classify_extraction, select_tracks
from step_tf.pose.overlay import GREY_PANEL, PANEL, render_video
from step_tf.pose.video_io import VideoReader
from step_tf.video import main


def long_tracks(extraction, seconds=1.0):
    """The tracks present for at least ``seconds`` (a detection the landmark model drops a frame later is a track too)."""
    return [t for t in extraction.tracks if len(t.frames) >= seconds * 30]


def states(extraction):
    return [(w.track_id, round(w.start_time * 30), w.walk.state) for w in extraction.windows]


def test_padded_walker_is_one_track_and_the_empty_room_is_no_person(scene_extractions):
    extraction = scene_extractions["padded"]
    assert extraction.num_frames == 310
    track, = extraction.tracks
    # She is in frames 90-219 (mediapipe finds her in all 130 of the fixture's frames).
    assert 90 <= track.frames[0] <= 92 and track.frames[-1] == 219 and track.end_reason.startswith("pose presence")
    assert extraction.detected_fraction == pytest.approx(len(track.frames) / 310)
    assert 128 <= extraction.present.sum() <= 130 and not extraction.present[:90].any() and not extraction.present[220:].any()
    assert all(state == "walking" for _, _, state in states(extraction)) and len(extraction.windows) == 2
    assert all(3.0 <= w.start_time and w.end_time <= 220 / 30 for w in extraction.windows)
    # The grid's windows with nobody: the first (0-2.47 s) and the one ending on the last frame (7.83-10.3 s).
    assert [(round(s.start_time * 30), round(s.end_time * 30)) for s in extraction.empty] == [(0, 74), (235, 309)]


def test_standing_still_is_not_walking_and_gets_no_emotion(scenes, classifier, pose):
    result = analyse_video(scenes["standing"], classifier, pose)
    extraction = result.extraction
    track, = extraction.tracks
    assert track.frames == list(range(90))
    assert states(extraction) == [(0, 0, "not walking")]
    window, = extraction.windows
    assert window.walk.travel_per_second < 0.05 and window.walk.alternations == 0
    report = result.as_dict()
    assert report["video_result"] == {"state": "no walking found", "class_name": None, "windows": 0, "tracks": []}
    assert report["tracks"][0]["windows"] == {"walking": 0, "not walking": 1} and report["tracks"][0]["result"] is None
    assert "probabilities" not in report["windows"][0]


def test_two_walkers_are_two_tracks_each_with_its_own_result(scene_extractions):
    extraction = scene_extractions["two"]
    top, bottom = sorted(long_tracks(extraction), key=lambda t: np.median(np.asarray(t.boxes)[:, 1]))
    height = extraction.height
    boxes = {name: np.asarray(track.boxes) for name, track in (("top", top), ("bottom", bottom))}
    assert (boxes["top"][:, 3] <= height / 2 + 2).all() and (boxes["bottom"][:, 1] >= height / 2 - 2).all()
    # The walker goes right to left; her mirror image left to right.
    centre = {name: (b[:, 0] + b[:, 2]) / 2 for name, b in boxes.items()}
    assert centre["top"][-1] < centre["top"][0] - 100 and centre["bottom"][-1] > centre["bottom"][0] + 100
    for track in (top, bottom):
        assert extraction.walking_windows([track.track_id]), track.track_id
    # Tracks shorter than a second (a detection dropped a frame later) have no window.
    short = {t.track_id for t in extraction.tracks} - {top.track_id, bottom.track_id}
    assert not any(w.track_id in short for w in extraction.windows)


def test_person_rules_on_two_walkers(scenes, scene_extractions, run_dir, tmp_path, capsys):
    extraction = scene_extractions["two"]
    walking = {t.track_id: len(extraction.walking_windows([t.track_id])) for t in extraction.tracks}
    assert main([str(scenes["two"]), "--model", str(run_dir), "--output", str(tmp_path / "all.json")]) == 0
    everyone = json.loads((tmp_path / "all.json").read_text())
    assert [t["id"] for t in everyone["tracks"]] == [t.track_id for t in extraction.tracks]
    assert everyone["selection"]["tracks"] == sorted(i for i, n in walking.items() if n) and len(everyone["selection"]["tracks"]) == 2
    for entry in everyone["tracks"]:
        if walking[entry["id"]]:
            assert entry["result"]["windows"] == walking[entry["id"]] and entry["result"]["class_name"] in everyone["label_names"]
    assert everyone["video_result"]["windows"] == sum(walking.values())
    classified = [w for w in everyone["windows"] if "probabilities" in w]
    assert len(classified) == sum(walking.values()) and all(w["state"] == "walking" for w in classified)
    # largest: the track with the largest median box; walker: the most walking windows; an id: that track.
    largest = max(extraction.tracks, key=lambda t: (t.median_area, -t.track_id)).track_id
    assert select_tracks(extraction, "largest") == [largest]
    walker, = select_tracks(extraction, "walker")
    assert walking[walker] == max(walking.values())
    assert select_tracks(extraction, str(max(walking))) == [max(walking)]
    with pytest.raises(ValueError, match="unknown person rule 'tallest'"):
        select_tracks(extraction, "tallest")
    capsys.readouterr()
    assert main([str(scenes["two"]), "--model", str(run_dir), "--person", "99"]) == 2
    assert "there is no track 99; tracks: " in capsys.readouterr().err


def test_only_the_chosen_persons_walking_windows_are_classified(scene_extractions, classifier):
    extraction = scene_extractions["two"]
    for person in ("largest", "walker"):
        result = classify_extraction(extraction, classifier, person)
        chosen, = result.selected
        assert result.classified == extraction.walking_windows([chosen])
        report = result.as_dict()
        assert {w["track"] for w in report["windows"] if "probabilities" in w} == {chosen}
        assert [t["id"] for t in report["tracks"] if t["result"] is not None] == [chosen]


def test_a_walker_who_leaves_the_frame(scene_extractions):
    extraction = scene_extractions["leaving"]
    track, = extraction.tracks
    # mediapipe's mid-hip crosses the left edge (x = 400 px of the full-size fixture) at frame 81.
    assert track.frames[0] == 0 and 70 <= track.frames[-1] <= 82
    assert "outside" in track.end_reason or "presence" in track.end_reason
    assert track.frames == list(range(track.frames[-1] + 1))
    assert states(extraction) == [(0, 0, "walking")]
    # After she has gone: no person, up to the last frame.
    assert all(s.start_time * 30 > track.frames[-1] for s in extraction.empty)
    assert round(extraction.empty[-1].end_time * 30) == 204 and len(extraction.empty) == 3


def test_stream_states_on_the_padded_walker(scenes, classifier, pose):
    stream = EmotionStream(classifier, every=15, pose=pose)
    pose.restart()
    updates = [(round(u.timestamp * 30), u.track_id, u.state) for frame, t in VideoReader(scenes["padded"]) for u in stream.push(frame, t)]
    before = [u for u in updates if u[0] < 90]
    during = [u for u in updates if 90 <= u[0] < 220]
    after = [u for u in updates if u[0] >= 220]
    assert before == [(f, None, "no person") for f in range(14, 90, 15)]
    # Her first update once she has walked 1 s (frames 90-119), then every 15 frames while she walks.
    assert during == [(f, 0, "walking") for f in range(119, 220, 15)]
    assert after == [(f, None, "no person") for f in range(224, 310, 15)]


def test_stream_says_not_walking_for_the_standing_person(scenes, classifier, pose):
    stream = EmotionStream(classifier, every=15, pose=pose)
    pose.restart()
    updates = [u for frame, t in VideoReader(scenes["standing"]) for u in stream.push(frame, t)]
    assert [(round(u.timestamp * 30), u.track_id, u.state) for u in updates] == [(f, 0, "not walking") for f in range(29, 90, 15)]
    assert all(u.probabilities is None and u.class_name is None for u in updates)


def test_render_draws_nothing_where_nobody_is_and_greys_the_panel(scenes, classifier, pose, tmp_path):
    result = analyse_video(scenes["padded"], classifier, pose)
    frames, (width, height) = render_video(result, tmp_path / "padded.mp4")
    assert frames == 310
    source = [frame.astype(np.int16) for frame, _ in VideoReader(scenes["padded"])]
    rendered = [frame.astype(np.int16) for frame, _ in VideoReader(tmp_path / "padded.mp4")]
    # The share of pixels changed by more than 60 levels: drawing does that, re-encoding hardly ever.
    drawn = np.array([(np.abs(r[:source[0].shape[0]] - s).max(axis=-1) > 60).mean() for r, s in zip(rendered, source)])
    panel = np.array([np.median(r[source[0].shape[0]:, 160:-20]) for r in rendered])
    present = result.extraction.present
    # Where nobody is, the picture is the input (codec noise only); over her, box and skeleton change it clearly.
    assert drawn[~present].max() < 0.1 * drawn[present].min(), (drawn[~present].max(), drawn[present].min())
    walking = np.zeros(310, bool)
    for index in result.classified:
        window = result.extraction.windows[index]
        walking[round(window.start_time * 30):round(window.end_time * 30) + 1] = True
    assert np.all(np.abs(panel[walking] - PANEL) <= 3) and np.all(np.abs(panel[~walking] - GREY_PANEL) <= 3)
