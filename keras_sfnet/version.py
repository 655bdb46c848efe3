"""The version of keras_sfnet (written into presets and `.keras` metadata)."""

__version__ = "0.1.0"
