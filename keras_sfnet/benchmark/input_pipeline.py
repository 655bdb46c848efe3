"""Throughput of the training input pipeline (read, decode, augment, batch)."""

from __future__ import annotations

import logging
import tempfile
import time

__all__ = ["input_pipeline_images_per_second"]

logger = logging.getLogger(__name__)


def input_pipeline_images_per_second(
    image_size=(1024, 2048),
    crop_size=(1024, 1024),
    num_files: int = 4,
    num_images: int = 16,
    batch_size: int = 2,
) -> float:
    """Images/second of :func:`keras_sfnet.data.make_dataset` with the paper's augmentation.

    Writes ``num_files`` synthetic Cityscapes-layout image/label PNGs of
    ``image_size`` (``keras_sfnet.data.generate_synthetic_cityscapes``) to a temporary
    folder, builds the training pipeline (PNG decode, labelId -> trainId mapping,
    random scale [0.75, 2], pad, random crop ``crop_size``, flip, normalisation,
    batching; ``AugmentationConfig.paper()``) and times ``num_images`` images after one
    warm-up batch, with tf.data's autotuned parallelism on the configured threads.

    Example:
    >>> input_pipeline_images_per_second((64, 128), (32, 32), 2, 4, 2) > 0
    True
    """
    from keras_sfnet.data import (
        AugmentationConfig,
        generate_synthetic_cityscapes,
        get_dataset_info,
        list_files,
        make_dataset,
    )

    with tempfile.TemporaryDirectory(prefix="sfnet_pipeline_") as root:
        generate_synthetic_cityscapes(
            root, num_train=num_files, num_val=0, image_size=tuple(image_size)
        )
        files = list_files("cityscapes", root, "train")
        dataset = make_dataset(
            files,
            get_dataset_info("cityscapes"),
            training=True,
            crop_size=tuple(crop_size),
            batch_size=batch_size,
            augmentation=AugmentationConfig.paper(),
            seed=0,
            repeat=True,
        )
        iterator = iter(dataset)
        next(iterator)
        batches = max(1, num_images // batch_size)
        start = time.perf_counter()
        for _ in range(batches):
            images, _ = next(iterator)
        _ = images.numpy()
        return batches * batch_size / (time.perf_counter() - start)
