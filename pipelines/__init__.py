"""Multi-stage recipes over the library in ``step_tf``.

* ``pipelines.step_aug``: the end-to-end STEP+Aug pipeline in TFX-style stages (``pipelines.stages``): ExampleGen on
  Apache Beam (``pipelines.example_gen``) writing sharded TFRecords, Trainers for STEP-Gen and STEP+Aug, the
  generation of gaits, an Evaluator that blesses a better model and a Pusher that exports it; each stage an artifact
  directory that is skipped when its inputs are unchanged (``pipelines.artifacts``).
* ``pipelines.stepgen_report``: trains STEP, STEP-Gen, the Baseline CVAE and STEP+Aug on one split per seed and
  writes the generator's figures (FID table, quality figures, push-pull loss curves, STEP vs STEP+Aug).
"""
