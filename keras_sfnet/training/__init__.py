"""keras_sfnet.training."""
