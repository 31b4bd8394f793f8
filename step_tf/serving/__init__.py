"""Export and serving: versioned SavedModels, TFLite through LiteRT, a TensorFlow Serving-compatible REST server."""
