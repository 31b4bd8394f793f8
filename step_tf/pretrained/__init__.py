"""The classifier shipped with the package: STEP trained on the embedded synthetic set only.

``step_embedded/`` is a run directory of ``python -m step_tf.fit`` (``best.keras``,
``config.json``, ``metrics.json``) trained on licence-clean data only; ``MODEL_CARD.md``
beside it says how it was trained, what it scores on real walks and what it is not for.
``predict``, ``video`` and ``serve`` use it when no model is named; ``python -m
step_tf.export`` publishes it like any run.
"""

from __future__ import annotations

import hashlib
import os
import pathlib

from step_tf.runs import best_model_path

DEFAULT_RUN = pathlib.Path(__file__).resolve().parent / "step_embedded"
DEFAULT_MODEL_NAME = "step_embedded"
MODEL_CARD = pathlib.Path(__file__).resolve().parent / "MODEL_CARD.md"


def default_run() -> pathlib.Path:
    """The shipped run directory; ``FileNotFoundError`` if the package was installed without it."""
    if not best_model_path(DEFAULT_RUN).is_file():
        raise FileNotFoundError(f"{best_model_path(DEFAULT_RUN)}: the shipped model is missing from this installation; "
                                "name a model with --model")
    return DEFAULT_RUN


def cache_dir() -> pathlib.Path:
    """Where derived files of the shipped model go: ``$STEP_TF_CACHE``, else ``~/.cache/step_tf``."""
    return pathlib.Path(os.environ.get("STEP_TF_CACHE") or pathlib.Path.home() / ".cache" / "step_tf")


def default_model_base() -> pathlib.Path:
    """A SavedModel base path (numbered versions) of the shipped model, exported into the cache once.

    The folder is named after the model file's hash, so an upgraded package exports its own
    model rather than serving a stale one; the export is published atomically.
    """
    from step_tf.serving.versions import list_versions

    run = default_run()
    digest = hashlib.sha256(best_model_path(run).read_bytes()).hexdigest()[:12]
    base = cache_dir() / f"{DEFAULT_MODEL_NAME}-{digest}" / DEFAULT_MODEL_NAME
    if base.is_dir() and list_versions(base):
        return base
    from step_tf.serving.exporting import export_run

    export_run(run, base, tflite_models=False)
    return base
