"""The authors' tensor names for the light encoders (DFNet, STDC, ShuffleNetV2).

Each function returns ``[(torch module name, layer)]`` for every conv and BatchNorm of
one encoder, the names its PyTorch twin uses (``prefix`` is prepended: ``"backbone."``
inside the authors' SFNet checkpoints, ``""`` in ImageNet files). Layer names are
parsed, never guessed: a layer the table does not know raises.
"""

from __future__ import annotations

import re

import keras

from keras_sfnet.backbones.dfnet import DFNetBackbone
from keras_sfnet.backbones.shufflenet_v2 import ShuffleNetV2Backbone
from keras_sfnet.backbones.stdc import STDC_LAYERS, STDCBackbone

__all__ = [
    "STDC_ALIAS",
    "STDC_CLASSIFIER",
    "dfnet_name_table",
    "encoder_name_table",
    "shufflenet_v2_name_table",
    "stdc_name_table",
]

STDC_CLASSIFIER = ("conv_last.", "fc.", "bn.", "linear.")
"""The STDC ImageNet classifier: in every STDC state_dict, never called by segmentation."""
STDC_ALIAS = re.compile(r"^(?P<prefix>.*)x(?:2|4|8|16|32)\.0\.(?P<index>\d+)\.(?P<rest>.+)$")
"""``x2/x4/x8/x16/x32.0.K.*``: second names of ``features.K.*`` in STDC state_dicts."""

_BASIC_PART = {"shortcut_conv": "downsample.0", "shortcut_bn": "downsample.1"}
_DFNET_STEM = {"stem1_conv": "0", "stem1_bn": "1", "stem2_conv": "3", "stem2_bn": "4"}
_DFNET_BLOCK = re.compile(r"^(stage\d(?:_\d)?)_block(\d+)_(conv\d|bn\d|shortcut_conv|shortcut_bn)$")
_STDC_STEM = {"stem1_conv": "0.conv", "stem1_bn": "0.bn", "stem2_conv": "1.conv", "stem2_bn": "1.bn"}
_STDC_BLOCK = re.compile(r"^stage(\d)_block(\d+)_(convx\d|avd)_(conv|bn)$")


def _conv_bn(conv_names: dict) -> dict:
    """``{"x": "a.K"}`` -> ``{"x_conv": "a.K", "x_bn": "a.K+1"}``: torch's
    ``nn.Sequential(conv, bn, ...)`` numbering of a conv and the BatchNorm after it."""
    names = {}
    for name, path in conv_names.items():
        head, index = path.rsplit(".", 1)
        names[f"{name}_conv"] = path
        names[f"{name}_bn"] = f"{head}.{int(index) + 1}"
    return names


_SHUFFLE_PART = _conv_bn({
    "branch1_dw": "branch1.0", "branch1_pw": "branch1.2",
    "branch2_pw1": "branch2.0", "branch2_dw": "branch2.3", "branch2_pw2": "branch2.5",
})
_SHUFFLE_STEM = _conv_bn({"conv1": "conv1.0", "conv5": "conv5.0"})
_SHUFFLE_BLOCK = re.compile(r"^(stage\d)_block(\d+)_(.+)$")


_WEIGHTED = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.BatchNormalization,
)


def _weighted_layers(model):
    return [layer for layer in model.layers if isinstance(layer, _WEIGHTED)]


def _unknown(layer):
    return ValueError(f"No checkpoint name for encoder layer {layer.name!r}")


def _name_table(backbone, prefix: str, stem: dict, block, block_name) -> list:
    """``[(prefix + name, layer)]``: stem layers named by ``stem``, the others by
    ``block_name(*block.match(layer.name).groups())`` (None: no checkpoint name)."""
    table = []
    for layer in _weighted_layers(backbone):
        match = None if layer.name in stem else block.match(layer.name)
        name = stem.get(layer.name) or (match and block_name(*match.groups()))
        if not name:
            raise _unknown(layer)
        table.append((f"{prefix}{name}", layer))
    return table


def dfnet_name_table(backbone: DFNetBackbone, prefix: str = "backbone."):
    """Names of ``network/dfnet.py``: ``stage1.{0,1,3,4}``, ``stageN[_M].J.{conv1,...}``.

    Example:
    >>> dfnet_name_table(DFNetBackbone(1))[0][0]
    'backbone.stage1.0'
    """
    stem = {name: f"stage1.{index}" for name, index in _DFNET_STEM.items()}
    return _name_table(
        backbone, prefix, stem, _DFNET_BLOCK,
        lambda stage, block, part: f"{stage}.{int(block) - 1}.{_BASIC_PART.get(part, part)}",
    )  # fmt: skip


def stdc_name_table(backbone: STDCBackbone, prefix: str = "backbone."):
    """Names of ``network/stdcnet.py`` under ``features.K`` (one name of each alias pair).

    Example:
    >>> stdc_name_table(STDCBackbone(1))[0][0]
    'backbone.features.0.conv'
    """
    layers = STDC_LAYERS[backbone.version]
    first = {3: 2, 4: 2 + layers[0], 5: 2 + layers[0] + layers[1]}

    def block_name(stage, block, unit, kind):
        index = first[int(stage)] + int(block) - 1
        if unit == "avd":
            return f"features.{index}.avd_layer.{0 if kind == 'conv' else 1}"
        return f"features.{index}.conv_list.{unit[-1]}.{kind}"

    stem = {name: f"features.{index}" for name, index in _STDC_STEM.items()}
    return _name_table(backbone, prefix, stem, _STDC_BLOCK, block_name)


def shufflenet_v2_name_table(backbone: ShuffleNetV2Backbone, prefix: str = ""):
    """torchvision's ``shufflenet_v2_x1_0`` names (``conv1.0``, ``stage2.0.branch1.0``, ...).

    Example:
    >>> shufflenet_v2_name_table(ShuffleNetV2Backbone())[0][0]
    'conv1.0'
    """
    def block_name(stage, block, part):
        return part in _SHUFFLE_PART and f"{stage}.{int(block) - 1}.{_SHUFFLE_PART[part]}"

    return _name_table(backbone, prefix, dict(_SHUFFLE_STEM), _SHUFFLE_BLOCK, block_name)


def encoder_name_table(backbone, prefix: str = "backbone."):
    """The name table of any light encoder (DFNet, STDC, ShuffleNetV2).

    Example:
    >>> encoder_name_table(STDCBackbone(2), prefix="")[0][0]
    'features.0.conv'
    """
    if isinstance(backbone, DFNetBackbone):
        return dfnet_name_table(backbone, prefix)
    if isinstance(backbone, STDCBackbone):
        return stdc_name_table(backbone, prefix)
    if isinstance(backbone, ShuffleNetV2Backbone):
        return shufflenet_v2_name_table(backbone, prefix)
    raise TypeError(
        "`backbone` must be a DFNetBackbone, STDCBackbone or ShuffleNetV2Backbone. "
        f"Received: {type(backbone).__name__}"
    )
