"""From walking videos to perceived emotions: ``python -m step_tf.video``.

    python -m step_tf.video VIDEO [--model MODEL] [--person all|ID|largest|walker] [--output OUT.json] [--render OUT.mp4|OUT.gif] [--save-gaits OUT.h5]
    python -m step_tf.video --camera INDEX [--model MODEL] [--every K] [--max-frames N]
    python -m step_tf.video extract DIR --labels labels.csv --out gaits.h5

MODEL (default: the model shipped with the package, ``step_tf.pretrained``) is a
training run directory, a ``.keras`` file or an exported
``saved_models/NAME[/VERSION]``. The first form prints (or writes) JSON with
every person found (tracks: id, frames, boxes), each 75-frame window's state
(walking, not walking, no person), the class probabilities of the walking
windows of the people ``--person`` selects (``step_tf.pose.emotion``), their
results and the video's (the mean of those windows, or "no walking found");
``--render`` draws each person's box, id and skeleton and the probabilities
over time onto the video; ``--save-gaits`` writes the classified windows as an
E-Gait pair (``OUT.h5`` and ``OUT_labels.h5``, labelled with the model's
predicted classes). ``--camera`` reports a live camera every K frames, one
JSON line per person in view (their state, and the emotion of those walking)
or one ``no person`` line. ``extract`` turns a folder of labelled videos into a training set
(``gaits.h5`` and ``gaits_labels.h5``, for ``fit --data egait:gaits.h5,gaits_labels.h5``);
an interrupted run continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

from step_tf.cli import ERROR_STATUS, add_verbose_flag, output_file, quiet_tensorflow, reported_errors
from step_tf.pretrained import default_run


USAGE_LINE = __doc__.split("\n\n")[0]


def analyse_parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.video", description=USAGE_LINE,
                                        epilog="Folder extraction: python -m step_tf.video extract DIR --labels labels.csv --out gaits.h5")
    arguments.add_argument("video", nargs="?", type=pathlib.Path, help="a video file")
    arguments.add_argument("--model", type=pathlib.Path,
                           help="run directory, .keras file or saved_models/NAME[/VERSION] (default: the shipped model, step_tf.pretrained)")
    arguments.add_argument("--camera", type=int, help="classify camera INDEX live instead of a file")
    arguments.add_argument("--person", default="all",
                           help="whom to classify: all (every track that walks, default), a track ID, largest or walker")
    arguments.add_argument("--output", type=output_file, help="write the JSON here (default: standard output)")
    arguments.add_argument("--render", type=output_file, help="annotated video to write (.mp4 or .gif)")
    arguments.add_argument("--save-gaits", type=pathlib.Path, help="E-Gait features file to write (.h5; labels beside it)")
    arguments.add_argument("--every", type=int, default=15, help="camera: frames between emotion updates (default 15)")
    arguments.add_argument("--max-frames", type=int, help="camera: stop after this many frames")
    add_verbose_flag(arguments)
    return arguments


def extract_parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.video extract", description="A folder of labelled videos to an E-Gait training set.")
    arguments.add_argument("directory", type=pathlib.Path, help="folder of videos")
    arguments.add_argument("--labels", type=pathlib.Path, required=True, help="CSV rows 'file,label'")
    arguments.add_argument("--out", type=pathlib.Path, required=True, help="features file to write (labels: OUT_labels.h5)")
    add_verbose_flag(arguments)
    return arguments


def _progress(done: int, expected: int) -> None:
    if expected > 0:
        filled = min(30, 30 * done // expected)
        print(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{expected} frames", end="", file=sys.stderr, flush=True)
    else:
        print(f"\r{done} frames", end="", file=sys.stderr, flush=True)


def _save_gaits(result, path: pathlib.Path) -> pathlib.Path:
    import numpy as np

    from step_tf.data.egait import labels_path_for, write_egait
    from step_tf.data.gaits import GaitSet

    extraction = result.extraction
    stem = extraction.path.stem
    classified = [extraction.windows[i] for i in result.classified]
    keys = [extraction.gait_key(w) for w in classified]
    gaits = GaitSet(
        joints=np.stack([w.joints for w in classified]), labels=result.probabilities.argmax(axis=-1),
        label_names=result.label_names, groups=np.full(len(keys), stem), keys=np.asarray(keys), source=str(extraction.path),
    )
    labels_path = labels_path_for(path)
    write_egait(gaits, path, labels_path)
    return labels_path


def run_file(args) -> int:
    from step_tf.files import atomic_output
    from step_tf.pose.classifier import load_classifier
    from step_tf.pose.emotion import analyse_video

    if args.render is not None:  # refused before the video is analysed, not after
        from step_tf.pose.overlay import FORMATS

        if args.render.suffix.lower() not in FORMATS:
            raise ValueError(f"{args.render}: cannot render to {args.render.suffix or 'a file without suffix'}; choose one of {', '.join(FORMATS)}")
    classifier = load_classifier(args.model or default_run())
    result = analyse_video(args.video, classifier, person=args.person, on_frame=_progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    report = result.as_dict()
    for note in report["notes"]:
        print(f"note: {note}", file=sys.stderr)
    if args.render is not None:
        from step_tf.pose.overlay import render_video

        frames, (width, height) = render_video(result, args.render)
        print(f"rendered {frames} frames of {width}x{height} to {args.render}", file=sys.stderr)
    if args.save_gaits is not None and not result.classified:
        print(f"note: no walking window was classified: no gaits saved to {args.save_gaits}", file=sys.stderr)
    elif args.save_gaits is not None:
        labels_path = _save_gaits(result, args.save_gaits)
        print(f"saved {len(result.classified)} gait(s) to {args.save_gaits} and {labels_path} (labels: predicted classes)", file=sys.stderr)
    text = json.dumps(report, indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        with atomic_output(args.output) as temporary:
            temporary.write_text(text)
    print(result.summary(), file=sys.stderr)
    return 0


def run_camera(args) -> int:
    import cv2

    from step_tf.pose.classifier import load_classifier
    from step_tf.pose.emotion import EmotionStream

    classifier = load_classifier(args.model or default_run())
    capture = cv2.VideoCapture(args.camera)
    if not capture.isOpened():
        raise ValueError(f"camera {args.camera}: cannot be opened (no such camera, or it is busy)")
    stream = EmotionStream(classifier, every=args.every)
    started = time.monotonic()
    try:
        while args.max_frames is None or stream.frames_seen < args.max_frames:
            ok, frame = capture.read()
            if not ok:
                raise ValueError(f"camera {args.camera}: stopped delivering frames after {stream.frames_seen}")
            for update in stream.push(frame, time.monotonic() - started):
                line = {"time_s": round(update.timestamp, 3), "track": update.track_id, "state": update.state,
                        "frames_used": update.frames_used}
                if update.probabilities is not None:
                    line["class_name"] = update.class_name
                    line["probabilities"] = {n: round(float(p), 4) for n, p in zip(classifier.label_names, update.probabilities)}
                print(json.dumps(line), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        capture.release()
    return 0


def run_extract(argv) -> int:
    from step_tf.data.egait import labels_path_for
    from step_tf.pose.extract import extract_folder

    args = extract_parser().parse_args(argv)
    quiet_tensorflow(args.verbose)
    gaits, notes = extract_folder(args.directory, args.labels, args.out,
                                  on_video=lambda name, status: print(f"{name}: {status}", file=sys.stderr))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    counts = ", ".join(f"{n} {name}" for name, n in zip(gaits.label_names, gaits.class_counts()))
    print(f"{len(gaits)} gait(s) ({counts}) written to {args.out} and {labels_path_for(args.out)}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with reported_errors():
        if argv[:1] == ["extract"]:
            return run_extract(argv[1:])
        args = analyse_parser().parse_args(argv)
        if (args.video is None) == (args.camera is None):
            analyse_parser().error("give either a VIDEO file or --camera INDEX")
        quiet_tensorflow(args.verbose)
        return run_camera(args) if args.camera is not None else run_file(args)
    return ERROR_STATUS


if __name__ == "__main__":
    sys.exit(main())
