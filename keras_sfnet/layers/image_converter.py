"""`ImageConverter`: the one preprocessing step between images and SFNet."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import ops

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "ImageConverter", "image_converter_or_default"]

#: Per-channel RGB mean of ImageNet, for images scaled to [0, 1].
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
#: Per-channel RGB standard deviation of ImageNet, for images scaled to [0, 1].
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


def _channels(value, name: str) -> tuple[float, float, float] | None:
    if value is None:
        return None
    try:
        values = tuple(float(v) for v in value)
    except TypeError:
        values = (float(value),) * 3
    if len(values) != 3:
        raise ValueError(
            f"`{name}` must be None, a float or 3 per-channel floats (RGB). Received: {name}={value!r}"
        )
    return values


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ImageConverter(keras.layers.Layer):
    """Turns RGB (or BGR) images into SFNet's input: ``(x * scale - mean) / std``.

    The image converter of the task, in the keras-hub sense: the only place where
    images are normalised. The data pipeline, `keras_sfnet.Segmenter`, the
    SavedModel's uint8 signature, int8 calibration, export parity and the exports
    that include preprocessing (TFLite / ONNX taking uint8 images) all call it.
    With the defaults it computes the authors' (torchvision's) normalisation,
    ``(x / 255 - IMAGENET_MEAN) / IMAGENET_STD`` per channel, in float32: when
    ``1 / scale`` is an integer the scaling is a division by it, bit-identical to
    ``ToTensor()``.

    Args:
        scale: float, defaults to 1/255 (inputs in [0, 255]: uint8 or float).
            Use 1.0 for float images already in [0, 1].
        mean: 3 floats (RGB, after scaling) or None (no centring). Defaults to
            the ImageNet mean.
        std: 3 floats (RGB, after scaling) or None (no division). Defaults to
            the ImageNet standard deviation.
        bgr: bool, defaults to False. True when the inputs are in OpenCV's BGR
            order; they are turned to RGB before the normalisation.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`: defaults to
            "float32" whatever the global policy, so the statistics stay exact).

    Example:
    >>> converter = ImageConverter()
    >>> x = converter(np.full((1, 2, 2, 3), 255, np.uint8))
    >>> [round(float(v), 4) for v in x[0, 0, 0]]
    [2.2489, 2.4286, 2.64]
    """

    def __init__(
        self,
        scale: float = 1.0 / 255.0,
        mean: Sequence[float] | None = IMAGENET_MEAN,
        std: Sequence[float] | None = IMAGENET_STD,
        bgr: bool = False,
        **kwargs,
    ):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"`scale` must be a positive float. Received: scale={scale!r}")
        self.scale = float(scale)
        self.mean = _channels(mean, "mean")
        self.std = _channels(std, "std")
        if self.std is not None and any(s <= 0 for s in self.std):
            raise ValueError(f"`std` must be positive. Received: std={std!r}")
        self.bgr = bool(bgr)
        inverse = 1.0 / self.scale
        self._divisor = inverse if inverse == round(inverse) else None

    def build(self, input_shape):
        if len(input_shape) < 3 or input_shape[-1] != 3:
            raise ValueError(
                "`ImageConverter` takes channels-last colour images (..., H, W, 3); convert "
                "grayscale or RGBA images first (e.g. keras_sfnet.inference.prepare_image). "
                f"Received: input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        if dtype == "bool" or "complex" in dtype or dtype == "string":
            raise TypeError(
                f"`ImageConverter` takes uint8, integer or float images. Received: dtype={dtype}"
            )
        x = ops.cast(inputs, "float32")
        if self.bgr:
            x = ops.flip(x, axis=-1)
        x = x / self._divisor if self._divisor is not None else x * self.scale
        if self.mean is not None:
            x = x - ops.convert_to_tensor(self.mean, "float32")
        if self.std is not None:
            x = x / ops.convert_to_tensor(self.std, "float32")
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)

    def invert(self, images):
        """Undoes the conversion: uint8 images in the input's channel order.

        Rounds and clips to [0, 255]; for the default converter,
        ``invert(converter(x)) == x`` for every uint8 ``x``.

        Example:
        >>> converter = ImageConverter()
        >>> x = np.array([[[0, 128, 255]]], np.uint8)
        >>> np.asarray(converter.invert(converter(x))).tolist()
        [[[0, 128, 255]]]
        """
        x = ops.cast(images, "float32")
        if self.std is not None:
            x = x * ops.convert_to_tensor(self.std, "float32")
        if self.mean is not None:
            x = x + ops.convert_to_tensor(self.mean, "float32")
        x = x * self._divisor if self._divisor is not None else x / self.scale
        if self.bgr:
            x = ops.flip(x, axis=-1)
        return ops.cast(ops.clip(ops.round(x), 0.0, 255.0), "uint8")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "scale": self.scale,
                "mean": list(self.mean) if self.mean is not None else None,
                "std": list(self.std) if self.std is not None else None,
                "bgr": self.bgr,
            }
        )
        return config


def image_converter_or_default(preprocessor) -> ImageConverter:
    """``preprocessor``, or the authors' normalisation when it is None (else a clear error).

    Example:
    >>> image_converter_or_default(None).get_config()["bgr"]
    False
    """
    if preprocessor is None:
        return ImageConverter()
    if not isinstance(preprocessor, ImageConverter):
        raise TypeError(
            "`preprocessor` must be a keras_sfnet.layers.ImageConverter or None. "
            f"Received: preprocessor={type(preprocessor).__name__}"
        )
    return preprocessor
