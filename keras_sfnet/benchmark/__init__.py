"""keras_sfnet.benchmark."""
