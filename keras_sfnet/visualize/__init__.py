"""keras_sfnet.visualize."""
