"""Joint augmentation: image and mask stay aligned, draws are seeded."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import data

GEOMETRIC = data.AugmentationConfig(
    scale_range=(0.5, 2.0), brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0, blur_prob=0.0
)


def blob_image(seed=0, size=(48, 64)):
    """Smooth random blobs, so that few pixels lie on an edge."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[0] // 8, size[1] // 8, 3)).astype(np.uint8)
    return cv2.resize(small, size[::-1], interpolation=cv2.INTER_NEAREST)


def augment(image, label, seed, config=GEOMETRIC, crop=(32, 32), **kwargs):
    out = data.augment_example(
        tf.constant(image), tf.constant(label), tf.constant([0, seed], tf.int64),
        crop_size=crop, config=config, **kwargs,
    )  # fmt: skip
    return out[0].numpy(), out[1].numpy()


@pytest.mark.parametrize("seed", range(6))
def test_image_and_mask_stay_aligned(seed):
    image = blob_image(seed)
    label = (image[..., 0] > 127).astype(np.int32)
    out_image, out_label = augment(image, label, seed, crop=(40, 40))
    assert out_image.shape == (40, 40, 3) and out_label.shape == (40, 40)
    valid = out_label != 255
    assert valid.sum() > 0
    recomputed = (out_image[..., 0] > 127).astype(np.int32)
    agreement = (recomputed[valid] == out_label[valid]).mean()
    assert agreement > 0.93  # only interpolation borders may differ


def test_padding_uses_ignore_and_mean_fill():
    image = np.full((8, 8, 3), 200, np.uint8)
    label = np.ones((8, 8), np.int32)
    out_image, out_label = augment(image, label, 0, config=data.AugmentationConfig.crop_only(),
                                   crop=(16, 20))  # fmt: skip
    assert (out_label == 1).sum() == 64 and (out_label == 255).sum() == 16 * 20 - 64
    padded = out_label == 255
    np.testing.assert_allclose(out_image[padded], np.tile(np.array(data.IMAGENET_MEAN) * 255,
                                                          (padded.sum(), 1)), atol=1e-3)  # fmt: skip
    np.testing.assert_allclose(out_image[~padded], 200.0)


def test_full_augmentation_is_seeded_and_keeps_range():
    image = blob_image(1)
    label = (image[..., 1] > 127).astype(np.int32)
    config = data.AugmentationConfig(blur_prob=1.0)
    a = augment(image, label, 5, config=config)
    b = augment(image, label, 5, config=config)
    c = augment(image, label, 6, config=config)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert a[0].min() >= 0.0 and a[0].max() <= 255.0
    assert set(np.unique(a[1])) <= {0, 1, 255}


def test_flip_happens_for_some_seeds():
    image = np.zeros((8, 16, 3), np.uint8)
    label = np.zeros((8, 16), np.int32)
    label[:, :8] = 1
    config = data.AugmentationConfig.crop_only()
    config = dataclasses.replace(config, flip_prob=0.5)
    lefts = {int(augment(image, label, s, config=config, crop=(8, 16))[1][0, 0]) for s in range(12)}
    assert lefts == {0, 1}


def test_class_uniform_crops_find_rare_classes():
    label = np.zeros((64, 64), np.int32)
    label[60:, 60:] = 1  # a rare class in a corner
    image = np.zeros((64, 64, 3), np.uint8)
    config = data.AugmentationConfig.crop_only()

    def hits(prob):
        return sum(
            (augment(image, label, s, config=config, crop=(16, 16), num_classes=2,
                     class_uniform_prob=prob)[1] == 1).any()
            for s in range(20)
        )  # fmt: skip

    assert hits(1.0) >= 6  # about half the crops centre on class 1
    assert hits(0.0) <= 4  # a random crop rarely reaches the corner
    found, y, x = data.class_uniform_center(tf.constant(label), tf.constant([1, 2]), 2)
    assert bool(found) and int(label[int(y), int(x)]) in (0, 1)
    none = data.class_uniform_center(tf.fill([4, 4], 255), tf.constant([1, 2]), 2)
    assert not bool(none[0])


def test_augmentation_config_validation():
    with pytest.raises(ValueError, match="`scale_range`"):
        data.AugmentationConfig(scale_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="`hue`"):
        data.AugmentationConfig(hue=0.7)
    with pytest.raises(ValueError, match="`image_fill`"):
        data.AugmentationConfig(image_fill="red")
    assert data.AugmentationConfig.paper().scale_range == (0.75, 2.0)


def test_gaussian_blur_and_jitter_basics():
    flat = tf.fill([8, 8, 3], 0.5)
    blurred = data.gaussian_blur(flat, tf.constant(1.2), 1.3)
    np.testing.assert_allclose(blurred.numpy(), 0.5, atol=1e-6)
    jittered = data.color_jitter(flat, tf.constant([3, 4]))
    assert jittered.shape == (8, 8, 3)
    assert float(tf.reduce_min(jittered)) >= 0.0 and float(tf.reduce_max(jittered)) <= 1.0
