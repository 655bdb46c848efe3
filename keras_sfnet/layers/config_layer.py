"""`ConfigLayer`: a layer whose ``get_config`` is its constructor arguments, named once.

The layer counterpart of :class:`keras_sfnet.backbones.backbone.Backbone`'s
``config_arguments``: a subclass lists its constructor arguments (in ``get_config``
order) in ``config_arguments`` and keeps each in the attribute of the same name, or in
the attribute ``config_attributes`` maps it to where that name holds a derived value.
:class:`FiltersLayer` adds the output shape of a layer that maps any input to
``filters`` channels at the same resolution.

Example:
>>> from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
>>> sorted(ConvBNReLU(8).get_config())[:3]
['activation', 'dilation_rate', 'dtype']
"""

from __future__ import annotations

import keras

__all__ = ["ConfigLayer", "FiltersLayer"]


class ConfigLayer(keras.layers.Layer):
    """Base of the layers whose config is their constructor arguments. Not registered."""

    config_arguments: tuple[str, ...] = ()
    """The constructor arguments ``get_config`` returns, in order."""
    config_attributes: dict[str, str] = {}
    """Argument -> attribute, where the attribute of the argument's name is derived."""

    def _store_arguments(self, arguments: dict) -> None:
        """Keeps each of ``config_arguments`` (read from ``arguments``) as an attribute."""
        for name in self.config_arguments:
            setattr(self, self.config_attributes.get(name, name), arguments[name])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                name: getattr(self, self.config_attributes.get(name, name))
                for name in self.config_arguments
            }
        )
        return config


class FiltersLayer(ConfigLayer):
    """A :class:`ConfigLayer` mapping ``(..., C)`` to ``(..., filters)``. Not registered."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)
