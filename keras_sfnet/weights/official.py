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
from keras_sfnet.decoders.lite_aligned_fpn import LiteAlignedFPN
from keras_sfnet.weights.encoder_names import STDC_ALIAS, STDC_CLASSIFIER, encoder_name_table

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


def _is_segmenter(model) -> bool:
    """An SFNet (encoder + decoder + classifier), told apart from a bare encoder."""
    return all(hasattr(model, a) for a in ("backbone", "decoder", "classifier"))


def _is_weighted(layer) -> bool:
    return isinstance(
        layer,
        (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.BatchNormalization),
    )


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


def official_name_table(model: keras.Model):
    """``[(authors' name prefix, layer)]`` for every conv and BN of an SFNet.

    The single place that ties the authors' ``state_dict`` names to our layers, for
    every member of the family: the trunk (``layer*`` for ResNets, ``backbone.*`` for
    DFNet/STDC/ShuffleNetV2), the v1 head (``head.fpn_in/fpn_out/fpn_out_align.i``,
    ``i`` = the level's index fine to coarse) or the Lite head
    (``head.fpn_in.{0,1}``, ``head.flow_align_module``), and the class layers.

    Example:
    >>> model = SFNet("resnet18", num_classes=19)
    >>> dict(official_name_table(model))["head.conv_last.1"].name
    'classifier'
    """
    if isinstance(model.backbone, ResNetBackbone):
        table = backbone_name_table(model.backbone, "sfnet")
    else:
        table = encoder_name_table(model.backbone, prefix="backbone.")
    decoder = model.decoder
    for k, stage in enumerate(decoder.ppm.stages):
        table += [(f"head.ppm.stages.{k}.1", stage.conv), (f"head.ppm.stages.{k}.2", stage.bn)]
    table += [
        ("head.ppm.bottleneck.0", decoder.ppm.bottleneck.conv),
        ("head.ppm.bottleneck.1", decoder.ppm.bottleneck.bn),
    ]
    for i, lateral in enumerate(decoder.laterals):
        table += [(f"head.fpn_in.{i}.0", lateral.conv), (f"head.fpn_in.{i}.1", lateral.bn)]
    if isinstance(decoder, LiteAlignedFPN):
        aligner = decoder.aligner
        table += [
            ("head.flow_align_module.down_h", aligner.down_high),
            ("head.flow_align_module.down_l", aligner.down_low),
            ("head.flow_align_module.flow_make", aligner.flow_conv),
            ("head.flow_align_module.flow_gate.0", aligner.gate_conv),
        ]
    else:
        for i, (aligner, out) in enumerate(zip(decoder.aligners, decoder.outputs_convs)):
            table += [
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
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kh, kw, cin, mult = layer.kernel.shape
        return {
            f"{name}.weight": (
                (cin * mult, 1, kh, kw),
                lambda a, v=layer.kernel: v.assign(np.transpose(a, (2, 3, 0, 1))),
            )
        }
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
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            state_dict[f"{name}.weight"] = np.transpose(layer.kernel.numpy(), (2, 3, 0, 1))
        elif isinstance(layer, keras.layers.Conv2D):
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
    checkpoints), a :class:`~keras_sfnet.backbones.ResNetBackbone` (``layer0.*`` /
    ``layerK.*`` names; ``conv1``/``bn1`` for the standard stem) or a light encoder
    (the names of its ImageNet file: ``stage1.0``, ``features.0.conv``, torchvision's
    ``conv1.0``). Arrays are float32 in
    PyTorch layout (OIHW), ready for ``torch.from_numpy`` and ``load_state_dict``
    (``num_batches_tracked`` excluded). Only the tensors an eval pass uses are
    written: the authors' STDC aliases and ImageNet classifier, and the Lite head's
    never-called ``dsn`` (and R18-Lite's unused ``fpn_in.2``) are not, so load it into
    their modules with ``strict=False``.

    Example:
    >>> sd = to_official_state_dict(SFNet("resnet18", num_classes=19))
    >>> sd["head.conv_last.1.weight"].shape
    (19, 128, 1, 1)
    """
    if _is_segmenter(model):
        return _table_to_state_dict(official_name_table(model))
    if not isinstance(model, ResNetBackbone):
        # Light encoders: the names of their ImageNet files (torchvision's for ShuffleNetV2).
        return _table_to_state_dict(encoder_name_table(model, prefix=""))
    style = "sfnet" if model.stem == "deep" else "torchvision"
    return _table_to_state_dict(backbone_name_table(model, style))


def assign_from_table(table, state_dict: Mapping[str, np.ndarray], source: str, ignore=()):
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


def as_state_dict(checkpoint) -> tuple[dict, str]:
    if isinstance(checkpoint, (str, os.PathLike)):
        from keras_sfnet.weights.torch_checkpoint import read_state_dict

        return read_state_dict(checkpoint), f"checkpoint '{os.fspath(checkpoint)}'"
    if isinstance(checkpoint, Mapping):
        from keras_sfnet.weights.torch_checkpoint import extract_state_dict

        return extract_state_dict(checkpoint), "checkpoint"
    raise TypeError(
        "`checkpoint` must be a path or a state_dict mapping. "
        f"Received: {type(checkpoint).__name__}"
    )


_TRUNK_PATTERNS = {
    "resnet": re.compile(r"^layer[0-4]\."),
    "dfnet": re.compile(r"^backbone\.stage\d(_\d)?\.\d+\."),
    "stdc": re.compile(
        r"^backbone\.(features|x2|x4|x8|x16|x32)\.|^backbone\.(conv_last|fc|bn|linear)\."
    ),
    "shufflenet": re.compile(r"^backbone\.(conv1|stage[234])\."),
}
_HEAD_PATTERN = re.compile(
    r"^head\.(ppm\.|fpn_in\.\d+\.[01]\.|fpn_out\.\d+\.0\.[01]\.|"
    r"fpn_out_align\.\d+\.(down_h|down_l|flow_make)\.|flow_align_module\.|dsn\.|conv_last\.)"
)


def _unsupported(state_dict, why: str) -> CheckpointMismatchError:
    from keras_sfnet.models.family import CONFIGURATIONS

    known = [*_TRUNK_PATTERNS.values(), _HEAD_PATTERN]
    unknown = [
        k
        for k in state_dict
        if not k.endswith("num_batches_tracked") and not any(p.match(k) for p in known)
    ]
    first = f" First unknown tensor: {unknown[0]!r}." if unknown else ""
    return CheckpointMismatchError(
        f"Unsupported SFNet checkpoint: {why}{first} keras_sfnet converts the authors' "
        f"architectures {list(CONFIGURATIONS)} (see keras_sfnet.list_models())."
    )


def _infer_trunk(state_dict) -> str:
    if "layer0.0.0.weight" in state_dict:
        blocks = {int(k.split(".")[1]) for k in state_dict if k.startswith("layer3.")}
        bottleneck = "layer1.0.conv3.weight" in state_dict
        depth = {(False, 2): 18, (True, 6): 50, (True, 23): 101}.get((bottleneck, len(blocks)))
        if depth is None:
            raise _unsupported(
                state_dict,
                f"a ResNet trunk with {len(blocks)} blocks in layer3 "
                f"({'Bottleneck' if bottleneck else 'BasicBlock'}).",
            )
        return f"resnet{depth}"
    if "backbone.stage5.0.conv1.weight" in state_dict:
        return "dfnet1"
    if "backbone.stage2_1.0.conv1.weight" in state_dict:
        return "dfnet2"
    if "backbone.features.0.conv.weight" in state_dict:
        blocks = {int(k.split(".")[2]) for k in state_dict if k.startswith("backbone.features.")}
        version = {8: 1, 14: 2}.get(len(blocks))
        if version is None:
            raise _unsupported(state_dict, f"an STDC trunk with {len(blocks)} feature blocks.")
        return f"stdc{version}"
    if "backbone.stage2.0.branch1.0.weight" in state_dict:
        return "shufflenetv2"
    raise _unsupported(state_dict, "no trunk keras_sfnet knows.")


def infer_official_config(state_dict: Mapping[str, np.ndarray]) -> dict:
    """Reads the architecture off the tensor names and shapes.

    Returns the :class:`~keras_sfnet.SFNet` arguments: ``backbone``, ``head``
    (``"v1"`` or ``"lite"``), ``num_classes``, ``deep_supervision`` and
    ``decoder_filters``. STDC alias names are accepted. Raises
    :class:`CheckpointMismatchError` naming the first unknown tensor and listing the
    supported architectures for anything else.

    Example:
    >>> infer_official_config(state_dict)  # doctest: +SKIP
    {'backbone': 'stdc2', 'head': 'lite', 'num_classes': 19, ...}
    """
    state_dict = resolve_stdc_aliases(state_dict)
    backbone = _infer_trunk(state_dict)
    if "head.flow_align_module.flow_make.weight" in state_dict:
        head = "lite"
    elif "head.fpn_out_align.0.flow_make.weight" in state_dict:
        head = "v1"
    else:
        raise _unsupported(
            state_dict,
            "its head has no flow alignment ('head.fpn_out_align.0.flow_make.weight' for "
            "SFNet, 'head.flow_align_module.flow_make.weight' for SFNet-Lite).",
        )
    if "head.conv_last.1.weight" not in state_dict:
        raise _unsupported(state_dict, "the classifier 'head.conv_last.1.weight' is missing.")
    return {
        "backbone": backbone,
        "head": head,
        "num_classes": int(state_dict["head.conv_last.1.weight"].shape[0]),
        "deep_supervision": head == "v1" and any(k.startswith("head.dsn.") for k in state_dict),
        "decoder_filters": int(state_dict["head.conv_last.0.0.weight"].shape[0]),
    }


def _never_called(model: keras.Model) -> tuple[str, ...]:
    """Prefixes of checkpoint tensors the authors' eval pass never uses, for this model."""
    prefixes = ()
    if model.backbone_name in ("stdc1", "stdc2"):
        prefixes += tuple(f"backbone.{p}" for p in STDC_CLASSIFIER)
    if isinstance(model.decoder, LiteAlignedFPN):
        # `dsn` (fpn_dsn=True) is built but never called; ResNet-18 builds a third
        # fpn_in (for layer4) that the Lite head never reads.
        prefixes += ("head.dsn.", f"head.fpn_in.{len(model.decoder.laterals)}.")
    return prefixes


def _load_into(model: keras.Model, state_dict, source: str) -> int:
    state_dict = resolve_stdc_aliases(state_dict)
    unused = _never_called(model)
    skipped = [k for k in state_dict if k.startswith(unused) and not k.endswith("tracked")]
    if skipped:
        logger.info(
            "Skipped %d tensors of %s that the authors' network never calls: %s",
            len(skipped),
            source,
            ", ".join(
                sorted(
                    {p.rstrip(".") + ".*" for p in unused if any(k.startswith(p) for k in skipped)}
                )
            ),
        )
    return assign_from_table(official_name_table(model), state_dict, source, ignore=unused)


def load_official_weights(model: keras.Model, checkpoint) -> keras.Model:
    """Loads an authors' SFNet checkpoint (path or state_dict) into ``model``.

    Raises :class:`CheckpointMismatchError` naming the first tensor that does not fit
    (name, expected shape, found shape); nothing is assigned in that case. Tensors the
    authors' network never calls (the STDC ImageNet classifier, the Lite head's
    ``dsn``) are skipped with one log line.

    Example:
    >>> model = SFNet("resnet18", num_classes=19)
    >>> load_official_weights(model, "sfnet_r18_cityscapes.pth")  # doctest: +SKIP
    """
    state_dict, source = as_state_dict(checkpoint)
    count = _load_into(model, state_dict, source)
    logger.info("Loaded %d tensors from %s", count, source)
    return model


def build_official_model(
    checkpoint,
    model_class,
    backbone: str | None = None,
    num_classes: int | None = None,
    deep_supervision: bool | None = None,
    input_shape=(None, None, 3),
    head: str | None = None,
    **kwargs,
) -> keras.Model:
    """Builds ``model_class`` (an SFNet) with the authors' checkpoint in it, architecture inferred.

    The implementation of :func:`keras_sfnet.weights.from_official_checkpoint`, which
    passes :class:`~keras_sfnet.SFNet` (the converter is given the model class, the
    model never imports the converter).

    Converts every released network of the authors (ResNet-18/50/101, DFNet v1/v2 with
    or without deep supervision, STDC1/2, SFNet-Lite on ResNet-18 and STDC1/2; see
    :func:`keras_sfnet.list_models`). Reads ``.pth`` files without torch and without
    unpickling arbitrary objects (see :mod:`keras_sfnet.weights.torch_checkpoint`);
    accepts a dict with ``state_dict`` or a bare state_dict, ``module.`` prefixes,
    float16/float32 tensors, STDC's aliased names. Arguments left as None are inferred
    from the tensors; given ones must fit the checkpoint.

    Args:
        checkpoint: path to a ``.pth`` file, or a state_dict of numpy arrays.
        model_class: the model class to build (:class:`~keras_sfnet.SFNet` or a subclass).
        backbone: a name of ``keras_sfnet.backbones.BACKBONES``, or None to infer.
        num_classes: int or None to infer. Another number than the checkpoint's gives
            a model for fine-tuning: every weight but the class-specific layers
            (classifier, auxiliary classifiers), which stay freshly initialised.
        deep_supervision: bool or None to infer (True when a v1 head has ``head.dsn.*``).
        input_shape: model input shape. Defaults to ``(None, None, 3)``.
        head: ``"v1"``, ``"lite"`` or None to infer.
        **kwargs: passed to :class:`~keras_sfnet.SFNet`.

    Returns:
        The :class:`~keras_sfnet.SFNet` that reproduces the authors' outputs.

    Example:
    >>> model = build_official_model("sfnet_lite_stdcv1.pth", SFNet)  # doctest: +SKIP
    """
    state_dict, source = as_state_dict(checkpoint)
    inferred = infer_official_config(state_dict)
    if (num_classes not in (None, inferred["num_classes"])) or (
        deep_supervision not in (None, inferred["deep_supervision"])
    ):
        # Fine-tuning: every weight but the class-specific layers, which stay fresh.
        from keras_sfnet.weights.transfer import with_new_heads

        pretrained = build_official_model(
            state_dict, model_class, backbone=backbone, input_shape=input_shape, head=head, **kwargs
        )
        return with_new_heads(pretrained, num_classes, deep_supervision)
    if backbone is not None and backbone not in BACKBONES:
        raise ValueError(
            f"`backbone` must be one of {list(BACKBONES)}. Received: backbone={backbone!r}"
        )
    config = {
        "backbone": backbone or inferred["backbone"],
        "head": head or inferred["head"],
        "num_classes": inferred["num_classes"] if num_classes is None else num_classes,
        "deep_supervision": (
            inferred["deep_supervision"] if deep_supervision is None else deep_supervision
        ),
        "decoder_filters": inferred["decoder_filters"],
    }
    model = model_class(input_shape=input_shape, **config, **kwargs)
    count = _load_into(model, state_dict, source)
    logger.info(
        "Built %s SFNet (head %s, %d classes) from %d tensors of %s",
        config["backbone"],
        config["head"],
        config["num_classes"],
        count,
        source,
    )
    return model


def resolve_stdc_aliases(state_dict: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Keeps one name of each STDC alias pair (``x2..x32.0.K.*`` -> ``features.K.*``).

    STDC state_dicts list every trunk tensor twice (``features.K`` and ``xS.0.K``, the
    same tensor). An alias whose ``features`` twin is present is dropped; a lone alias
    is renamed to its ``features`` name.

    Example:
    >>> sorted(resolve_stdc_aliases({"x2.0.0.conv.weight": 1}))
    ['features.0.conv.weight']
    """
    resolved = {}
    for key, value in state_dict.items():
        match = STDC_ALIAS.match(key)
        if match is None:
            resolved.setdefault(key, value)
            continue
        canonical = f"{match['prefix']}features.{match['index']}.{match['rest']}"
        if canonical not in state_dict:
            resolved[canonical] = value
    return resolved
