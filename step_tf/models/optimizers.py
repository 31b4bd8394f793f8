"""Adam with weight decay coupled into the gradient, as PyTorch's ``Adam(weight_decay=...)`` does.

The STEP paper and code train with Adam and weight decay ``lambda``. PyTorch adds
``lambda * w`` to every parameter's gradient *before* Adam's moment estimates
(L2 regularisation of the loss ``L + lambda / 2 * ||w||^2``), which is not the
decoupled decay of AdamW (Loshchilov and Hutter, 2019) that
``keras.optimizers.AdamW`` implements. ``AdamL2`` reproduces the published
behaviour; AdamW is the decoupled alternative.

``make_optimizer`` turns a ``TrainConfig`` into one of the two: the training
loop's optimizer and the classifiers' ``compile()`` default.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="step_tf")
class AdamL2(keras.optimizers.Adam):
    """Adam whose gradients get ``l2 * w`` added for every trainable variable ``w``."""

    def __init__(self, l2=5e-4, **kwargs):
        super().__init__(**kwargs)
        if l2 < 0:
            raise ValueError(f"l2 must be non-negative, got {l2}")
        self.l2 = l2

    def apply(self, grads, trainable_variables=None):
        variables = self._trainable_variables if trainable_variables is None else list(trainable_variables)
        grads = [
            None if gradient is None else gradient + self.l2 * ops.cast(variable, gradient.dtype)
            for gradient, variable in zip(grads, variables)
        ]
        return super().apply(grads, trainable_variables)

    def get_config(self):
        return {**super().get_config(), "l2": self.l2}


def make_optimizer(config) -> keras.optimizers.Optimizer:
    """Adam with ``config``'s (a ``TrainConfig``) weight decay: coupled (L2 in the gradient, as published) or decoupled (AdamW)."""
    if config.weight_decay_mode == "coupled":
        return AdamL2(learning_rate=config.learning_rate, l2=config.weight_decay)
    return keras.optimizers.AdamW(learning_rate=config.learning_rate, weight_decay=config.weight_decay)
