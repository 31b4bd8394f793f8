"""The real-data benchmark: emotion from the Bandai-Namco walks, STEP beside simple baselines in one run.

Not a timing: it prints a table of pooled balanced accuracy with clip-level bootstrap
intervals and writes JSON to ``bench/results/real_walks.json``.

Protocol (``step_tf.data.bandai``): the forward walks (walk x2, walk-left, walk-right) of
angry / normal / happy / sad, 4 clips per class; fold k tests on the k-th clip of every class
and trains on the other 12 clips. Test windows: 75 frames every 15 (150 windows in all).
Training windows: every ``--train-stride`` frames of the training clips (more windows of the
same walks). Nothing is chosen on the test clips: every model trains a fixed recipe for a fixed
number of epochs (``step_tf.config.RECIPES["real"]``, chosen on validation clips, see README).

Models, all on the same folds and windows:

* ``affective_logistic``: logistic regression on the 29 affective features, standardised on
  each training fold (scikit-learn);
* ``measures_lda``: linear discriminant analysis (shrinkage) on the twelve interpretable gait
  measures of ``step_tf.evaluation.gait_measures``, standardised on each training fold;
* ``baseline_step``, ``step``: the networks with the ``real`` recipe;
* ``step_aug_Nx``: STEP trained on its real windows plus N generated gaits per real training
  window from a STEP-Gen trained on the same fold's training windows only (the paper's Figure 4),
  for ``epochs / (1 + N)`` epochs: the same number of gradient steps as STEP, so that a gain
  comes from the generated gaits and not from longer training.

Each model's probabilities are also averaged over the test windows of a clip ("clip vote"): a
user with a whole walk would do that. Both figures are reported; the open-set probe lists what
the models of the four folds say about the 11 other styles.

    python bench/real_walks.py                            # the full run (about an hour on 2 cores)
    python bench/real_walks.py --folds 0 --epochs 2 --generated 0 --generator-epochs 1   # a smoke run
    python bench/real_walks.py --describe                 # each clip's gait measures, no training
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import sys
import time

import numpy as np

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPOSITORY.parent / "shared" / "data" / "bandai-namco-ds1-walks"
sys.path.insert(0, str(REPOSITORY))


def bandai_walks_found(directory: pathlib.Path) -> bool:
    """Whether the Bandai-Namco walks are at ``directory``; if not, says so on standard error."""
    if directory.is_dir():
        return True
    print(f"error: {directory}: the Bandai-Namco walks are missing (expected ../shared/data/bandai-namco-ds1-walks "
          "beside the repository, or pass --data DIR)", file=sys.stderr)
    return False


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="the Bandai-Namco dataset-1 BVH folder")
    parser.add_argument("--folds", default="0,1,2,3", help="folds to run (0-3)")
    parser.add_argument("--models", default="affective_logistic,measures_lda,baseline_step,step")
    parser.add_argument("--generated", default="1,2,4", help="STEP+Aug: generated gaits per real training window (0: none)")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs (smoke runs)")
    parser.add_argument("--generator-epochs", type=int, default=60)
    parser.add_argument("--train-stride", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--validate", action="store_true",
                        help="choose recipes: in fold k, score clip k+1 (mod 4) of every class, train on the two other "
                             "training clips; the test clips are not read")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting of the networks' recipe (JSON value), e.g. --set dropout_rate=0.5")
    parser.add_argument("--out", type=pathlib.Path, default=REPOSITORY / "bench" / "results" / "real_walks.json")
    parser.add_argument("--describe", action="store_true",
                        help="print each clip's mean of the twelve gait measures over its test windows, train nothing")
    return parser


def describe_clips(windows) -> None:
    """A table of each clip's gait measures (``step_tf.evaluation.gait_measures``), mean over its windows."""
    from step_tf.evaluation.gait_measures import MEASURE_NAMES, gait_measures

    measures = gait_measures(windows.joints)
    print("| clip | label | windows | " + " | ".join(MEASURE_NAMES) + " |")
    print("|---|---|---|" + "---|" * len(MEASURE_NAMES))
    for clip in np.unique(windows.groups):
        in_clip = windows.groups == clip
        label = windows.label_names[windows.labels[in_clip][0]]
        print(f"| {clip} | {label} | {in_clip.sum()} | " + " | ".join(f"{value:.2f}" for value in measures[in_clip].mean(axis=0)) + " |")


def sklearn_probabilities(name: str, train_joints, train_labels, test_joints) -> np.ndarray:
    """Class probabilities ``(N_test, 4)`` of a standardised linear baseline fitted on the training windows."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from step_tf.evaluation.gait_measures import gait_measures
    from step_tf.features import affective_features

    if name == "affective_logistic":
        describe = lambda joints: affective_features(joints).numpy()  # noqa: E731
        classifier = LogisticRegression(C=1.0, max_iter=5000)
    else:
        describe = gait_measures
        classifier = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
    model = make_pipeline(StandardScaler(), classifier).fit(describe(train_joints), train_labels)
    return model.predict_proba(describe(test_joints))


def network_probabilities(config, train, test_joints, other_joints, generated=None, initial_model=None):
    """Trains ``config`` on ``train`` (plus ``generated``) for its epochs; probabilities on the test and other-style windows.

    ``initial_model``: fine-tune this compiled model (its affective scaling kept) instead of a new one.
    """
    import keras

    from step_tf.data.datasets import gait_dataset
    from step_tf.data.datasets import augmented_training_dataset
    from step_tf.training.loop import build_model, scaling_gaits, step_decay, training_augmentation

    keras.utils.set_random_seed(config.seed)
    augmentation = training_augmentation(config)
    if generated is None:
        data = gait_dataset(train, config.batch_size, shuffle=True, augmentation=augmentation, seed=config.seed)
    else:
        data = augmented_training_dataset(train, generated, config.batch_size, augmentation=augmentation, seed=config.seed)
    model = initial_model
    if model is None:
        model = build_model(config, train.num_classes)
        if hasattr(model, "adapt_feature_scaling"):
            model.adapt_feature_scaling(scaling_gaits(train.joints, augmentation, config.seed))
    callbacks = [keras.callbacks.LearningRateScheduler(step_decay(config.learning_rate, config.epochs))] \
        if config.learning_rate_schedule == "step" else []
    model.fit(data, epochs=config.epochs, callbacks=callbacks, verbose=0)
    probabilities = lambda joints: keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(joints, batch_size=256, verbose=0)))  # noqa: E731
    return probabilities(test_joints), probabilities(other_joints)


def train_generator_on(train, epochs: int, seed: int):
    """A STEP-Gen trained on the fold's training windows only (no validation: fixed epochs)."""
    import keras

    from step_tf.config import resolve
    from step_tf.data.datasets import gait_dataset
    from step_tf.data.preprocess import canonical_view
    from step_tf.training.generator import build_generator

    config = resolve(model="stepgen", epochs=epochs, seed=seed)
    keras.utils.set_random_seed(seed)
    views = canonical_view(train.joints)
    model = build_generator(config, train.num_classes, train.num_frames)
    model.adapt(views)
    model.fit(gait_dataset(type(train)(views, train.labels, train.label_names), config.batch_size, shuffle=True, seed=seed),
              epochs=epochs, verbose=0)
    return model


def clip_vote(probabilities: np.ndarray, clips: np.ndarray) -> np.ndarray:
    """Each window's probabilities replaced by the mean over its clip's windows."""
    voted = np.empty_like(probabilities)
    for clip in np.unique(clips):
        voted[clips == clip] = probabilities[clips == clip].mean(axis=0)
    return voted


def scores(true_labels, probabilities, clips, label_names) -> dict:
    from step_tf.evaluation.metrics import accuracy_interval, classification_report

    predicted = probabilities.argmax(axis=1)
    report = classification_report(true_labels, predicted, label_names)
    interval = accuracy_interval(true_labels, predicted, groups=clips, statistic="balanced_accuracy", num_resamples=4000)
    return {
        "balanced_accuracy": report["balanced_accuracy"],
        "interval": [interval["low"], interval["high"]],
        "recall": {name: report["per_class"][name]["recall"] for name in label_names},
        "confusion_matrix": report["confusion_matrix"],
    }


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from step_tf.config import resolve
    from step_tf.data.bandai import clip_folds, read_bandai_other_styles, read_bandai_walks
    from step_tf.training.generated import generate_gait_set

    if not bandai_walks_found(args.data):
        return 2
    started = time.time()
    test_windows = read_bandai_walks(args.data)  # stride 15
    if args.describe:
        describe_clips(test_windows)
        return 0
    train_windows = read_bandai_walks(args.data, stride=args.train_stride)
    test_fold, train_fold = clip_folds(test_windows), clip_folds(train_windows)
    other_styles, other_clips, other_joints = read_bandai_other_styles(args.data)
    names = test_windows.label_names
    models = [m for m in args.models.split(",") if m]
    ratios = [int(r) for r in args.generated.split(",") if r and int(r) > 0]
    overrides = {key: json.loads(value) for key, _, value in (item.partition("=") for item in args.set)}
    if args.epochs:
        overrides["epochs"] = args.epochs
    config = resolve("real", seed=args.seed, **overrides)
    runs = models + [f"step_aug_{ratio}x" for ratio in ratios]
    probabilities = {run: np.zeros((len(test_windows), len(names))) for run in runs}
    other = {run: np.zeros((len(other_joints), len(names))) for run in runs}
    folds = [int(f) for f in args.folds.split(",")]
    tested = np.isin(test_fold, [(fold + 1) % 4 if args.validate else fold for fold in folds])
    for fold in folds:
        scored = (fold + 1) % 4 if args.validate else fold
        train = train_windows.subset(np.flatnonzero((train_fold != fold) & (train_fold != scored)))
        test_index = np.flatnonzero(test_fold == scored)
        test_joints = test_windows.joints[test_index]
        for run in models:
            tick = time.time()
            if run in ("affective_logistic", "measures_lda"):
                probabilities[run][test_index] = sklearn_probabilities(run, train.joints, train.labels, test_joints)
                other[run] += sklearn_probabilities(run, train.joints, train.labels, other_joints) / len(folds)
            else:
                test_p, other_p = network_probabilities(resolve("real", seed=args.seed, **{**overrides, "model": run}), train, test_joints, other_joints)
                probabilities[run][test_index] = test_p
                other[run] += other_p / len(folds)
            print(f"fold {fold} {run}: {time.time() - tick:.0f} s", flush=True)
        if ratios:
            tick = time.time()
            generator = train_generator_on(train, args.generator_epochs, args.seed)
            print(f"fold {fold} STEP-Gen: {time.time() - tick:.0f} s", flush=True)
            for ratio in ratios:
                tick = time.time()
                per_class = int(np.ceil(ratio * len(train) / len(names)))
                generated = generate_gait_set(generator, names, per_class, seed=args.seed)
                same_steps = dataclasses.replace(config, epochs=max(1, round(config.epochs / (1 + ratio))))
                test_p, other_p = network_probabilities(same_steps, train, test_joints, other_joints, generated)
                probabilities[f"step_aug_{ratio}x"][test_index] = test_p
                other[f"step_aug_{ratio}x"] += other_p / len(folds)
                print(f"fold {fold} step_aug_{ratio}x: {time.time() - tick:.0f} s", flush=True)

    labels, clips = test_windows.labels[tested], test_windows.groups[tested]
    predicted = {run: probabilities[run][tested].argmax(axis=1) for run in runs}
    # Per-window probabilities, so that votes and ensembles can be studied without re-training.
    windows_scored = {"keys": test_windows.keys[tested].tolist(), "labels": labels.tolist(),
                      "predicted": {run: predicted[run].tolist() for run in runs},
                      "probabilities": {run: np.round(probabilities[run][tested], 5).tolist() for run in runs}}
    results = {"command": " ".join(sys.argv), "validation": args.validate, "windows_scored": windows_scored,
               "settings": overrides, "folds": folds, "windows": int(tested.sum()), "models": {}, "open_set": {}}
    print(f"\n{int(tested.sum())} {'validation' if args.validate else 'test'} windows of {len(np.unique(clips))} clips, folds {folds}; "
          f"balanced accuracy pooled over folds [95 % clip-bootstrap interval]\n")
    print("| model | windows | clip vote | recall angry / neutral / happy / sad (windows) |")
    print("|---|---|---|---|")
    for run in runs:
        window = scores(labels, probabilities[run][tested], clips, names)
        voted = scores(labels, clip_vote(probabilities[run][tested], clips), clips, names)
        results["models"][run] = {"windows": window, "clip_vote": voted}
        recall = " / ".join(f"{window['recall'][name]:.2f}" for name in names)
        print(f"| {run} | {window['balanced_accuracy']:.3f} [{window['interval'][0]:.2f}, {window['interval'][1]:.2f}] "
              f"| {voted['balanced_accuracy']:.3f} [{voted['interval'][0]:.2f}, {voted['interval'][1]:.2f}] | {recall} |")
    print("\nWhat each model says about each window of a clip, in time order (a/n/h/s)\n")
    print("| clip | label | " + " | ".join(runs) + " |")
    print("|---|---|" + "---|" * len(runs))
    for clip in np.unique(clips):
        in_clip = clips == clip
        calls = ["".join(names[label][0] for label in predicted[run][in_clip]) for run in runs]
        print(f"| {clip} | {names[labels[in_clip][0]]} | " + " | ".join(calls) + " |")
    print("\nOpen-set probe: share of each style's windows given each label (mean of the folds' models; no score)\n")
    print("| style | " + " | ".join(f"{run}: {'/'.join(n[0] for n in names)}" for run in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for style in sorted(set(other_styles.tolist())):
        cells = []
        for run in runs:
            shares = np.bincount(other[run][other_styles == style].argmax(axis=1), minlength=len(names)) / np.sum(other_styles == style)
            results["open_set"].setdefault(style, {})[run] = shares.tolist()
            cells.append(" ".join(f"{share:.2f}" for share in shares))
        print(f"| {style} | " + " | ".join(cells) + " |")
    results["seconds"] = round(time.time() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"\n{results['seconds']} s; written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
