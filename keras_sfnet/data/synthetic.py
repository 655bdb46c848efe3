"""The old home of the synthetic datasets: now the package `keras_sfnet.synthetic`.

Every name is re-exported here, lazily (`keras_sfnet.data.synthetic.render_street_scene`
and `keras_sfnet.data.generate_synthetic_cityscapes` keep working).

Example:
>>> from keras_sfnet.data.synthetic import generate_synthetic_cityscapes
>>> import tempfile
>>> root = generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=2, num_val=1)
"""

from keras_sfnet.lazy_exports import lazy_exports

_EXPORTS = {
    "SYNTHETIC_CITIES": "keras_sfnet.synthetic.cityscapes_writer",
    "SYNTHETIC_LAYOUTS": "keras_sfnet.synthetic.layout_writer",
    "coarsen_label_ids": "keras_sfnet.synthetic.cityscapes_writer",
    "generate_synthetic_cityscapes": "keras_sfnet.synthetic.cityscapes_writer",
    "generate_synthetic_layout": "keras_sfnet.synthetic.layout_writer",
    "prepare_synthetic_dataset": "keras_sfnet.synthetic.prepared_dataset",
    "render_street_scene": "keras_sfnet.synthetic.renderer",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
