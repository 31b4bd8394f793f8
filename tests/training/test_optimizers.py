"""AdamL2's update against Adam computed by hand with the L2 term added to the gradient (PyTorch's coupled decay)."""

import keras
import numpy as np
import pytest

try:  # where the optimizer lives (it may move from step_tf.training to step_tf.models)
    from step_tf.models.optimizers import AdamL2
except ImportError:
    from step_tf.training.optimizers import AdamL2


def _adam_l2_by_hand(weights, gradient, steps, learning_rate, l2, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's Adam (epsilon outside the bias correction) on ``gradient + l2 * w``, in float64."""
    w = np.array(weights, np.float64)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        g = gradient + l2 * w  # coupled: the decay enters the moments, unlike AdamW
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (np.sqrt(v) + epsilon)
    return w


@pytest.mark.parametrize("steps", [1, 2])
def test_adam_l2_matches_the_hand_computed_update(steps):
    weights = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    gradient = np.array([0.1, 0.3, -0.2, 0.0], np.float32)  # the last weight moves by its decay alone
    learning_rate, l2 = 0.1, 0.5
    variable = keras.Variable(weights)
    optimizer = AdamL2(learning_rate=learning_rate, l2=l2)
    for _ in range(steps):
        optimizer.apply([keras.ops.convert_to_tensor(gradient)], [variable])
    expected = _adam_l2_by_hand(weights, gradient, steps, learning_rate, l2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), expected, rtol=1e-5, atol=1e-6)
    # The L2 term matters: plain Adam would leave the zero-gradient weight where it was.
    assert not np.allclose(expected, _adam_l2_by_hand(weights, gradient, steps, learning_rate, 0.0))


def test_adam_l2_refuses_negative_decay_and_saves_its_l2():
    with pytest.raises(ValueError, match="non-negative"):
        AdamL2(l2=-1e-4)
    restored = AdamL2.from_config(AdamL2(learning_rate=0.1, l2=5e-4).get_config())
    assert restored.l2 == 5e-4
