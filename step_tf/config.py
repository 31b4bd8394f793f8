"""Training configuration: defaults, the paper's published recipe, command-line overrides.

Resolution order (TF Model Garden's habit): the dataclass defaults, then a named
recipe, then explicit overrides; an unknown key is an error. The resolved
configuration is written as ``config.json`` in the run directory, and
``--resume`` reads it back from there.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib

from step_tf.graph import STRATEGIES


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run."""

    model: str = "step"
    data: str = "embedded"
    label_names: tuple[str, ...] | None = None  # None: the data source's own names
    seed: int = 0
    split_fractions: tuple[float, float, float] = (0.7, 0.2, 0.1)
    # Architecture (paper 4.3; kernel 75 is the public code's, 9 the ST-GCN paper's).
    channels: tuple[int, ...] = (32, 64, 64)
    strides: tuple[int, ...] = (1, 2, 2)
    temporal_kernel_size: int = 9
    partition_strategy: str = "spatial"
    dropout_rate: float = 0.1
    # Optimisation.
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 2e-3
    learning_rate_schedule: str = "step"  # step: /10 at 50, 75 and 87.5 % of the epochs; constant
    weight_decay: float = 1e-4
    weight_decay_mode: str = "decoupled"  # coupled: L2 added to the gradient (as published); decoupled: AdamW
    augment: bool = True
    confusion_matrix_every: int = 5  # epochs between confusion-matrix images in TensorBoard

    def validate(self) -> "TrainConfig":
        from step_tf.models.classifiers import MODELS  # models import TensorFlow; keep config import light

        checks = [
            (self.model in MODELS, f"model must be one of {', '.join(MODELS)}, got {self.model!r}"),
            (self.epochs >= 1, f"epochs must be at least 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch size must be at least 1, got {self.batch_size}"),
            (self.learning_rate > 0, f"learning rate must be positive, got {self.learning_rate}"),
            (self.weight_decay >= 0, f"weight decay must be non-negative, got {self.weight_decay}"),
            (self.learning_rate_schedule in ("step", "constant"), f"learning-rate schedule must be step or constant, got {self.learning_rate_schedule!r}"),
            (self.weight_decay_mode in ("coupled", "decoupled"), f"weight-decay mode must be coupled or decoupled, got {self.weight_decay_mode!r}"),
            (self.partition_strategy in STRATEGIES, f"partition strategy must be one of {', '.join(STRATEGIES)}, got {self.partition_strategy!r}"),
            (len(self.channels) == len(self.strides) > 0, f"channels {self.channels} and strides {self.strides} must have one length"),
            (self.temporal_kernel_size >= 1 and self.temporal_kernel_size % 2 == 1, f"temporal kernel size must be a positive odd number, got {self.temporal_kernel_size}"),
            (0 <= self.dropout_rate < 1, f"dropout rate must be in [0, 1), got {self.dropout_rate}"),
            (len(self.split_fractions) == 3 and self.split_fractions[1] > 0,
             f"split fractions must be train,validation,test with a validation part (it picks the best epoch), got {self.split_fractions}"),
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
            return cls.from_dict(json.loads(pathlib.Path(path).read_text()))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: cannot read the run configuration ({error})") from None


# The paper's published settings (section 5.1) with the public code's architecture.
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
        augment=False,
    ),
}


def resolve(recipe: str = "default", **overrides) -> TrainConfig:
    """Defaults, then ``recipe``, then ``overrides`` (keys of ``TrainConfig``)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
    return TrainConfig.from_dict({**RECIPES[recipe], **overrides})
