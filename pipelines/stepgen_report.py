"""STEP-Gen's figures on the embedded data set: FID table, quality, loss curves, STEP vs STEP+Aug.

``python -m pipelines.stepgen_report --out DIR [--gaits N --generator-epochs E --classifier-epochs E --seeds 0,1,2]``

For every seed, on one split (``TrainConfig.seed`` fixes split and initialisation):

1. a STEP classifier on real gaits (its penultimate features give FID; it also
   judges whether generated gaits carry their label);
2. STEP-Gen, and for the first seed the Baseline CVAE (lambda_c = lambda_d = 0),
   trained on the same training split, so no test gait is ever seen by a generator;
3. (first seed) FID against the held-out real gaits (validation + test, canonical
   view) of STEP-Gen and the Baseline CVAE, each sampling the prior and each
   class's aggregate posterior, of a memoriser that returns training gaits, and
   of a static mean pose; the quality figures of ``step_tf.evaluation.generated_quality``;
   and whether the decoder uses its label input (held-out gaits decoded with
   the next class's label: how often the classifier sees that label);
4. STEP+Aug: STEP trained on the training split plus ``--per-class`` generated
   gaits per class from that seed's STEP-Gen (``--sampler``); test accuracy next to STEP's.

Writes ``DIR/report.json`` and ``DIR/push_pull_losses.png``; every run directory
(with TensorBoard logs) lies under ``DIR/runs``.
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from step_tf.cli import int_list  # noqa: E402
from step_tf.config import SAMPLERS  # noqa: E402


def _history(run_dir: pathlib.Path) -> dict[str, list[float]]:
    with open(run_dir / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) for row in rows] for key in rows[0]}


def loss_curves_png(runs: dict[str, pathlib.Path], path: pathlib.Path) -> None:
    """Push and pull losses (training, per epoch) of each generator run, as in paper Figure 5."""
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6), dpi=100)
    for label, run_dir in runs.items():
        history = _history(run_dir)
        epochs = np.arange(1, len(history["loss"]) + 1)
        for axis, key, title in zip(axes, ("push_loss", "pull_loss", "reconstruction_loss"),
                                    ("push L_c (eq. 6)", "pull L_d (eq. 7)", "reconstruction L_o (eq. 3)")):
            axis.plot(epochs, history[key], label=label)
            axis.set_title(title)
            axis.set_xlabel("epoch")
            axis.set_yscale("log")
    axes[0].set_ylabel("training loss per gait")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(argv=None) -> int:
    arguments = argparse.ArgumentParser(prog="python -m pipelines.stepgen_report", description=__doc__.split("\n\n")[0])
    arguments.add_argument("--out", type=pathlib.Path, required=True)
    arguments.add_argument("--gaits", type=int, default=200, help="embedded gaits (default 200)")
    arguments.add_argument("--generator-epochs", type=int, default=15)
    arguments.add_argument("--classifier-epochs", type=int, default=12)
    arguments.add_argument("--per-class", type=int, default=40, help="generated gaits per class for FID and STEP+Aug")
    arguments.add_argument("--seeds", type=int_list, default=(0, 1, 2), help="comma-separated seeds (default 0,1,2)")
    arguments.add_argument("--sampler", choices=SAMPLERS, default="aggregate", help="STEP+Aug's latent density (default aggregate)")
    args = arguments.parse_args(argv)

    from step_tf import fit
    from step_tf.data.gaits import GaitSet, concatenate
    from step_tf.data.preprocess import canonical_view
    from step_tf.data.sources import load_gaits
    from step_tf.data.synthetic import generate_gaits
    from step_tf.evaluation.fid import frechet_distance, gait_feature_extractor, gait_features
    from step_tf.evaluation.generated_quality import label_accuracy, quality_report
    from step_tf.runs import best_model_path, is_finished, load_generator, load_keras_model, read_metrics, read_split
    from step_tf.training.generated import generate_gait_set

    runs = args.out / "runs"
    data = f"embedded:{args.gaits}"
    common = ["--data", data, "--batch-size", "16", "--temporal-kernel-size", "9", "--verbose", "2"]
    classifier_options = [*common, "--epochs", str(args.classifier_epochs), "--channels", "16,32,32", "--strides", "1,2,2"]
    generator_options = [*common, "--epochs", str(args.generator_epochs), "--generator-channels", "32,16,16", "--latent-dim", "16"]

    def run(name, options):
        run_dir = runs / name
        if not is_finished(run_dir):
            if fit.main(["--run-dir", str(run_dir), *options]) != 0:
                raise SystemExit(f"training {name} failed")
        return run_dir

    report = {"data": data, "generator_options": generator_options, "classifier_options": classifier_options,
              "step_aug_sampler": args.sampler, "accuracy": {}}
    seeds = args.seeds
    for seed in seeds:
        seed_options = ["--seed", str(seed)]
        classifier_dir = run(f"step-seed{seed}", ["--model", "step", *classifier_options, *seed_options])
        generator_dir = run(f"stepgen-seed{seed}", ["--model", "stepgen", *generator_options, *seed_options])
        augmented_dir = run(f"step_aug_{args.sampler}-seed{seed}", ["--model", "step", *classifier_options, *seed_options,
                                                                   "--generated", str(generator_dir), "--generated-per-class", str(args.per_class),
                                                                   "--generated-sampler", args.sampler])
        report["accuracy"][seed] = {
            name: read_metrics(run_dir)["test"]["accuracy"]
            for name, run_dir in (("STEP", classifier_dir), ("STEP+Aug", augmented_dir))
        }
        if seed != seeds[0]:
            continue
        baseline_dir = run(f"cvae_baseline-seed{seed}", ["--model", "cvae_baseline", *generator_options, *seed_options])
        loss_curves_png({"STEP-Gen (push-pull)": generator_dir, "Baseline CVAE (L_c, L_d not optimised)": baseline_dir},
                        args.out / "push_pull_losses.png")

        gaits = load_gaits(data)
        noise_free = generate_gaits(num_gaits=args.gaits, seed=0, noise_sd=0.0)
        split = read_split(generator_dir)
        index = {key: i for i, key in enumerate(gaits.keys)}

        def part(name):
            chosen = gaits.subset(np.array([index[key] for key in split[name]]))
            return GaitSet(canonical_view(chosen.joints), chosen.labels, chosen.label_names, chosen.groups, chosen.keys)

        train, held_out = part("train"), concatenate([part("validation"), part("test")])
        classifier = load_keras_model(best_model_path(classifier_dir))
        extractor = gait_feature_extractor(classifier)
        reference = gait_features(extractor, held_out.joints)
        num = args.per_class * gaits.num_classes
        rng = np.random.default_rng(seed)
        memorised = train.subset(rng.choice(len(train), size=num, replace=num > len(train)))
        memorised = GaitSet(memorised.joints, memorised.labels, memorised.label_names)  # repeated picks need fresh keys
        mean_pose = np.broadcast_to(train.joints.mean(axis=(0, 1)), (num, *train.joints.shape[1:]))
        generators = {"STEP-Gen": load_generator(generator_dir), "Baseline CVAE": load_generator(baseline_dir)}
        candidates = {
            **{f"{name} ({sampler})": generate_gait_set(*generator, args.per_class, seed=seed, sampler=sampler)
               for name, generator in generators.items() for sampler in SAMPLERS},
            "memoriser (training gaits)": memorised,
            "static mean pose": GaitSet(mean_pose.copy(), np.repeat(np.arange(gaits.num_classes), args.per_class), gaits.label_names),
            "real training gaits (reference)": train,
            # The same gaits without their 3 mm observation noise (embedded:N is seed 0): FID must put them beside the noisy ones.
            "real training gaits without noise": GaitSet(
                canonical_view(noise_free.joints[[index[key] for key in split["train"]]]), train.labels, train.label_names),
        }
        report["fid_reference"] = f"{len(held_out)} held-out real gaits (validation + test), features: STEP dense_128"
        report["fid"] = {name: frechet_distance(gait_features(extractor, generated.joints), reference) for name, generated in candidates.items()}
        report["quality"] = {name: quality_report(generated, train, held_out, classifier)
                             for name, generated in candidates.items() if not name.startswith(("static", "real"))}
        # Does the decoder use its label input? Held-out posterior means decoded with their own and the next class's label.
        report["label_use"] = {}
        for name, (generator, _) in generators.items():
            latent = generator.encode(held_out.joints, held_out.labels).mean()
            for title, labels in (("own label", held_out.labels), ("next class's label", (held_out.labels + 1) % gaits.num_classes)):
                decoded = GaitSet(np.asarray(generator.decode(latent, labels, training=False)), labels, gaits.label_names)
                report["label_use"].setdefault(name, {})[title] = label_accuracy(classifier, decoded)
    accuracies = np.array([[values["STEP"], values["STEP+Aug"]] for values in report["accuracy"].values()])
    report["accuracy_mean"] = {"STEP": float(accuracies[:, 0].mean()), "STEP+Aug": float(accuracies[:, 1].mean())}
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
