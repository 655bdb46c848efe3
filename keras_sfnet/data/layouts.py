"""The file-listing vocabulary (`IMAGE_EXTENSIONS`, `CITYSCAPES_SPLITS`) and the old home
of the listers.

Each dataset's lister lives in its own module (`keras_sfnet.data.cityscapes`,
`...camvid`, `...ade20k`, `...pascal_context`, `...folder`, the driving datasets),
built from the helpers of `keras_sfnet.data.listing`; `list_files` dispatches by
name through `keras_sfnet.data.registry`. Every lister returns a sorted list of
`(image_path, label_path)` pairs and raises a clear error showing the expected
layout. The old names are re-exported here.

Example:
>>> from keras_sfnet.data.layouts import list_files
>>> pairs = list_files("camvid", "/data/CamVid", "train")  # doctest: +SKIP
"""

from __future__ import annotations

import logging

from keras_sfnet.lazy_exports import lazy_exports
from keras_sfnet.names import CITYSCAPES_SPLITS, IMAGE_EXTENSIONS  # noqa: F401 (re-exported)

__all__ = [
    "CITYSCAPES_SPLITS",
    "IMAGE_EXTENSIONS",
]

logger = logging.getLogger(__name__)


#: The listers now live one module per dataset (`keras_sfnet.data.cityscapes`, ...)
#: and `list_files` in the registry; they are re-exported here, lazily.
__getattr__, _ = lazy_exports(__name__, {
    "keras_sfnet.data": (
        "list_ade20k", "list_camvid", "list_cityscapes", "list_files", "list_folder",
        "list_pascal_context", "read_list_file",
    ),
})
__all__ += __getattr__("__all__")
