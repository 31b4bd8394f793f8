"""Backbone and task models.

Importing this package registers every model class with Keras, and the optimizer
that paper-recipe runs save inside their model files (``AdamL2``), so that
``keras.saving.load_model`` can rebuild any trained run whichever module a tool
imported first. ``import step_tf`` does it too (lazily, see ``step_tf/__init__.py``).
"""

from step_tf.models import baselines, classifiers, optimizers, stepgen  # noqa: F401
