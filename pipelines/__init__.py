"""Multi-stage recipes (train the generator, generate, train the classifier, evaluate, export).

Not built yet: the end-to-end STEP+Aug pipeline arrives with its own issue. Every stage will be a thin
function over the library in ``step_tf``.
"""
