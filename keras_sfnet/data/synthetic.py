"""Moved to the package `keras_sfnet.synthetic` (the synthetic datasets).

Every name is re-exported here, lazily (`keras_sfnet.data.synthetic.render_street_scene`
and `keras_sfnet.data.generate_synthetic_cityscapes` keep working).

Example:
>>> from keras_sfnet.data.synthetic import generate_synthetic_cityscapes
>>> import tempfile
>>> root = generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=2, num_val=1)
"""

from keras_sfnet.lazy_exports import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    "keras_sfnet.synthetic": (
        "SYNTHETIC_CITIES", "SYNTHETIC_LAYOUTS", "coarsen_label_ids",
        "generate_synthetic_cityscapes", "generate_synthetic_layout",
        "prepare_synthetic_dataset", "render_street_scene",
    ),
})
