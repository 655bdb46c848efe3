"""Moved to :mod:`keras_sfnet.weights.torch_checkpoint` (the torch-free checkpoint reader)."""

from keras_sfnet.lazy_exports import lazy_exports

#: The new homes of the names (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {"keras_sfnet.weights.torch_checkpoint": (
    "ALLOWED_GLOBALS", "CheckpointError", "UnsafeCheckpointError", "extract_state_dict",
    "load_torch_checkpoint", "read_state_dict",
)})
