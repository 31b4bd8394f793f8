"""Training: the run loop behind ``python -m step_tf.fit``, its callbacks and optimizers."""
