"""`Segmenter`: class maps for the images users have, at their own size."""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from keras_sfnet.inference.compiled_function import compiled_function
from keras_sfnet.inference.image_input import prepare_image
from keras_sfnet.inference.logits_function import main_logits
from keras_sfnet.inference.sliding_window import window_pair
from keras_sfnet.inference.test_time_augmentation import (
    augmented_logits_function,
    check_augmentation_mode,
    check_scales,
    softmax,
)
from keras_sfnet.layers.image_converter import ImageConverter, image_converter_or_default

__all__ = ["Segmenter"]


class Segmenter:
    """Predicts class maps for images of any size, dtype and channel layout.

    Takes images as users have them, converts them (`prepare_image`: uint8 BGR
    from OpenCV with `bgr=True`, uint8 RGB from PIL/numpy, uint16, float in
    [0, 1], grayscale and RGBA), normalises them (`preprocessor`), runs the model in the chosen
    evaluation mode (whole image, multi-scale, flip, sliding window: see
    `augmented_logits_function`: preprocessing, every view and the average in one
    compiled TensorFlow function per image size) and returns class maps at each
    image's own size.

    Args:
        model: a `keras_sfnet.SFNet` or any Keras model mapping normalised RGB
            NHWC images to logits (or to a dict with `"logits"`).
        bgr: bool or `None` (defaults: the `preprocessor`'s channel order, RGB
            for the default one). Default channel order of the inputs: `True`
            for OpenCV (`cv2.imread`, video frames), `False` for RGB.
        scales: sequence of floats, defaults to `(1.0,)`.
        flip: bool, defaults to `False`. Average with horizontally flipped views.
        window: int, `(height, width)` or `None` (defaults: whole image). Tile
            size for sliding-window inference.
        overlap: float in [0, 1), defaults to 1/3. Tile overlap.
        average: `"logits"` (defaults, as the authors' evaluation) or
            `"probabilities"`.
        input_size: `(height, width)` or `None`. Resize every image to this size
            before inference (logits are resized back to the image size).
        pad_to_multiple: int or `None`. Pad each model input at the bottom/right
            to a multiple of this (logits cropped back).
        batch_size: int, defaults to 1. Model inputs per call (tiles, flipped
            views and same-size images are batched together).
        preprocessor: `keras_sfnet.layers.ImageConverter` or `None` (the default
            ImageNet converter), e.g. a preset's. It normalises the images in
            [0, 255] that `prepare_image` makes (after turning them to RGB).

    Example:
    >>> import keras_sfnet
    >>> model = keras_sfnet.SFNet("resnet18", num_classes=4, decoder_filters=16)
    >>> segmenter = Segmenter(model, bgr=True)
    >>> segmenter.predict(np.zeros((45, 61, 3), np.uint8)).shape
    (45, 61)
    """

    def __init__(
        self,
        model: keras.Model,
        *,
        bgr: bool | None = None,
        scales: Sequence[float] = (1.0,),
        flip: bool = False,
        window=None,
        overlap: float = 1 / 3,
        average: str = "logits",
        input_size: tuple[int, int] | None = None,
        pad_to_multiple: int | None = None,
        batch_size: int = 1,
        preprocessor: ImageConverter | None = None,
    ):
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"`model` must be a keras.Model. Received: model={type(model).__name__}"
            )
        check_augmentation_mode(average, window, overlap)
        if input_size is not None:
            input_size = window_pair(input_size, "input_size")
        preprocessor = image_converter_or_default(preprocessor)
        self.preprocessor = preprocessor
        # prepare_image turns every input to RGB; normalise with an RGB twin.
        self._rgb_preprocessor = (
            ImageConverter.from_config({**preprocessor.get_config(), "bgr": False})
            if preprocessor.bgr
            else preprocessor
        )
        self._source_model = model
        if getattr(model, "deep_supervision", False) and hasattr(model, "inference_model"):
            model = model.inference_model()
        self.model = model
        self.bgr = preprocessor.bgr if bgr is None else bool(bgr)
        self.scales = check_scales(scales)
        self.flip = bool(flip)
        self.window = window
        self.overlap = float(overlap)
        self.average = average
        self.input_size = input_size
        self.pad_to_multiple = pad_to_multiple
        self.batch_size = batch_size
        self._augmented = augmented_logits_function(
            model,
            scales=self.scales,
            flip=self.flip,
            window=window,
            overlap=self.overlap,
            average=average,
            batch_size=batch_size,
            pad_to_multiple=pad_to_multiple,
            input_size=input_size,
            preprocessor=self._rgb_preprocessor,
        )
        self._flow_model = None

    @classmethod
    def from_path(cls, path: str | os.PathLike, **kwargs) -> Segmenter:
        """Loads a model file (`.keras`, or the authors' `.pth`) into a `Segmenter`.

        Args:
            path: str or path. See `load_segmentation_model`.
            **kwargs: `Segmenter` arguments.

        Example:
        >>> segmenter = Segmenter.from_path("sfnet_r18.keras", flip=True)  # doctest: +SKIP
        """
        from keras_sfnet.inference.model_loading import load_segmentation_model

        return cls(load_segmentation_model(path), **kwargs)

    @classmethod
    def from_preset(cls, preset, **kwargs) -> Segmenter:
        """Builds a `Segmenter` from a preset folder or `hf://` / `kaggle://` handle.

        The preset's model and, when it stores one, its image converter.

        Args:
            preset: see `keras_sfnet.SFNet.from_preset`.
            **kwargs: `Segmenter` arguments.

        Example:
        >>> segmenter = Segmenter.from_preset("my_preset", flip=True)  # doctest: +SKIP
        """
        from keras_sfnet.models.presets import load_preset_model, segmenter_arguments

        return cls(load_preset_model(preset), **{**segmenter_arguments(preset), **kwargs})

    @property
    def num_classes(self) -> int:
        """Number of classes the model predicts."""
        return int(main_logits(self.model.output).shape[-1])

    # -- helpers ---------------------------------------------------------------
    def _as_list(self, images) -> tuple[list, bool]:
        """Splits the `images` argument into single images; says if it was one image."""
        if isinstance(images, (list, tuple)):
            if not images:
                raise ValueError("`images` must not be an empty list.")
            return list(images), False
        array = images if hasattr(images, "ndim") else np.asarray(images)
        if getattr(array, "ndim", 0) == 4:
            return [array[i] for i in range(array.shape[0])], False
        return [images], True

    def _prepared(self, image, bgr: bool | None) -> np.ndarray:
        return prepare_image(image, bgr=self.bgr if bgr is None else bgr)

    def _normalised(self, image, bgr: bool | None) -> np.ndarray:
        return np.asarray(self._rgb_preprocessor(self._prepared(image, bgr)), np.float32)

    def _outputs(self, images, bgr: bool | None) -> tuple[list[np.ndarray], bool]:
        """Averaged logits (or probabilities) per image, same-size images batched."""
        items, single = self._as_list(images)
        prepared = [self._prepared(image, bgr) for image in items]
        results: list[np.ndarray | None] = [None] * len(prepared)
        groups: dict[tuple[int, int], list[int]] = {}
        for index, image in enumerate(prepared):
            groups.setdefault(image.shape[:2], []).append(index)
        for indices in groups.values():
            for start in range(0, len(indices), max(1, int(self.batch_size))):
                chunk = indices[start : start + max(1, int(self.batch_size))]
                out = self._augmented(np.stack([prepared[i] for i in chunk]))
                for i, j in enumerate(chunk):
                    results[j] = out[i]
        return results, single

    # -- public API --------------------------------------------------------------
    def predict_logits(self, images, *, bgr: bool | None = None):
        """Averaged float32 logits `(H, W, C)` per image (probabilities if `average="probabilities"`).

        Args:
            images: one image, a list of images (any sizes) or an `(N, H, W, C)`
                array.
            bgr: bool or `None` (use the segmenter's `bgr`).

        Returns:
            An array for one image, a list for a list, an `(N, H, W, C)` array for
            an `(N, H, W, C)` input.

        Example:
        >>> segmenter.predict_logits(image).shape  # doctest: +SKIP
        (1024, 2048, 19)
        """
        results, single = self._outputs(images, bgr)
        return self._pack(results, single, images)

    def predict_probabilities(self, images, *, bgr: bool | None = None):
        """Softmax probabilities `(H, W, C)` per image (see `predict_logits`).

        Example:
        >>> segmenter.predict_probabilities(image).sum(-1)  # doctest: +SKIP
        """
        results, single = self._outputs(images, bgr)
        if self.average == "logits":
            results = [softmax(r) for r in results]
        return self._pack(results, single, images)

    def predict(self, images, *, bgr: bool | None = None, return_probabilities: bool = False):
        """Class maps (int32 `(H, W)`) at each image's own size.

        Args:
            images: one image (`(H, W)`, `(H, W, 1|3|4)`; uint8, uint16 or float
                in [0, 1]), a list of such images of any sizes, or an
                `(N, H, W, C)` array.
            bgr: bool or `None` (use the segmenter's `bgr`). `True` for OpenCV
                channel order.
            return_probabilities: bool, defaults to `False`. Also return float32
                softmax probabilities `(H, W, C)`.

        Returns:
            A class map for one image, a list for a list, an `(N, H, W)` array for
            an `(N, H, W, C)` input; with `return_probabilities`, a pair
            `(class_maps, probabilities)` of such.

        Example:
        >>> import cv2
        >>> class_map = segmenter.predict(cv2.imread("street.jpg"), bgr=True)  # doctest: +SKIP
        """
        results, single = self._outputs(images, bgr)
        class_maps = [np.argmax(r, axis=-1).astype(np.int32) for r in results]
        if not return_probabilities:
            return self._pack(class_maps, single, images)
        if self.average == "logits":
            results = [softmax(r) for r in results]
        return self._pack(class_maps, single, images), self._pack(results, single, images)

    def predict_flows(self, image, *, bgr: bool | None = None) -> dict[str, np.ndarray]:
        """Class map and semantic flows of one image (whole image, one scale).

        Needs a `keras_sfnet.SFNet` (its `flow_model()`). The flows are those of
        the paper's Figures 2 and 5: for each Flow Alignment Module, the offset
        (channel 0 = x, 1 = y, in pixels of that level) by which the coarse
        features are warped.

        Args:
            image: one image (see `predict`).
            bgr: bool or `None` (use the segmenter's `bgr`).

        Returns:
            A dict: `"class_map"` int32 `(H, W)`, `"flow_p4"`, `"flow_p3"`,
            `"flow_p2"` float32 `(h, w, 2)` at strides 16, 8 and 4 of the image.

        Example:
        >>> flows = segmenter.predict_flows(image)  # doctest: +SKIP
        >>> flows["flow_p2"].shape  # doctest: +SKIP
        (256, 512, 2)
        """
        if self._flow_model is None:
            if not hasattr(self._source_model, "flow_model"):
                raise ValueError(
                    "`predict_flows` needs a keras_sfnet.SFNet (a model with `flow_model()`). "
                    f"Received: {type(self._source_model).__name__}"
                )
            model = self._source_model.flow_model()

            def call(x):
                return model(x, training=False)

            self._flow_model = compiled_function(call, image_signature=True)
        items, single = self._as_list(image)
        if not single:
            raise ValueError("`predict_flows` takes one image. Received a batch or list of images.")
        x = self._normalised(items[0], bgr)[None]
        outputs = self._flow_model(ops.convert_to_tensor(x))
        out = {k: ops.convert_to_numpy(v) for k, v in outputs.items()}
        result = {"class_map": np.argmax(out.pop("logits")[0], axis=-1).astype(np.int32)}
        result.update({k: v[0].astype(np.float32) for k, v in sorted(out.items())})
        return result

    @staticmethod
    def _pack(results: list, single: bool, images):
        if single:
            return results[0]
        if not isinstance(images, (list, tuple)):
            return np.stack(results)
        return results
