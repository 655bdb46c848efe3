"""`Backbone`: the base of the encoders (image -> feature-pyramid dict)."""

from __future__ import annotations

import keras

from keras_sfnet.names import LEVELS

__all__ = ["Backbone", "check_choice", "image_input"]


def check_choice(name: str, value, choices):
    """Returns ``value`` if it is one of ``choices`` (listed sorted), else raises naming ``name``.

    Example:
    >>> check_choice("version", 2, {1: "v1", 2: "v2"})
    2
    """
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {sorted(choices)}. Received: {name}={value!r}")
    return value


def image_input(input_shape) -> tuple[tuple, keras.KerasTensor]:
    """``(input_shape as a tuple, keras.Input named "image")`` for RGB images.

    Example:
    >>> shape, inputs = image_input((None, None, 3))
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(
            "`input_shape` must be (height, width, 3) for RGB images. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape, keras.Input(shape=input_shape, name="image")


class Backbone(keras.Model):
    """A functional encoder returning ``{"P2": ..., "P5": ...}`` (keys by stride 2^n).

    Subclasses build their graph and call :meth:`_init_pyramid` instead of
    ``super().__init__``; they list their constructor arguments in ``config_arguments``
    (stored as attributes of the same name), and get ``get_config`` / ``from_config``,
    ``decoder_levels`` (the pyramid keys SFNet's v1 head reads, fine to coarse) and
    ``pyramid_channels`` (key -> channels) from here. Not registered: it is abstract.

    Example:
    >>> from keras_sfnet.backbones import STDCBackbone
    >>> STDCBackbone(version=1).pyramid_channels["P5"]
    1024
    """

    config_arguments: tuple[str, ...] = ()

    def _init_pyramid(self, inputs, pyramid, input_shape, arguments, decoder_levels=LEVELS,
                      **kwargs):  # fmt: skip
        super().__init__(inputs=inputs, outputs=pyramid, **kwargs)
        for name in self.config_arguments:
            setattr(self, name, arguments[name])
        self.image_shape = input_shape
        self.decoder_levels = tuple(decoder_levels)
        self.pyramid_channels = {k: int(v.shape[-1]) for k, v in pyramid.items()}

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            **{name: getattr(self, name) for name in self.config_arguments},
            "input_shape": self.image_shape,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
