"""Multi-stage recipes over the library in ``step_tf``.

* ``pipelines.stepgen_report``: trains STEP, STEP-Gen, the Baseline CVAE and STEP+Aug on one split per seed and
  writes the generator's figures (FID table, quality figures, push-pull loss curves, STEP vs STEP+Aug).

The end-to-end TFX-style STEP+Aug pipeline (sharded TFRecords through Apache Beam, distributed training) is not
built yet.
"""
