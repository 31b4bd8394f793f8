"""Sim-to-real: a classifier trained on the embedded synthetic set only, scored on real walks.

Not a timing. Two measurements on the Bandai-Namco forward walks (the protocol of
``bench/real_walks.py``: angry / normal / happy / sad, 4 clips per class, 75-frame windows
every 15 frames, 150 windows):

1. **Zero-shot**: the embedded-trained model (a run of ``python -m step_tf.fit`` or a
   ``.keras`` file; by default the model shipped in the package) scores every window. Pooled
   balanced accuracy with a clip-bootstrap interval, per-class recall, the confusion matrix
   and a clip vote (probabilities averaged over a clip's windows).
2. **Fine-tuning** (``--fine-tune``): in each of the four clip folds, an embedded-trained model
   trained further on the fold's training clips (the ``real`` recipe's epochs, batch and weight
   decay at ``--learning-rate-factor`` (0.1) of its learning rate; the model's own affective
   scaling kept, or refitted on the real training windows with ``--readapt-scaling``), beside
   STEP trained on those clips alone with the ``real`` recipe (as in ``bench/real_walks.py``),
   both scored on the fold's test clip of every class, pooled over folds. The embedded model
   of a fold is pretrained anew on an embedded set calibrated on that fold's training clips
   only (``bench/calibrate_embedded.py``; 2,000 gaits, the default recipe or, with
   ``--pretrain-recipe real``, STEP alone's network; its last epoch), so no statistic of a test
   clip reaches it.

The shipped embedded set's prototypes were calibrated on all these walks' class means
(``bench/calibrate_embedded.py``), so the zero-shot figure measures transfer from a generator
that knows the four classes' mean speed, posture and arm swing of this actor, test clips
included; it is not the figure of a model that never met the actor's statistics.

    python bench/sim_to_real.py                          # zero-shot with the shipped model
    python bench/sim_to_real.py --model runs/RUN --fine-tune   # also pretraining per fold and fine-tuning (~40 min)
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
FINE_TUNE_LEARNING_RATE_FACTOR = 0.1


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="the Bandai-Namco dataset-1 BVH folder")
    parser.add_argument("--model", help="a run directory or .keras file trained on the embedded set (default: the shipped model)")
    parser.add_argument("--fine-tune", action="store_true", help="also fine-tune per fold against STEP trained on the fold alone")
    parser.add_argument("--folds", default="0,1,2,3", help="folds for --fine-tune")
    parser.add_argument("--epochs", type=int, help="override the real recipe's epochs (smoke runs)")
    parser.add_argument("--validate", action="store_true",
                        help="--fine-tune on validation clips: in fold k, score clip k+1 (mod 4) of every class, train on the "
                             "two other training clips; the test clips are not read")
    parser.add_argument("--learning-rate-factor", type=float, default=FINE_TUNE_LEARNING_RATE_FACTOR,
                        help="fine-tuning learning rate as a fraction of the real recipe's")
    parser.add_argument("--readapt-scaling", action="store_true",
                        help="fine-tuning: refit the affective standardisation on the fold's real training windows")
    parser.add_argument("--pretrain-recipe", default="default", choices=("default", "real"),
                        help="the per-fold pretraining's recipe and so the fine-tuned network: the default model, or the "
                             "real recipe's (the network STEP alone trains)")
    parser.add_argument("--pretrain-epochs", type=int, help="override the pretraining recipe's epochs")
    parser.add_argument("--train-stride", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=pathlib.Path, default=REPOSITORY / "bench" / "results" / "sim_to_real.json")
    return parser


def load_classifier(path: str | None):
    """The embedded-trained Keras classifier: a run's ``best.keras``, a ``.keras`` file, or the shipped model."""
    import step_tf.models  # noqa: F401  (registers the custom layers for loading)
    from step_tf.pretrained import default_run
    from step_tf.runs import best_model_path, load_keras_model

    path = pathlib.Path(path) if path else default_run()
    return load_keras_model(best_model_path(path) if path.is_dir() else path), path


def pretrained_on_fold(train, seed: int, epochs: int | None, recipe: str = "default"):
    """STEP trained on an embedded set calibrated on ``train``'s class means only (see the module docstring)."""
    import keras

    from calibrate_embedded import calibrate, class_means, measures
    from step_tf.config import resolve
    from step_tf.data.datasets import gait_dataset
    from step_tf.data.synthetic import generate_gaits
    from step_tf.training.loop import build_model, scaling_gaits, step_decay, training_augmentation

    styles = calibrate(class_means(measures(train.joints), train.labels), iterations=6, num_gaits=1000, seed=seed)
    embedded = generate_gaits(num_gaits=2000, seed=seed, styles=styles)
    config = resolve(recipe, seed=seed, **({"epochs": epochs} if epochs else {}))
    keras.utils.set_random_seed(seed)
    augmentation = training_augmentation(config)
    model = build_model(config, embedded.num_classes)
    model.adapt_feature_scaling(scaling_gaits(embedded.joints, augmentation, seed))
    data = gait_dataset(embedded, config.batch_size, shuffle=True, augmentation=augmentation, seed=seed)
    model.fit(data, epochs=config.epochs, callbacks=[keras.callbacks.LearningRateScheduler(step_decay(config.learning_rate, config.epochs))],
              verbose=0)
    return model


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from real_walks import bandai_walks_found, clip_vote, network_probabilities, scores
    from step_tf.config import resolve
    from step_tf.data.bandai import clip_folds, read_bandai_walks
    from step_tf.training.loop import make_optimizer

    if not bandai_walks_found(args.data):
        return 2
    started = time.time()
    windows = read_bandai_walks(args.data)
    names = windows.label_names
    model, model_path = load_classifier(args.model)
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(windows.joints, batch_size=256, verbose=0)))
    results = {"command": " ".join(sys.argv), "learning_rate_factor": args.learning_rate_factor, "pretrain_recipe": args.pretrain_recipe,
               "readapt_scaling": args.readapt_scaling, "model": str(model_path), "windows": len(windows), "zero_shot": {}}
    zero_shot = scores(windows.labels, probabilities, windows.groups, names)
    voted = scores(windows.labels, clip_vote(probabilities, windows.groups), windows.groups, names)
    predicted = np.bincount(probabilities.argmax(axis=1), minlength=len(names))
    results["zero_shot"] = {"windows": zero_shot, "clip_vote": voted, "predicted_counts": predicted.tolist()}
    print(f"Zero-shot, {model_path}, {len(windows)} Bandai windows ({len(np.unique(windows.groups))} clips):")
    print(f"  balanced accuracy {zero_shot['balanced_accuracy']:.3f} [{zero_shot['interval'][0]:.2f}, {zero_shot['interval'][1]:.2f}] "
          f"(clip vote {voted['balanced_accuracy']:.3f} [{voted['interval'][0]:.2f}, {voted['interval'][1]:.2f}])")
    print("  recall " + ", ".join(f"{name} {zero_shot['recall'][name]:.2f}" for name in names))
    print("  windows called " + ", ".join(f"{name} {count}" for name, count in zip(names, predicted)))
    print("  confusion (rows true, columns predicted): " + json.dumps(zero_shot["confusion_matrix"]))

    if args.fine_tune:
        train_windows = read_bandai_walks(args.data, stride=args.train_stride)
        test_fold, train_fold = clip_folds(windows), clip_folds(train_windows)
        overrides = {"epochs": args.epochs} if args.epochs else {}
        config = resolve("real", seed=args.seed, **overrides)
        folds = [int(fold) for fold in args.folds.split(",")]
        scored_fold = {fold: (fold + 1) % 4 if args.validate else fold for fold in folds}
        tested = np.isin(test_fold, list(scored_fold.values()))
        runs = {"step_alone": np.zeros((len(windows), len(names))), "fine_tuned": np.zeros((len(windows), len(names)))}
        tuning = dataclasses.replace(config, learning_rate=config.learning_rate * args.learning_rate_factor)
        for fold in folds:
            train = train_windows.subset(np.flatnonzero((train_fold != fold) & (train_fold != scored_fold[fold])))
            test_index = np.flatnonzero(test_fold == scored_fold[fold])
            tick = time.time()
            runs["step_alone"][test_index] = network_probabilities(config, train, windows.joints[test_index], windows.joints[:1])[0]
            initial = pretrained_on_fold(train, args.seed, args.pretrain_epochs, args.pretrain_recipe)
            if args.readapt_scaling:
                from step_tf.training.loop import scaling_gaits, training_augmentation

                initial.adapt_feature_scaling(scaling_gaits(train.joints, training_augmentation(tuning), args.seed))
            print(f"fold {fold}: STEP alone and pretraining {time.time() - tick:.0f} s", flush=True)
            initial.compile(optimizer=make_optimizer(tuning), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
            runs["fine_tuned"][test_index] = network_probabilities(
                tuning, train, windows.joints[test_index], windows.joints[:1], initial_model=initial
            )[0]
            print(f"fold {fold}: {time.time() - tick:.0f} s", flush=True)
        labels, clips = windows.labels[tested], windows.groups[tested]
        results["validation"] = args.validate
        print(f"\nFine-tuning, {int(tested.sum())} {'validation' if args.validate else 'test'} windows, folds {folds}; "
              "balanced accuracy [95 % clip bootstrap]:")
        for run, run_probabilities in runs.items():
            window = scores(labels, run_probabilities[tested], clips, names)
            results[run] = window
            recall = " / ".join(f"{window['recall'][name]:.2f}" for name in names)
            print(f"  {run}: {window['balanced_accuracy']:.3f} [{window['interval'][0]:.2f}, {window['interval'][1]:.2f}]; recall {recall}")
    results["seconds"] = round(time.time() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"\n{results['seconds']} s; written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
