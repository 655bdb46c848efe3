"""keras_sfnet.metrics."""
