"""Rig transfer: STEP trained on the Bandai-Namco rig, tested on the same walks retargeted to other rigs.

Not a timing: it prints a table of pooled balanced accuracy with clip-level bootstrap
intervals and writes JSON to ``--output``.

Capture rigs place joints differently and bodies differ (the Bandai-Namco rig: hips to neck
0.41 m, half shoulder width 0.10 m; other rigs 0.49-0.60 m and about 0.2 m). This measures
what ``canonical_skeleton`` (``step_tf.models.classifiers.CanonicalSkeleton``) buys.

Protocol: that of ``bench/real_walks.py`` (the forward walks, the 4 clip folds of
``step_tf.data.bandai.clip_folds``, test windows every 15 frames, training windows every
``--train-stride`` frames of the other 12 clips, STEP with the ``real`` recipe, trained by
``real_walks.network_probabilities``). For each fold STEP is trained twice, without and with
``canonical_skeleton``, and scored on the fold's test windows as they are and retargeted
(``retarget``, NumPy) to three rigs. A rig changes bone lengths *and* joint placement: a pure
change of lengths is undone exactly by the layer (it keeps only bone directions), so it would
prove nothing on its own.

* ``anatomical``: Winter's proportions of a 1.75 m body (the layer's default reference table
  scaled from 1.70 m: hips to neck 0.50 m, shoulders 0.45 m apart), with shoulder joints 4 cm
  lower, hip joints 6 cm below the root's level and the head joint 8 cm further along the
  neck -> head direction;
* ``mediapipe``: the median bone lengths of the shared video fixture's 16-joint skeleton
  (MediaPipe BlazePose through ``step_tf.graph.JOINT_MAPPINGS``), no extra offsets;
* ``tall``: every bone of the walker 1.15 times as long and the root path scaled with it (a
  taller walker at the same relative speed), shoulders 3 cm lower.

A second table gives two diagnostics: the anatomical and tall rigs' lengths without their
placement offsets, which the layer undoes by construction (so "with" equals "original" there
up to the root's leg scaling), to show what the lengths alone cost a model without it.

The two rigs capture the same walker, so the root's path stays as it is in metres; ``tall``
is another body. Every other joint is rebuilt from the root outwards along the original bone
directions with the rig's lengths, then moved by the placement offsets (only the joint named,
not the joints below it: a rig that puts one joint centre elsewhere).

    python bench/rig_transfer.py                          # the full run: 8 trainings
    python bench/rig_transfer.py --folds 0 --epochs 2     # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

import numpy as np

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared"
DEFAULT_DATA = SHARED / "data" / "bandai-namco-ds1-walks"
DEFAULT_VIDEO_SKELETON = SHARED / "fixtures" / "video" / "walk_side_sports2d_mp0.10.21_skeleton16.npz"
sys.path.insert(0, str(REPOSITORY))

RIGS = ("original", "anatomical", "mediapipe", "tall")
# Diagnostics: the anatomical and tall rigs' lengths without their placement offsets (a pure change of
# lengths, which the layer undoes by construction; without it, what the lengths alone cost).
LENGTH_ONLY_RIGS = ("anatomical_lengths_only", "tall_lengths_only")
VARIANTS = {"without": False, "with": True}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="the Bandai-Namco dataset-1 BVH folder")
    parser.add_argument("--video-skeleton", type=pathlib.Path, default=DEFAULT_VIDEO_SKELETON,
                        help="the 16-joint skeleton of the shared video fixture (the mediapipe rig's bone lengths)")
    parser.add_argument("--folds", default="0,1,2,3", help="folds to run (0-3)")
    parser.add_argument("--epochs", type=int, help="override the real recipe's epochs (default: the recipe's)")
    parser.add_argument("--train-stride", type=int, default=5, help="frames between training windows (real_walks.py's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=pathlib.Path, default=REPOSITORY / "bench" / "results" / "rig_transfer.json")
    return parser


def bone_vectors(joints: np.ndarray) -> np.ndarray:
    """``(N, T, E, 3)``: child minus parent of every ``step16`` edge, in ``STEP16.edges`` order."""
    from step_tf.graph import STEP16

    parents, children = np.array(STEP16.edges).T
    return joints[:, :, children] - joints[:, :, parents]


def leg_length(joints: np.ndarray) -> np.ndarray:
    """``(N,)``: thigh + shank, mean over frames and sides (the layer's ``leg``)."""
    from step_tf.graph import STEP16

    legs = [(10, 11), (11, 12), (13, 14), (14, 15)]
    lengths = np.linalg.norm(bone_vectors(joints), axis=-1)
    return lengths[:, :, [STEP16.edges.index(bone) for bone in legs]].sum(axis=-1).mean(axis=1) / 2.0


def retarget(joints: np.ndarray, lengths, *, scale_root: bool = False, shoulder_drop: float = 0.0,
             hip_below_root: float | None = None, head_raise: float = 0.0) -> np.ndarray:
    """The walks ``(N, T, 16, 3)`` (world frame, y up, metres) on another rig, float32.

    ``lengths``: the rig's bone lengths, broadcastable to ``(N, T, E)`` (``STEP16.edges`` order).
    From the root outwards every joint is put at its parent plus the rig's length along the
    original bone's direction. The root stays where it is, or with ``scale_root`` moves by the
    ratio of the new to the old leg length (a body of another size at the same relative speed).
    Then the placement offsets, each moving one joint only: shoulders ``shoulder_drop`` lower;
    hips ``hip_below_root`` below the root's height; the head ``head_raise`` further along the
    neck -> head direction.
    """
    from step_tf.graph import STEP16
    from step_tf.models.classifiers import skeleton_tree

    joints = np.asarray(joints, dtype=np.float64)
    vectors = bone_vectors(joints)
    directions = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)
    lengths = np.broadcast_to(np.asarray(lengths, dtype=np.float64), vectors.shape[:-1])
    out = np.empty_like(joints)
    root = STEP16.center
    out[:, :, root] = joints[:, :, root]
    for edge, parent, child in skeleton_tree(STEP16):
        out[:, :, child] = out[:, :, parent] + lengths[..., edge, None] * directions[:, :, edge]
    if scale_root:
        shift = out[:, :, root] * (leg_length(out) / leg_length(joints) - 1.0)[:, None, None]
        out += shift[:, :, None, :]  # the whole body moves with its root
    index = STEP16.joint_index
    for name in ("shoulder_left", "shoulder_right"):
        out[:, :, index(name), 1] -= shoulder_drop
    if hip_below_root is not None:
        for name in ("hip_left", "hip_right"):
            out[:, :, index(name), 1] = out[:, :, root, 1] - hip_below_root
    neck_head = directions[:, :, STEP16.edges.index((index("neck"), index("head")))]
    out[:, :, index("head")] += head_raise * neck_head
    return out.astype(np.float32)


def rig_windows(joints: np.ndarray, video_skeleton: np.ndarray) -> dict[str, np.ndarray]:
    """The test windows as they are and on each other rig."""
    from step_tf.data.synthetic import REFERENCE_HEIGHT
    from step_tf.models.classifiers import REFERENCE_BONE_LENGTHS

    winter_175 = np.array(REFERENCE_BONE_LENGTHS["step16"]) * 1.75 / REFERENCE_HEIGHT
    video_lengths = np.median(np.linalg.norm(bone_vectors(video_skeleton[None]), axis=-1)[0], axis=0)  # (E,)
    own_lengths = np.linalg.norm(bone_vectors(joints.astype(np.float64)), axis=-1)  # (N, T, E)
    return {
        "original": joints,
        "anatomical": retarget(joints, winter_175, shoulder_drop=0.04, hip_below_root=0.06, head_raise=0.08),
        "mediapipe": retarget(joints, video_lengths),
        "tall": retarget(joints, 1.15 * own_lengths, scale_root=True, shoulder_drop=0.03),
        "anatomical_lengths_only": retarget(joints, winter_175),
        "tall_lengths_only": retarget(joints, 1.15 * own_lengths, scale_root=True),
    }


def rig_description(joints: np.ndarray) -> dict:
    """Medians of what differs between rigs: hips to neck, shoulder width, leg, root height and speed."""
    from step_tf.graph import STEP16

    index = STEP16.joint_index
    mid_hip = (joints[:, :, index("hip_left")] + joints[:, :, index("hip_right")]) / 2.0
    speed = np.linalg.norm(np.diff(joints[:, :, 0, [0, 2]], axis=1), axis=-1).mean(axis=1) * 30.0
    return {
        "hips_to_neck_m": float(np.median(np.linalg.norm(joints[:, :, index("neck")] - mid_hip, axis=-1))),
        "shoulder_width_m": float(np.median(np.linalg.norm(joints[:, :, index("shoulder_left")] - joints[:, :, index("shoulder_right")], axis=-1))),
        "leg_m": float(np.median(leg_length(joints))),
        "root_height_m": float(np.median(joints[:, :, 0, 1])),
        "speed_m_per_s": float(np.median(speed)),
    }


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    for path, what in ((args.data, "the Bandai-Namco walks (../shared/data/bandai-namco-ds1-walks beside the repository, or --data DIR)"),
                       (args.video_skeleton, "the video fixture's 16-joint skeleton (../shared/fixtures/video/, or --video-skeleton FILE)")):
        if not path.exists():
            print(f"error: {path}: missing; expected {what}", file=sys.stderr)
            return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from bench.real_walks import clip_vote, network_probabilities, scores
    from step_tf.config import resolve
    from step_tf.data.bandai import clip_folds, read_bandai_walks

    started = time.time()
    command = " ".join([pathlib.Path(sys.executable).name, *sys.argv])
    print(f"command: {command}", flush=True)
    test_windows = read_bandai_walks(args.data)  # stride 15
    train_windows = read_bandai_walks(args.data, stride=args.train_stride)
    test_fold, train_fold = clip_folds(test_windows), clip_folds(train_windows)
    names = test_windows.label_names
    rigs = rig_windows(test_windows.joints, np.load(args.video_skeleton)["joints"])
    descriptions = {rig: rig_description(windows) for rig, windows in rigs.items()}
    print("rigs (medians): " + "; ".join(f"{rig}: " + ", ".join(f"{key} {value:.3f}" for key, value in row.items())
                                         for rig, row in descriptions.items()), flush=True)
    overrides = {"epochs": args.epochs} if args.epochs else {}
    folds = [int(fold) for fold in args.folds.split(",")]
    scored_rigs = RIGS + LENGTH_ONLY_RIGS
    probabilities = {(variant, rig): np.zeros((len(test_windows), len(names))) for variant in VARIANTS for rig in scored_rigs}
    seconds = {}
    for fold in folds:
        train = train_windows.subset(np.flatnonzero(train_fold != fold))
        test_index = np.flatnonzero(test_fold == fold)
        others = np.concatenate([rigs[rig][test_index] for rig in scored_rigs[1:]])
        for variant, canonical in VARIANTS.items():
            tick = time.time()
            config = resolve("real", seed=args.seed, model="step", canonical_skeleton=canonical, **overrides)
            test_p, other_p = network_probabilities(config, train, rigs["original"][test_index], others)
            probabilities[(variant, "original")][test_index] = test_p
            for rig, part in zip(scored_rigs[1:], np.split(other_p, len(scored_rigs) - 1)):
                probabilities[(variant, rig)][test_index] = part
            seconds[f"fold {fold} {variant}"] = round(time.time() - tick, 1)
            print(f"fold {fold} STEP {variant} canonical skeleton ({len(train)} training windows, {config.epochs} epochs): "
                  f"{time.time() - tick:.0f} s", flush=True)

    tested = np.isin(test_fold, folds)
    labels, clips = test_windows.labels[tested], test_windows.groups[tested]
    results = {"command": command, "folds": folds, "windows": int(tested.sum()), "clips": int(len(np.unique(clips))),
               "epochs": config.epochs, "train_stride": args.train_stride, "rigs": descriptions, "seconds_per_training": seconds,
               "balanced_accuracy": {}}
    print(f"\n{int(tested.sum())} test windows of {len(np.unique(clips))} clips, folds {folds}; STEP (real recipe, "
          f"{config.epochs} epochs); balanced accuracy pooled over folds [95 % clip-bootstrap interval]; clip vote after /\n")
    for table, columns in (("rigs", RIGS), ("diagnostics: lengths only", LENGTH_ONLY_RIGS)):
        if table != "rigs":
            print(f"\n{table}\n")
        print("| canonical skeleton | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for variant in VARIANTS:
            cells = []
            for rig in columns:
                window = scores(labels, probabilities[(variant, rig)][tested], clips, names)
                voted = scores(labels, clip_vote(probabilities[(variant, rig)][tested], clips), clips, names)
                results["balanced_accuracy"].setdefault(variant, {})[rig] = {
                    "windows": window, "clip_vote": voted,
                    "predicted": probabilities[(variant, rig)][tested].argmax(axis=1).tolist(),
                }
                cells.append(f"{window['balanced_accuracy']:.3f} [{window['interval'][0]:.2f}, {window['interval'][1]:.2f}] "
                             f"/ {voted['balanced_accuracy']:.3f}")
            print(f"| {variant} | " + " | ".join(cells) + " |")
    results["labels"] = labels.tolist()
    results["seconds"] = round(time.time() - started)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(f"\n{results['seconds']} s; written {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
