"""The keras_sfnet release (written into presets and reports)."""

__version__ = "0.1.0"
