"""keras_sfnet.inference."""
