"""keras_sfnet.export."""
