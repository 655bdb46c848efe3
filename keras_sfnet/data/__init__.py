"""keras_sfnet.data."""
