"""Backbone and task models.

Importing this package registers every model class with Keras, and the optimizer
that paper-recipe runs save inside their model files (``AdamL2``), so that
``keras.saving.load_model`` can rebuild any trained run whichever module a tool
imported first.
"""

from step_tf.models import baselines, classifiers, stepgen  # noqa: F401
from step_tf.training import optimizers  # noqa: F401
