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

#: Module -> the public names it gives this package (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    ".cityscapes_writer": (
        "SYNTHETIC_CITIES", "coarsen_label_ids", "generate_synthetic_cityscapes",
    ),
    ".layout_writer": ("SYNTHETIC_LAYOUTS", "generate_synthetic_layout"),
    ".prepared_dataset": ("prepare_synthetic_dataset",),
    ".renderer": ("render_street_scene",),
    ".scene_images": ("street_scene_images",),
})
