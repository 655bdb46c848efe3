"""keras_sfnet.visualize: class-map colouring, legends and flow visualisation."""

from keras_sfnet.visualize.colorize import colorize, overlay
from keras_sfnet.visualize.flow import (
    flow_color_key,
    flow_to_arrows,
    flow_to_color,
    make_color_wheel,
)
from keras_sfnet.visualize.legend import legend
from keras_sfnet.visualize.palettes import CITYSCAPES_CLASS_NAMES, CITYSCAPES_PALETTE
from keras_sfnet.visualize.panels import (
    error_map,
    flow_panel,
    panel_grid,
    prediction_figure,
    titled_panel,
)

__all__ = [
    "CITYSCAPES_CLASS_NAMES",
    "CITYSCAPES_PALETTE",
    "colorize",
    "error_map",
    "flow_color_key",
    "flow_panel",
    "flow_to_arrows",
    "flow_to_color",
    "legend",
    "make_color_wheel",
    "overlay",
    "panel_grid",
    "prediction_figure",
    "titled_panel",
]
