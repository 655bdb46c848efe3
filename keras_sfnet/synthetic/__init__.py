"""keras_sfnet.synthetic: procedural street scenes and synthetic datasets on disk.

The renderer (`render_street_scene`: an image and its Cityscapes labelIds, in
memory), the writers that save its scenes in a dataset's layout
(`generate_synthetic_cityscapes`, `generate_synthetic_layout`), a dataset that
is written once and reused (`prepare_synthetic_dataset`, what the trainer's
`dataset="synthetic"` uses) and sample images (`street_scene_images`, what the
export tools calibrate on when given no data). Nothing here is needed to train
on real data.

Example:
>>> from keras_sfnet.synthetic import render_street_scene
>>> image, label_ids = render_street_scene(0, (64, 128))
>>> image.shape
(64, 128, 3)
"""

from keras_sfnet.lazy_exports import lazy_exports

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "SYNTHETIC_CITIES": "keras_sfnet.synthetic.cityscapes_writer",
    "coarsen_label_ids": "keras_sfnet.synthetic.cityscapes_writer",
    "generate_synthetic_cityscapes": "keras_sfnet.synthetic.cityscapes_writer",
    "SYNTHETIC_LAYOUTS": "keras_sfnet.synthetic.layout_writer",
    "generate_synthetic_layout": "keras_sfnet.synthetic.layout_writer",
    "prepare_synthetic_dataset": "keras_sfnet.synthetic.prepared_dataset",
    "render_street_scene": "keras_sfnet.synthetic.renderer",
    "street_scene_images": "keras_sfnet.synthetic.scene_images",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
