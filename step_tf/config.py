"""Training configuration: defaults, the paper's published recipe, command-line overrides.

Resolution order (TF Model Garden's habit): the dataclass defaults, then a named
recipe, then explicit overrides; an unknown key is an error. The resolved
configuration is written as ``config.json`` in the run directory, and
``--resume`` reads it back from there.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib

from step_tf.graph import STRATEGIES

# Every trainable classifier (``step_tf.models.baselines.CLASSIFIERS`` maps them to classes;
# the names live here so the CLIs can list them without importing TensorFlow).
MODEL_NAMES = ("step", "baseline_step", "stgcn", "lstm", "affective_svm")
# Where STEP-Gen draws latents from when it generates (step_tf.models.stepgen.STEPGen.generate).
SAMPLERS = ("prior", "aggregate")
# The STEP-Gen CVAE (``step_tf.training.generator``); "cvae_baseline" is it with lambda_c = lambda_d = 0.
GENERATOR_NAMES = ("stepgen", "cvae_baseline")
# tf.distribute strategies of ``step_tf.training.distribution``: one device, several GPUs, several machines (TF_CONFIG).
DISTRIBUTION_STRATEGIES = ("default", "mirrored", "multiworker")

# The recommended architecture of STEP and Baseline-STEP, by their constructor arguments: the
# constructors' defaults (step_tf.models.classifiers) and TrainConfig's model fields both read this
# one table (kept here, beside MODEL_NAMES, so that the CLIs need no TensorFlow); recipes override it.
# Kernel 9 is the ST-GCN paper's (the public STEP code's is 75, the "paper" recipe's).
CLASSIFIER_DEFAULTS = dict(
    channels=(32, 64, 64),
    strides=(1, 2, 2),
    temporal_kernel_size=9,
    strategy="spatial",
    dropout_rate=0.1,
    # Each gait turned to face +z, and joint velocities beside the root-centred positions (the paper's
    # network has neither); the canonical skeleton is off: measured not to undo other rigs (bench/rig_transfer.py).
    heading_normalisation=True,
    motion_input=True,
    canonical_skeleton=False,
)
# The original ST-GCN (Yan et al. 2018), the paper's Table 1 baseline, 10 blocks: STGCN's constructor
# defaults (step_tf.models.baselines) and the architecture of the "stgcn" recipe. Positions only.
ORIGINAL_STGCN = dict(
    channels=(64, 64, 64, 64, 128, 128, 128, 256, 256, 256),
    strides=(1, 1, 1, 1, 2, 1, 1, 2, 1, 1),
    temporal_kernel_size=9,
    dropout_rate=0.5,
)


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run."""

    model: str = "step"
    data: str = "embedded"
    label_names: tuple[str, ...] | None = None  # None: the data source's own names
    # Refuse gaits tiled from under 15 real frames or not in metres (step_tf.data.plausibility).
    plausibility_check: bool = True
    seed: int = 0
    split_fractions: tuple[float, float, float] = (0.7, 0.2, 0.1)
    # Grouped k-fold (``step_tf.data.datasets.grouped_stratified_folds``): with folds >= 2 the test split
    # is fold ``fold``, and validation takes validation / (train + validation) of split_fractions from
    # the other folds' groups.
    folds: int = 0  # 0: one train/validation/test split by split_fractions
    fold: int = 0
    # Architecture (paper 4.3): the classifiers' constructor defaults, CLASSIFIER_DEFAULTS.
    channels: tuple[int, ...] = CLASSIFIER_DEFAULTS["channels"]
    strides: tuple[int, ...] = CLASSIFIER_DEFAULTS["strides"]
    temporal_kernel_size: int = CLASSIFIER_DEFAULTS["temporal_kernel_size"]
    partition_strategy: str = CLASSIFIER_DEFAULTS["strategy"]
    dropout_rate: float = CLASSIFIER_DEFAULTS["dropout_rate"]
    # Inputs of STEP and Baseline-STEP (step_tf.models.classifiers): each gait turned to face +z, and
    # joint velocities beside the root-centred positions. The paper's network has neither.
    heading_normalisation: bool = CLASSIFIER_DEFAULTS["heading_normalisation"]
    motion_input: bool = CLASSIFIER_DEFAULTS["motion_input"]
    # Each gait moved onto one reference skeleton (bone directions kept, root speed in leg lengths) before
    # everything else, so that rigs and body sizes look alike (CanonicalSkeleton). Off until measured.
    canonical_skeleton: bool = CLASSIFIER_DEFAULTS["canonical_skeleton"]
    # Optimisation.
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 2e-3
    learning_rate_schedule: str = "step"  # step: /10 at 50, 75 and 87.5 % of the epochs; constant
    weight_decay: float = 1e-4
    weight_decay_mode: str = "decoupled"  # coupled: L2 added to the gradient (as published); decoupled: AdamW
    augment: bool = True
    slowest_speed: float = 1.0  # augment: each training gait slowed by a factor in [slowest_speed, 1] (1: never)
    smallest_arm_swing: float = 1.0  # augment: each training gait's arm swing scaled by a factor in [smallest_arm_swing, 1] (1: never)
    confusion_matrix_every: int = 5  # epochs between confusion-matrix images in TensorBoard
    strategy: str = "default"  # see DISTRIBUTION_STRATEGIES; batch_size is the global batch over all replicas
    # STEP-Gen (paper 4.2); "cvae_baseline" ignores lambda_c and lambda_d (always 0).
    generator_channels: tuple[int, ...] = (64, 32, 32)  # encoder blocks; the decoder mirrors them (32, 64, then 3)
    generator_strides: tuple[int, ...] = (1, 2, 2)  # encoder strides (the paper gives none)
    latent_dim: int = 32
    lambda_c: float = 1.0  # push loss weight (eq. 6)
    lambda_d: float = 1.0  # pull loss weight (eq. 7)
    kl_weight: float = 1.0
    frame_aware: bool = True  # see step_tf.models.stepgen; False + kernel 75 is the paper's network
    # STEP+Aug: generated gaits join the training split only, never validation or test.
    generated: str | None = None  # a generator run directory, or a FEATURES.h5 written by step_tf.generate
    generated_per_class: int = 0  # gaits per class; 0 takes every gait of a file (a run directory needs N > 0)
    generated_ratio: float | None = None  # fraction of training gaits drawn from generated ones; None pools them
    generated_sampler: str = "prior"  # a generator run's latent density (step_tf.models.stepgen): prior or aggregate

    def validate(self) -> "TrainConfig":
        checks = [
            (self.model in MODEL_NAMES + GENERATOR_NAMES, f"model must be one of {', '.join(MODEL_NAMES + GENERATOR_NAMES)}, got {self.model!r}"),
            (len(self.generator_channels) == len(self.generator_strides) > 0,
             f"generator channels {self.generator_channels} and strides {self.generator_strides} must have one length"),
            (self.latent_dim >= 1, f"latent dimension must be at least 1, got {self.latent_dim}"),
            (min(self.lambda_c, self.lambda_d, self.kl_weight) >= 0,
             f"lambda_c, lambda_d and the KL weight must be non-negative, got {self.lambda_c}, {self.lambda_d}, {self.kl_weight}"),
            (self.generated is None or self.model not in GENERATOR_NAMES, "generated gaits augment a classifier's training data, not a generator's"),
            (self.generated_sampler in SAMPLERS, f"generated sampler must be one of {', '.join(SAMPLERS)}, got {self.generated_sampler!r}"),
            (self.generated_per_class >= 0, f"generated gaits per class must be non-negative, got {self.generated_per_class}"),
            (self.generated_ratio is None or 0 < self.generated_ratio < 1, f"generated ratio must be in (0, 1), got {self.generated_ratio}"),
            (self.generated is not None or (self.generated_per_class == 0 and self.generated_ratio is None),
             "generated-per-class and generated-ratio need --generated, the source of generated gaits"),
            (self.epochs >= 1, f"epochs must be at least 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch size must be at least 1, got {self.batch_size}"),
            (0 < self.learning_rate < math.inf, f"learning rate must be positive and finite, got {self.learning_rate}"),
            (self.weight_decay >= 0, f"weight decay must be non-negative, got {self.weight_decay}"),
            (self.learning_rate_schedule in ("step", "constant"), f"learning-rate schedule must be step or constant, got {self.learning_rate_schedule!r}"),
            (self.weight_decay_mode in ("coupled", "decoupled"), f"weight-decay mode must be coupled or decoupled, got {self.weight_decay_mode!r}"),
            (self.partition_strategy in STRATEGIES, f"partition strategy must be one of {', '.join(STRATEGIES)}, got {self.partition_strategy!r}"),
            (len(self.channels) == len(self.strides) > 0, f"channels {self.channels} and strides {self.strides} must have one length"),
            (min(self.channels + self.strides + self.generator_channels + self.generator_strides) >= 1,
             f"channels and strides must be at least 1, got channels {self.channels}, strides {self.strides}"),
            (self.temporal_kernel_size >= 1 and self.temporal_kernel_size % 2 == 1, f"temporal kernel size must be a positive odd number, got {self.temporal_kernel_size}"),
            (0 < self.slowest_speed <= 1, f"slowest speed must be in (0, 1], got {self.slowest_speed}"),
            (0 <= self.smallest_arm_swing <= 1, f"smallest arm swing must be in [0, 1], got {self.smallest_arm_swing}"),
            (0 <= self.dropout_rate < 1, f"dropout rate must be in [0, 1), got {self.dropout_rate}"),
            (len(self.split_fractions) == 3 and self.split_fractions[1] > 0,
             f"split fractions must be train,validation,test with a validation part (it picks the best epoch), got {self.split_fractions}"),
            (self.strategy in DISTRIBUTION_STRATEGIES,
             f"strategy must be one of {', '.join(DISTRIBUTION_STRATEGIES)}, got {self.strategy!r}"),
            (self.strategy == "default" or self.model not in GENERATOR_NAMES,
             f"generators train on one device; strategy {self.strategy!r} is for classifiers"),
            (self.folds == 0 or self.folds >= 2, f"k-fold needs at least 2 folds (0: no k-fold), got {self.folds}"),
            (0 <= self.fold < max(self.folds, 1), f"fold must be in 0 .. {max(self.folds, 1) - 1} for {self.folds} folds, got {self.fold}"),
            (self.confusion_matrix_every >= 1, f"confusion-matrix interval must be at least 1, got {self.confusion_matrix_every}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        return self

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {field.name: field for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown configuration key(s): {', '.join(unknown)}")
        # JSON turns tuples into lists; restore them so configs compare equal.
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}).validate()

    @classmethod
    def load(cls, path: pathlib.Path) -> "TrainConfig":
        try:
            values = json.loads(pathlib.Path(path).read_text())
            # Runs configured before these inputs existed were trained without them.
            values.setdefault("heading_normalisation", False)
            values.setdefault("motion_input", False)
            values.setdefault("canonical_skeleton", False)
            return cls.from_dict(values)
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: cannot read the run configuration ({error})") from None


# Named starting points (``--recipe``). "paper": the published settings (section 5.1) with the public
# code's architecture; a model's name: that model's own settings, which ``step_tf.compare`` applies to it.
RECIPES = {
    "default": {},
    "paper": dict(
        epochs=500,
        batch_size=8,
        learning_rate=0.1,
        learning_rate_schedule="step",
        weight_decay=5e-4,
        weight_decay_mode="coupled",
        temporal_kernel_size=75,
        strides=(1, 2, 2),
        partition_strategy="spatial",
        dropout_rate=0.0,
        motion_input=False,
        augment=False,
    ),
    # The original ST-GCN (Yan et al. 2018), the paper's Table 1 baseline: 10 blocks.
    "stgcn": dict(model="stgcn", **ORIGINAL_STGCN),
    # The linear SVM (29 weights per class) converges in a few hundred large steps, which the deep
    # networks' 30 epochs at 2e-3 do not give it on a few hundred gaits. No augmentation: rotation
    # leaves the affective features unchanged and scaling only blurs the distances. The coupled
    # L2 is the SVM's penalty lambda / 2 ||w||^2 (C = 1 / (n lambda) for n training gaits).
    "affective_svm": dict(
        model="affective_svm",
        epochs=80,
        batch_size=128,
        learning_rate=0.03,
        learning_rate_schedule="step",
        weight_decay=1e-4,
        weight_decay_mode="coupled",
        augment=False,
    ),
    # Small real data (bench/real_walks.py: about 330 training windows of 12 clips a fold). A narrower
    # network (about 30 k weights) with more dropout and weight decay; no epoch is chosen on validation:
    # a fixed schedule, so all training clips train.
    "real": dict(
        channels=(16, 32, 32),
        strides=(1, 2, 2),
        temporal_kernel_size=9,
        dropout_rate=0.3,
        epochs=40,
        batch_size=16,
        learning_rate=2e-3,
        weight_decay=1e-3,
        weight_decay_mode="decoupled",
        augment=True,
    ),
}


# STEP-Gen's settings where they differ from the classifiers'. default: 60 epochs (pipelines.stepgen_report
# on 800 embedded gaits: after 20 the limbs moved at 0.22-0.37 of real speed, after 60 at 0.71-0.78).
# paper (5.1): 150 epochs, the rate /10 after 75, 113 and 132 epochs (the step decay's 50, 75, 87.5 %
# give 75, 112 and 131), and the paper's decoder.
GENERATOR_RECIPES = {
    "default": dict(RECIPES["default"], epochs=60),
    "paper": dict(RECIPES["paper"], epochs=150, frame_aware=False),
}


def resolve(recipe: str = "default", **overrides) -> TrainConfig:
    """Defaults, then ``recipe``, then ``overrides`` (keys of ``TrainConfig``).

    A generator model takes ``GENERATOR_RECIPES[recipe]`` where there is one.
    """
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
    settings = RECIPES[recipe]
    if overrides.get("model") in GENERATOR_NAMES:
        settings = GENERATOR_RECIPES.get(recipe, settings)
    return TrainConfig.from_dict({**settings, **overrides})
