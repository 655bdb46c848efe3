"""Old home of the torch-free checkpoint reader: see :mod:`keras_sfnet.weights.torch_checkpoint`."""

from keras_sfnet.weights.torch_checkpoint import (
    ALLOWED_GLOBALS,
    CheckpointError,
    UnsafeCheckpointError,
    extract_state_dict,
    load_torch_checkpoint,
    read_state_dict,
)

__all__ = [
    "ALLOWED_GLOBALS",
    "CheckpointError",
    "UnsafeCheckpointError",
    "extract_state_dict",
    "load_torch_checkpoint",
    "read_state_dict",
]
