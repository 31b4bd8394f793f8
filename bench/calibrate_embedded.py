"""Calibrates the embedded synthetic set against real walks, and prints its realism table.

Not a timing. Two things, both from the Bandai-Namco forward walks (``bandai:DIR``; one
professional actor, acted angry / normal / happy / sad, 150 windows of 75 frames):

1. **Where the rig puts the joints.** Median bone lengths of the capture, as fractions of a
   body height taken as root height / 0.530 (Winter's hip height fraction). These are
   ``step_tf.data.synthetic.MOCAP_SEGMENTS``.
2. **The emotion prototypes** ``STYLES``: the generator's parameters are moved until the
   per-class *means* of its walks' measures equal the per-class means of the real walks, one
   measure per parameter:

   ===============  =====================================  ================
   parameter        measure (real walks, class mean)       update
   ===============  =====================================  ================
   stride_length    stride length (walk_stats)             ratio
   cadence          speed / stride length                  ratio
   arm_swing        arm swing (fore-aft hand range)        ratio
   elbow_flexion    hand height above the root             finite-difference slope
   trunk_lean       trunk lean (root -> neck)              finite-difference slope
   head_pitch       head pitch (neck -> head)              finite-difference slope
   bob              pelvis bob (range of root height)      finite-difference slope
   step_width       foot separation                        finite-difference slope
   ===============  =====================================  ================

   A class's mean parameter is ``neutral + E[k] (prototype - neutral)`` (``k`` the expression
   intensity), so the neutral prototype is solved first and the others through it. The other
   parameters (slump, impact, swing lift) and every spread keep the gait literature's values
   (module docstring of ``step_tf.data.synthetic``): one actor's repetitions say nothing about
   how people differ. Nothing here looks at a classifier or a benchmark score.

    python bench/calibrate_embedded.py                 # measure, calibrate, print the new STYLES and the table
    python bench/calibrate_embedded.py --table-only    # the realism table of the STYLES in the code
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys

import numpy as np

from step_tf.data import synthetic, walk_stats
from step_tf.data.bandai import read_bandai_walks
from step_tf.evaluation.gait_measures import MEASURE_NAMES, gait_measures
from step_tf.graph import STEP16

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPOSITORY.parent / "shared" / "data" / "bandai-namco-ds1-walks"
_J = {name: index for index, name in enumerate(STEP16.joint_names)}
# parameter -> (measure, how the parameter is updated)
TARGETS = {
    "stride_length": ("stride_length", "ratio"),
    "cadence": ("cadence", "ratio"),
    "arm_swing": ("arm_swing", "ratio"),
    "elbow_flexion": ("hand_height", "slope"),
    "trunk_lean": ("trunk_lean", "slope"),
    "head_pitch": ("head_pitch", "slope"),
    "bob": ("pelvis_bob", "slope"),
    "step_width": ("foot_separation", "slope"),
}
SLOPE_STEPS = {"elbow_flexion": 5.0, "trunk_lean": 2.0, "head_pitch": 2.0, "bob": 0.005, "step_width": 0.01}
# Prototypes stay within what a walk can be (elbow flexion past ~110 degrees lowers the hand again,
# so the hand-height slope changes sign there).
PARAMETER_RANGES = {
    "stride_length": (0.3, 2.0), "cadence": (40.0, 160.0), "arm_swing": (1.0, 60.0), "elbow_flexion": (0.0, 110.0),
    "trunk_lean": (-20.0, 40.0), "head_pitch": (-40.0, 60.0), "bob": (0.002, 0.2), "step_width": (0.0, 0.25),
}
DAMPING = 0.7  # of each update: the measures are nearly but not exactly linear in the parameters
HIP_HEIGHT_FRACTION = 0.530  # Winter: hip joint height / body height


def measures(joints: np.ndarray) -> dict[str, np.ndarray]:
    """Per-gait measures ``{name: (N,)}``: the twelve gait measures, stride length and cadence."""
    values = dict(zip(MEASURE_NAMES, gait_measures(joints).T))
    values["stride_length"] = walk_stats.stride_length(joints)
    stride = np.where(values["stride_length"] > 0.0, values["stride_length"], np.nan)
    values["cadence"] = 120.0 * values["speed"] / stride  # steps per minute
    return values


def class_means(values: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.array([np.nanmean(value[labels == c]) for c in range(len(synthetic.EMOTIONS))]) for name, value in values.items()}


def rig_fractions(joints: np.ndarray) -> dict[str, float]:
    """Median segment lengths of a capture as fractions of body height (root height / 0.530)."""
    joints = np.asarray(joints, np.float64)

    def length(first, second):
        return float(np.median(np.linalg.norm(joints[:, :, _J[first]] - joints[:, :, _J[second]], axis=-1)))

    feet = joints[:, :, [_J["foot_left"], _J["foot_right"]], 1]
    segments = {
        "thigh": length("hip_left", "knee_left"),
        "shank": length("knee_left", "foot_left"),
        "ankle_height": float(np.median(np.percentile(feet, 5, axis=1))),
        "trunk": length("root", "neck"),
        "neck_to_head": length("neck", "head"),
        "upper_arm": length("shoulder_left", "elbow_left"),
        "forearm": length("elbow_left", "hand_left"),
        "half_shoulder_width": length("shoulder_left", "shoulder_right") / 2.0,
        "shoulder_drop": float(np.median(joints[:, :, _J["neck"], 1] - joints[:, :, _J["shoulder_left"], 1])),
        "half_hip_width": length("hip_left", "hip_right") / 2.0,
        "hip_drop": float(np.median(joints[:, :, _J["root"], 1] - joints[:, :, _J["hip_left"], 1])),
    }
    height = (segments["thigh"] + segments["shank"] + segments["ankle_height"] + segments["hip_drop"]) / HIP_HEIGHT_FRACTION
    return {name: value / height for name, value in segments.items()} | {"body_height_m": height}


def generated_means(styles, num_gaits: int, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Class means of the measures and of the sampled parameters of ``num_gaits`` generated walks."""
    parameter_rng, _ = np.random.default_rng(seed).spawn(2)
    parameters = synthetic.sample_parameters(parameter_rng, num_gaits, styles=styles)
    gaits = synthetic.generate_gaits(num_gaits=num_gaits, seed=seed, styles=styles)
    return class_means(measures(gaits.joints), gaits.labels), class_means(parameters, parameters["label"])


def calibrate(targets: dict[str, np.ndarray], iterations: int, num_gaits: int, seed: int):
    """``STYLES`` whose generated class means match ``targets`` (see the module docstring)."""
    styles = dict(synthetic.STYLES)
    neutral = synthetic.EMOTIONS.index("neutral")
    mean_intensity = float(np.mean(synthetic.INTENSITY_RANGE))
    for iteration in range(iterations):
        measured, parameter_means = generated_means(styles, num_gaits, seed)
        slopes = {}
        for parameter, step in SLOPE_STEPS.items():
            shifted = {name: dataclasses.replace(style, **{parameter: getattr(style, parameter) + step}) for name, style in styles.items()}
            moved, _ = generated_means(shifted, num_gaits, seed)
            slopes[parameter] = (moved[TARGETS[parameter][0]] - measured[TARGETS[parameter][0]]) / step
        # The class-mean parameter change each class needs, then the prototype change that gives it.
        wanted = {}
        for parameter, (measure, update) in TARGETS.items():
            if update == "ratio":
                wanted[parameter] = parameter_means[parameter] * (targets[measure] / measured[measure] - 1.0)
            else:
                wanted[parameter] = (targets[measure] - measured[measure]) / slopes[parameter]
        error = max(abs(targets[m] - measured[m]).max() / max(abs(targets[m]).max(), 1e-9) for m, _ in TARGETS.values())
        print(f"iteration {iteration}: largest relative class-mean error {error:.3f}", file=sys.stderr)
        updated = {}
        for index, emotion in enumerate(synthetic.EMOTIONS):
            changes = {}
            for parameter in TARGETS:
                if index == neutral:
                    changes[parameter] = wanted[parameter][neutral]
                else:
                    changes[parameter] = (wanted[parameter][index] - (1.0 - mean_intensity) * wanted[parameter][neutral]) / mean_intensity
            style = styles[emotion]
            updated[emotion] = dataclasses.replace(
                style, **{p: float(np.clip(getattr(style, p) + DAMPING * change, *PARAMETER_RANGES[p])) for p, change in changes.items()}
            )
        styles = updated
    return styles


def realism_table(real: dict[str, np.ndarray], real_labels: np.ndarray, ours: dict[str, np.ndarray], our_labels: np.ndarray) -> str:
    names = ("speed", "stride_length", "cadence", "arm_swing", "hand_height", "trunk_lean", "head_pitch", "pelvis_bob", "foot_separation")
    rows = ["| class | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for index, emotion in enumerate(synthetic.EMOTIONS):
        cells = []
        for name in names:
            a, b = ours[name][our_labels == index], real[name][real_labels == index]
            cells.append(f"{np.nanmean(a):.2f} ± {np.nanstd(a):.2f} / {np.nanmean(b):.2f} ± {np.nanstd(b):.2f}")
        rows.append(f"| {emotion} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="the Bandai-Namco walks directory")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--num-gaits", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table-only", action="store_true", help="only the realism table of the STYLES in the code")
    args = parser.parse_args(argv)
    from real_walks import bandai_walks_found

    if not bandai_walks_found(args.data):
        return 2
    walks = read_bandai_walks(args.data)
    if tuple(walks.label_names) != synthetic.EMOTIONS:
        print(f"error: {args.data}: classes {walks.label_names} differ from {synthetic.EMOTIONS}", file=sys.stderr)
        return 1
    real = measures(walks.joints)
    if not args.table_only:
        print("Rig of the real walks (fractions of body height; MOCAP_SEGMENTS):")
        for name, value in rig_fractions(walks.joints).items():
            print(f"    {name}: {value:.3f}")
        styles = calibrate(class_means(real, walks.labels), args.iterations, args.num_gaits, args.seed)
        print("STYLES = {")
        for emotion, style in styles.items():
            values = ", ".join(f"{getattr(style, field):.3f}" for field in synthetic.STYLE_PARAMETERS)
            print(f'    "{emotion}": EmotionStyle({values}),')
        print("}")
    else:
        styles = synthetic.STYLES
    gaits = synthetic.generate_gaits(num_gaits=args.num_gaits, seed=args.seed, styles=styles)
    print(f"\nPer class, generated ({args.num_gaits} gaits, seed {args.seed}) / real ({len(walks)} Bandai windows), mean ± sd:\n")
    print(realism_table(real, walks.labels, measures(gaits.joints), gaits.labels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
