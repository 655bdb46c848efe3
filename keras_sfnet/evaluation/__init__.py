"""keras_sfnet.evaluation."""
