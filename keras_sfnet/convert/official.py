"""Loads the SFNet authors' PyTorch checkpoints into keras_sfnet models.

One table maps the authors' tensor names to our layers: :func:`official_name_table`
for a whole SFNet, :func:`backbone_name_table` for the encoder alone (the authors'
checkpoints, their ImageNet ``resnet*-deep*.pth`` files, torchvision ResNets). Conv
weights go OIHW -> HWIO; BatchNorm ``weight, bias, running_mean, running_var`` go to
``gamma, beta, moving_mean, moving_variance``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping

import keras
import numpy as np

from keras_sfnet.backbones import BACKBONES, ResNetBackbone
from keras_sfnet.models.sfnet import SFNet

logger = logging.getLogger(__name__)

BACKBONE_STYLES = ("sfnet", "imagenet_deep", "torchvision")
_DEEP_STEM = {
    "sfnet": {
        "stem_conv1": "layer0.0.0",
        "stem_bn1": "layer0.0.1",
        "stem_conv2": "layer0.0.3",
        "stem_bn2": "layer0.0.4",
        "stem_conv3": "layer0.0.6",
        "stem_bn3": "layer0.1",
    },
    "imagenet_deep": {
        "stem_conv1": "conv1.0",
        "stem_bn1": "conv1.1",
        "stem_conv2": "conv1.3",
        "stem_bn2": "conv1.4",
        "stem_conv3": "conv1.6",
        "stem_bn3": "bn1",
    },
}
_STANDARD_STEM = {"stem_conv1": "conv1", "stem_bn1": "bn1"}
_BLOCK = re.compile(r"^stage(\d)_block(\d+)_(conv\d|bn\d|shortcut_conv|shortcut_bn)$")
_BLOCK_PART = {"shortcut_conv": "downsample.0", "shortcut_bn": "downsample.1"}


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model (missing, extra or mis-shaped tensors)."""


def _is_weighted(layer) -> bool:
    return isinstance(layer, (keras.layers.Conv2D, keras.layers.BatchNormalization))


def backbone_name_table(backbone: ResNetBackbone, style: str = "sfnet", prefix: str = ""):
    """``[(authors' name prefix, layer)]`` for every conv and BN of a ResNet backbone.

    Args:
        backbone: a :class:`~keras_sfnet.backbones.ResNetBackbone`.
        style: ``"sfnet"`` (names inside the authors' SFNet checkpoints: ``layer0.*``),
            ``"imagenet_deep"`` (their ImageNet ``resnet*-deep*.pth``: ``conv1.N``,
            ``bn1``) or ``"torchvision"`` (7x7 stem: ``conv1``, ``bn1``).
        prefix: prepended to every name.

    Example:
    >>> table = backbone_name_table(ResNetBackbone(18), "sfnet")
    >>> table[0][0]
    'layer0.0.0'
    """
    if style not in BACKBONE_STYLES:
        raise ValueError(
            f"`style` must be one of {list(BACKBONE_STYLES)}. Received: style={style!r}"
        )
    if style == "torchvision":
        if backbone.stem != "standard":
            raise ValueError(
                "torchvision ResNet weights need `stem='standard'`. "
                f"Received: a backbone with stem={backbone.stem!r}"
            )
        stem = _STANDARD_STEM
    else:
        if backbone.stem != "deep":
            raise ValueError(
                f"The authors' {style!r} weights need `stem='deep'`. "
                f"Received: a backbone with stem={backbone.stem!r}"
            )
        stem = _DEEP_STEM[style]
    table = []
    for layer in backbone.layers:
        if not _is_weighted(layer):
            continue
        if layer.name in stem:
            table.append((prefix + stem[layer.name], layer))
            continue
        match = _BLOCK.match(layer.name)
        if match is None:
            raise ValueError(f"No checkpoint name for backbone layer {layer.name!r}")
        stage, block, part = match.groups()
        part = _BLOCK_PART.get(part, part)
        table.append((f"{prefix}layer{stage}.{int(block) - 1}.{part}", layer))
    return table


def official_name_table(model: SFNet):
    """``[(authors' name prefix, layer)]`` for every conv and BN of an SFNet.

    The single place that ties the authors' ``state_dict`` names to our layers.

    Example:
    >>> model = SFNet("resnet18", num_classes=19)
    >>> dict(official_name_table(model))["head.conv_last.1"].name
    'classifier'
    """
    table = backbone_name_table(model.backbone, "sfnet")
    decoder = model.decoder
    for k, stage in enumerate(decoder.ppm.stages):
        table += [(f"head.ppm.stages.{k}.1", stage.conv), (f"head.ppm.stages.{k}.2", stage.bn)]
    table += [
        ("head.ppm.bottleneck.0", decoder.ppm.bottleneck.conv),
        ("head.ppm.bottleneck.1", decoder.ppm.bottleneck.bn),
    ]
    for i in range(3):
        lateral, aligner, out = decoder.laterals[i], decoder.aligners[i], decoder.outputs_convs[i]
        table += [
            (f"head.fpn_in.{i}.0", lateral.conv),
            (f"head.fpn_in.{i}.1", lateral.bn),
            (f"head.fpn_out.{i}.0.0", out.conv),
            (f"head.fpn_out.{i}.0.1", out.bn),
            (f"head.fpn_out_align.{i}.down_h", aligner.down_high),
            (f"head.fpn_out_align.{i}.down_l", aligner.down_low),
            (f"head.fpn_out_align.{i}.flow_make", aligner.flow_conv),
        ]
    for i, aux in enumerate(model.aux_heads):
        table += [
            (f"head.dsn.{i}.0", aux.conv_bn_relu.conv),
            (f"head.dsn.{i}.1", aux.conv_bn_relu.bn),
            (f"head.dsn.{i}.4", aux.classifier),
        ]
    table += [
        ("head.conv_last.0.0", decoder.fuse.conv),
        ("head.conv_last.0.1", decoder.fuse.bn),
        ("head.conv_last.1", model.classifier),
    ]
    return table


def _expected_tensors(name: str, layer):
    """``{torch name: (torch shape, setter)}`` for one layer."""
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw, cin, cout = layer.kernel.shape
        tensors = {
            f"{name}.weight": (
                (cout, cin, kh, kw),
                lambda a, v=layer.kernel: v.assign(np.transpose(a, (2, 3, 1, 0))),
            )
        }
        if layer.use_bias:
            tensors[f"{name}.bias"] = ((cout,), lambda a, v=layer.bias: v.assign(a))
        return tensors
    n = layer.gamma.shape[0]
    return {
        f"{name}.weight": ((n,), lambda a, v=layer.gamma: v.assign(a)),
        f"{name}.bias": ((n,), lambda a, v=layer.beta: v.assign(a)),
        f"{name}.running_mean": ((n,), lambda a, v=layer.moving_mean: v.assign(a)),
        f"{name}.running_var": ((n,), lambda a, v=layer.moving_variance: v.assign(a)),
    }


def _table_to_state_dict(table) -> dict[str, np.ndarray]:
    state_dict = {}
    for name, layer in table:
        if isinstance(layer, keras.layers.Conv2D):
            state_dict[f"{name}.weight"] = np.transpose(layer.kernel.numpy(), (3, 2, 0, 1))
            if layer.use_bias:
                state_dict[f"{name}.bias"] = layer.bias.numpy()
        else:
            state_dict[f"{name}.weight"] = layer.gamma.numpy()
            state_dict[f"{name}.bias"] = layer.beta.numpy()
            state_dict[f"{name}.running_mean"] = layer.moving_mean.numpy()
            state_dict[f"{name}.running_var"] = layer.moving_variance.numpy()
    return state_dict


def to_official_state_dict(model) -> dict[str, np.ndarray]:
    """The inverse of :func:`load_official_weights`: our weights under the authors' names.

    Accepts an :class:`~keras_sfnet.SFNet` (names as in the authors' SFNet
    checkpoints) or a :class:`~keras_sfnet.backbones.ResNetBackbone` (``layer0.*`` /
    ``layerK.*`` names; ``conv1``/``bn1`` for the standard stem). Arrays are float32 in
    PyTorch layout (OIHW), ready for ``torch.from_numpy`` and ``load_state_dict``
    (``num_batches_tracked`` excluded).

    Example:
    >>> sd = to_official_state_dict(SFNet("resnet18", num_classes=19))
    >>> sd["head.conv_last.1.weight"].shape
    (19, 128, 1, 1)
    """
    if isinstance(model, SFNet):
        return _table_to_state_dict(official_name_table(model))
    style = "sfnet" if model.stem == "deep" else "torchvision"
    return _table_to_state_dict(backbone_name_table(model, style))


def _assign_from_table(table, state_dict: Mapping[str, np.ndarray], source: str, ignore=()):
    """Checks every tensor first, then assigns: a checkpoint that does not fit loads nothing."""
    expected = {}
    for name, layer in table:
        expected.update(_expected_tensors(name, layer))
    assignments = []
    for name, (shape, setter) in expected.items():
        if name not in state_dict:
            raise CheckpointMismatchError(
                f"{source} does not fit the model: tensor {name!r} (expected shape "
                f"{tuple(shape)}) is missing from the checkpoint."
            )
        array = np.asarray(state_dict[name])
        if tuple(array.shape) != tuple(shape):
            raise CheckpointMismatchError(
                f"{source} does not fit the model: tensor {name!r} has shape "
                f"{tuple(array.shape)} in the checkpoint, but the model expects {tuple(shape)}."
            )
        assignments.append((setter, array.astype(np.float32)))
    extra = [
        k
        for k in state_dict
        if k not in expected
        and not k.endswith("num_batches_tracked")
        and not any(k.startswith(p) for p in ignore)
    ]
    if extra:
        raise CheckpointMismatchError(
            f"{source} does not fit the model: the checkpoint has {len(extra)} tensor(s) the "
            f"model does not use, first {extra[0]!r} (shape {tuple(np.shape(state_dict[extra[0]]))})."
        )
    for setter, array in assignments:
        setter(array)
    return len(expected)


def _as_state_dict(checkpoint) -> tuple[dict, str]:
    if isinstance(checkpoint, (str, os.PathLike)):
        from keras_sfnet.convert.torch_checkpoint import read_state_dict

        return read_state_dict(checkpoint), f"checkpoint '{os.fspath(checkpoint)}'"
    if isinstance(checkpoint, Mapping):
        from keras_sfnet.convert.torch_checkpoint import extract_state_dict

        return extract_state_dict(checkpoint), "checkpoint"
    raise TypeError(
        "`checkpoint` must be a path or a state_dict mapping. "
        f"Received: {type(checkpoint).__name__}"
    )


def infer_official_config(state_dict: Mapping[str, np.ndarray]) -> dict:
    """Reads backbone, classes, deep supervision and decoder width off the tensors.

    Example:
    >>> infer_official_config(state_dict)  # doctest: +SKIP
    {'backbone': 'resnet18', 'num_classes': 19, 'deep_supervision': False, ...}
    """
    required = ("head.conv_last.1.weight", "head.fpn_out_align.0.flow_make.weight")
    missing = [k for k in required if k not in state_dict]
    if missing:
        raise CheckpointMismatchError(
            "This is not an SFNet checkpoint of the authors' ResNet models: tensor "
            f"{missing[0]!r} is missing (keras_sfnet converts their ResNet-18/50/101 "
            "SFNet checkpoints, v1 head)."
        )
    if "layer0.0.0.weight" not in state_dict:
        raise CheckpointMismatchError(
            "This SFNet checkpoint has no deep-stem ResNet trunk (tensor 'layer0.0.0.weight' is "
            "missing); only the ResNet-18/50/101 SFNets are supported."
        )
    blocks = {int(k.split(".")[1]) for k in state_dict if k.startswith("layer3.")}
    bottleneck = "layer1.0.conv3.weight" in state_dict
    depth = {(False, 2): 18, (True, 6): 50, (True, 23): 101}.get((bottleneck, len(blocks)))
    if depth is None:
        raise CheckpointMismatchError(
            f"Unrecognised ResNet trunk: {len(blocks)} blocks in layer3, "
            f"{'Bottleneck' if bottleneck else 'BasicBlock'} blocks."
        )
    return {
        "backbone": f"resnet{depth}",
        "num_classes": int(state_dict["head.conv_last.1.weight"].shape[0]),
        "deep_supervision": any(k.startswith("head.dsn.") for k in state_dict),
        "decoder_filters": int(state_dict["head.conv_last.0.0.weight"].shape[0]),
    }


def load_official_weights(model: SFNet, checkpoint) -> SFNet:
    """Loads an authors' SFNet checkpoint (path or state_dict) into ``model``.

    Raises :class:`CheckpointMismatchError` naming the first tensor that does not fit
    (name, expected shape, found shape); nothing is assigned in that case.

    Example:
    >>> model = SFNet("resnet18", num_classes=19)
    >>> load_official_weights(model, "sfnet_r18_cityscapes.pth")  # doctest: +SKIP
    """
    state_dict, source = _as_state_dict(checkpoint)
    count = _assign_from_table(official_name_table(model), state_dict, source)
    logger.info("Loaded %d tensors from %s", count, source)
    return model


def from_official_checkpoint(
    checkpoint,
    backbone: str | None = None,
    num_classes: int | None = None,
    deep_supervision: bool | None = None,
    input_shape=(None, None, 3),
    **kwargs,
) -> SFNet:
    """Builds an SFNet and loads the authors' checkpoint into it.

    Reads ``.pth`` files without torch and without unpickling arbitrary objects (see
    :mod:`keras_sfnet.convert.torch_checkpoint`); accepts a dict with ``state_dict``
    or a bare state_dict, ``module.`` prefixes, float16/float32 tensors. Arguments
    left as None are inferred from the tensors; given ones must fit the checkpoint.

    Args:
        checkpoint: path to a ``.pth`` file, or a state_dict of numpy arrays.
        backbone: ``"resnet18"``, ``"resnet50"`` or ``"resnet101"``, or None to infer.
        num_classes: int or None to infer. Another number than the checkpoint's gives
            a model for fine-tuning: every weight but the class-specific layers
            (classifier, auxiliary classifiers), which stay freshly initialised.
        deep_supervision: bool or None to infer (True when ``head.dsn.*`` exist).
        input_shape: model input shape. Defaults to ``(None, None, 3)``.
        **kwargs: passed to :class:`~keras_sfnet.SFNet`.

    Returns:
        The :class:`~keras_sfnet.SFNet` that reproduces the authors' outputs.

    Example:
    >>> model = from_official_checkpoint("sfnet_r18_cityscapes.pth", backbone="resnet18")  # doctest: +SKIP
    """
    state_dict, source = _as_state_dict(checkpoint)
    inferred = infer_official_config(state_dict)
    if (num_classes not in (None, inferred["num_classes"])) or (
        deep_supervision not in (None, inferred["deep_supervision"])
    ):
        # Fine-tuning: every weight but the class-specific layers, which stay fresh.
        from keras_sfnet.models.weight_transfer import with_new_heads

        pretrained = from_official_checkpoint(
            state_dict, backbone=backbone, input_shape=input_shape, **kwargs
        )
        return with_new_heads(pretrained, num_classes, deep_supervision)
    if backbone is not None and backbone not in BACKBONES:
        raise ValueError(
            f"`backbone` must be one of {list(BACKBONES)}. Received: backbone={backbone!r}"
        )
    config = {
        "backbone": backbone or inferred["backbone"],
        "num_classes": inferred["num_classes"] if num_classes is None else num_classes,
        "deep_supervision": (
            inferred["deep_supervision"] if deep_supervision is None else deep_supervision
        ),
        "decoder_filters": inferred["decoder_filters"],
    }
    model = SFNet(input_shape=input_shape, **config, **kwargs)
    count = _assign_from_table(official_name_table(model), state_dict, source)
    logger.info(
        "Built %s SFNet (%d classes) from %d tensors of %s",
        config["backbone"],
        config["num_classes"],
        count,
        source,
    )
    return model


def detect_backbone_style(state_dict: Mapping[str, np.ndarray]) -> str:
    """``"sfnet"``, ``"imagenet_deep"`` or ``"torchvision"`` from the tensor names."""
    if "layer0.0.0.weight" in state_dict:
        return "sfnet"
    if "conv1.0.weight" in state_dict:
        return "imagenet_deep"
    if "conv1.weight" in state_dict:
        return "torchvision"
    raise CheckpointMismatchError(
        "Not a ResNet checkpoint keras_sfnet knows: expected 'layer0.0.0.weight' (SFNet), "
        "'conv1.0.weight' (the authors' deep-stem ImageNet ResNet) or 'conv1.weight' "
        "(torchvision ResNet)."
    )


def load_backbone_weights(backbone: ResNetBackbone, checkpoint, style: str | None = None):
    """Loads ImageNet (or SFNet-trunk) ResNet weights into a backbone, for fine-tuning.

    Accepts the authors' ``resnet18-deep-inplane128.pth`` / ``resnet50-deep.pth`` /
    ``resnet101-deep.pth`` (deep stem), torchvision ResNet state_dicts (build the
    backbone with ``stem="standard"``), or an SFNet checkpoint (its trunk). The
    classifier (``fc.*``) and an SFNet ``head.*`` are ignored.

    Example:
    >>> model = SFNet("resnet18", num_classes=19)
    >>> load_backbone_weights(model.backbone, "resnet18-deep-inplane128.pth")  # doctest: +SKIP
    """
    state_dict, source = _as_state_dict(checkpoint)
    style = style or detect_backbone_style(state_dict)
    table = backbone_name_table(backbone, style)
    count = _assign_from_table(table, state_dict, source, ignore=("fc.", "head."))
    logger.info("Loaded %d backbone tensors (%s) from %s", count, style, source)
    return backbone
