"""`SFNet`: the whole segmenter (backbone + decoder + class heads), logits at input size."""

from __future__ import annotations

import keras

from keras_sfnet.backbones import BACKBONES, DECODER_LEVELS, RESNET_BACKBONES, get_backbone
from keras_sfnet.decoders.aligned_fpn import LEVELS
from keras_sfnet.decoders.auxiliary_head import AuxiliaryHead
from keras_sfnet.decoders.decoder_factory import build_decoder
from keras_sfnet.decoders.lite_aligned_fpn import LITE_LEVELS, LiteAlignedFPN
from keras_sfnet.decoders.switches import (
    DEFAULT_SWITCHES,
    changed_switches,
    check_switches,
    is_released,
)
from keras_sfnet.layers.resize_like import ResizeLike
from keras_sfnet.models.dtype_policy_scope import built_under_dtype_policy
from keras_sfnet.models.family import get_configuration
from keras_sfnet.models.recipe import compile_arguments, replicate_for_outputs
from keras_sfnet.names import HEADS, LITE_BACKBONES  # noqa: F401 (re-exported)

# The authors' fpn_dim for each (head, backbone).
DEFAULT_DECODER_FILTERS = {
    "resnet18": 128,
    "resnet50": 256,
    "resnet101": 256,
    "dfnet1": 64,
    "dfnet2": 64,
    "stdc1": 64,
    "stdc2": 64,
    "shufflenetv2": 64,
}
LITE_DECODER_FILTERS = 128

# The constructor arguments (other than `backbone` and the decoder switches) that SFNet
# keeps, in `get_config` order; each in the attribute of its name but `input_shape`.
_CONFIG_ARGUMENTS = (
    "num_classes", "deep_supervision", "decoder_filters", "dilated", "stem", "input_shape",
    "dropout", "head",
)  # fmt: skip
_CONFIG_ATTRIBUTES = {"input_shape": "image_shape"}


def deep_supervision_outputs(backbone: str) -> tuple[str, ...]:
    """The output names of ``SFNet(backbone, deep_supervision=True)``, main output first.

    ``("logits", "aux_p4", "aux_p3", "aux_p2")`` for the 4-level backbones; DFNet's
    three levels give two auxiliary outputs (``"aux_p5_stage4", "aux_p4"`` for v1).

    Example:
    >>> deep_supervision_outputs("dfnet2")
    ('logits', 'aux_p4', 'aux_p3')
    """
    if backbone not in DECODER_LEVELS:
        raise ValueError(
            f"`backbone` must be one of {list(DECODER_LEVELS)}. Received: backbone={backbone!r}"
        )
    levels = DECODER_LEVELS[backbone][:-1]
    return ("logits", *(f"aux_{k.lower()}" for k in reversed(levels)))


def _weights_layer():
    """The model core's one way up: :mod:`keras_sfnet.weights.loading`, imported lazily.

    ``from_preset``, ``save_to_preset`` and ``load_pretrained_weights`` reach the
    weights layer through here; that module never imports this one (it is given the
    model class), so the import graph has no cycle.
    """
    from keras_sfnet.weights import loading

    return loading


def _check_images(inputs) -> None:
    """Refuses inputs that would give silently wrong logits."""
    if isinstance(inputs, dict) and list(inputs) == ["image"]:
        inputs = inputs["image"]
    shape = getattr(inputs, "shape", None)
    if shape is None:
        return
    shape = tuple(shape)
    if len(shape) != 4:
        raise ValueError(
            "SFNet expects a batch of NHWC images of shape (batch, height, width, 3). "
            f"Received: inputs.shape={shape}. Add a batch axis (`x[None]`) for one image."
        )
    if shape[-1] is not None and shape[-1] != 3:
        raise ValueError(
            "SFNet expects 3-channel RGB images (batch, height, width, 3). "
            f"Received: inputs.shape={shape}. Convert grayscale/RGBA images to RGB first."
        )
    dtype = str(getattr(inputs, "dtype", "float32"))
    if "int" in dtype or "bool" in dtype:
        raise ValueError(
            "SFNet expects ImageNet-normalised float images ((x / 255 - mean) / std). "
            f"Received: inputs.dtype={dtype}. Normalise first, or use "
            "keras_sfnet.inference.Segmenter, which takes uint8 images."
        )


@keras.saving.register_keras_serializable(package="keras_sfnet")
class SFNet(keras.Model):
    """SFNet scene parser (Li et al., "Semantic Flow for Fast and Accurate Scene
    Parsing", ECCV 2020), exactly the authors' released network.

    Input: ImageNet-normalised RGB images, NHWC (``(x / 255 - mean) / std`` with mean
    ``(0.485, 0.456, 0.406)``, std ``(0.229, 0.224, 0.225)``), any height, width and
    batch. Output: class logits (float32, not softmax) at the input size.

    Structure (the keras-hub backbone / decoder / head split): ``backbone`` (the
    image encoder, a ``{"P2".."P5"}`` pyramid), ``decoder`` (:class:`AlignedFPN`, returns
    class-agnostic features), then the class-specific layers that live here:
    ``classifier`` (1x1 conv with bias, float32), the auxiliary heads ``p4_aux``,
    ``p3_aux``, ``p2_aux`` (deep supervision only) and ``segmentation_output``
    (align-corners resize to the input size). With
    ``deep_supervision=True`` the output is a dict ``{"logits", "aux_p4", "aux_p3",
    "aux_p2"}``: the auxiliary logits at strides 16, 8, 4 (coarse to fine), for
    training; :meth:`inference_model` gives the main logits alone. The auxiliary
    outputs follow the backbone's ``decoder_levels`` (DFNet v1: ``"aux_p5_stage4"``,
    ``"aux_p4"``); ``aux_output_names`` lists them.

    The whole family (see :func:`keras_sfnet.list_models` and :meth:`from_name`):
    ``head="v1"`` on ResNet-18/50/101, DFNet v1/v2 (``"dfnet1"``, ``"dfnet2"``),
    STDC1/2 (``"stdc1"``, ``"stdc2"``) and ShuffleNetV2 x1.0 (``"shufflenetv2"``);
    ``head="lite"`` (SFNet-Lite, :class:`~keras_sfnet.layers.LiteAlignedFPN`) on
    ResNet-18 and STDC1/2.

    Args:
        backbone: str, one of ``keras_sfnet.backbones.BACKBONES`` (``"resnet18"``,
            ``"dfnet1"``, ``"stdc2"``, ``"shufflenetv2"``, ...), or a Keras model mapping
            images to a pyramid dict (``{"P2".."P5"}``; its ``decoder_levels``
            attribute, if any, says which keys the v1 head reads). Defaults to
            ``"resnet18"``.
        num_classes: int >= 1. Defaults to 19 (Cityscapes).
        deep_supervision: bool, add the auxiliary heads. Defaults to False.
        decoder_filters: int or None, the decoder width (``fpn_dim``). Defaults to the
            authors' choice: 128 for ResNet-18 and the Lite head, 256 for ResNet-50/101,
            64 for DFNet, STDC and ShuffleNetV2 with the v1 head.
        dilated: bool, the released stage-3/4 dilations of a named ResNet backbone.
            Defaults to True.
        stem: str, ``"deep"`` (authors) or ``"standard"`` (torchvision 7x7) for a named
            ResNet backbone. Defaults to ``"deep"``.
        input_shape: tuple. Defaults to ``(None, None, 3)``.
        dropout: float, spatial dropout of the PPM and auxiliary heads. Defaults to 0.1.
        head: str, which decoder FAMILY: ``"v1"`` (SFNet, ECCV 2020: the aligned FPN,
            tuned by ``decoder`` and the other switches below) or ``"lite"``
            (SFNet-Lite, IJCV 2023: :class:`~keras_sfnet.decoders.LiteAlignedFPN`,
            which takes no switches). Defaults to ``"v1"``.
        decoder: str, the v1 decoder's structure (``head="v1"`` only), first of the
            paper's ablation switches (Tables 1, 2; defaults = the released
            network): ``"aligned_fpn"`` (default), ``"fpn"`` (plain bilinear top-down),
            ``"fcn"`` (context head + 3x3 conv on P5, stride 32) or ``"dilated_fcn"``
            (the same on a stride-8 dilated ResNet). On DFNet's three pyramid levels
            ``fam_levels`` is all or none (Table 1(d): ``decoder="fpn"``).
        context: head on P5: ``"ppm"`` (default), ``"none"``, ``"aspp"``,
            ``"non_local"``, ``"dense_aspp"``.
        fam_levels: subset of ``("P3", "P4", "P5")``, the coarse levels whose
            upsampling is a FAM (the rest are bilinear); None = all for
            ``"aligned_fpn"``, none for ``"fpn"``.
        flow_kernel_size: odd int, the flow conv's kernel. Defaults to 3.
        fam_upsampling: ``"bilinear"`` (default), ``"deconvolution"``, ``"nearest"``.
        flow_estimator: ``"conv"`` (FlowNet-S style, default) or ``"correlation"``.
        alignment: ``"fam"`` (default) or ``"dcn"`` (deformable conv, v2).
        final_fusion: ``"resize"`` (released, default) or ``"fam"`` (paper 3.3).

    Example:
    >>> model = SFNet(backbone="resnet18", num_classes=19)
    >>> logits = model(keras.ops.zeros((1, 64, 96, 3)))
    >>> tuple(logits.shape)
    (1, 64, 96, 19)
    """

    @built_under_dtype_policy
    def __init__(
        self,
        backbone="resnet18",
        num_classes: int = 19,
        deep_supervision: bool = False,
        decoder_filters: int | None = None,
        dilated: bool = True,
        stem: str = "deep",
        input_shape=(None, None, 3),
        dropout: float = 0.1,
        head: str = "v1",
        decoder: str = DEFAULT_SWITCHES["decoder"],
        context: str = DEFAULT_SWITCHES["context"],
        fam_levels=DEFAULT_SWITCHES["fam_levels"],
        flow_kernel_size: int = DEFAULT_SWITCHES["flow_kernel_size"],
        fam_upsampling: str = DEFAULT_SWITCHES["fam_upsampling"],
        flow_estimator: str = DEFAULT_SWITCHES["flow_estimator"],
        alignment: str = DEFAULT_SWITCHES["alignment"],
        final_fusion: str = DEFAULT_SWITCHES["final_fusion"],
        **kwargs,
    ):
        if head not in HEADS:
            raise ValueError(f"`head` must be one of {list(HEADS)}. Received: head={head!r}")
        if head == "lite" and deep_supervision:
            raise ValueError(
                "`head='lite'` has no deep supervision (the authors' Lite models train on "
                "the main output only; their `dsn` branch is never called). "
                "Received: deep_supervision=True"
            )
        switches = check_switches(
            {
                "decoder": decoder,
                "context": context,
                "fam_levels": fam_levels,
                "flow_kernel_size": flow_kernel_size,
                "fam_upsampling": fam_upsampling,
                "flow_estimator": flow_estimator,
                "alignment": alignment,
                "final_fusion": final_fusion,
            },
            deep_supervision=deep_supervision,
        )
        if head == "lite" and not is_released(switches):
            raise ValueError(
                "The decoder switches (the paper's ablations) apply to head='v1' only. "
                f"Received: head='lite' with {changed_switches(switches)}"
            )
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                f"`num_classes` must be an integer >= 1. Received: num_classes={num_classes!r}"
            )
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                "`input_shape` must be (height, width, channels) for NHWC images. "
                f"Received: input_shape={input_shape}"
            )
        if input_shape[-1] != 3:
            raise ValueError(
                f"`input_shape` must have 3 channels (RGB). Received: input_shape={input_shape}"
            )
        if not isinstance(backbone, keras.Model) and not (
            isinstance(backbone, str) and backbone in BACKBONES
        ):
            raise ValueError(
                f"`backbone` must be one of {list(BACKBONES)} or a keras.Model. "
                f"Received: backbone={backbone!r}"
            )
        if isinstance(backbone, str):
            if head == "lite" and backbone not in LITE_BACKBONES:
                raise ValueError(
                    f"The SFNet family has no `head='lite'` on backbone={backbone!r}: the "
                    f"Lite head exists on {list(LITE_BACKBONES)}; head='v1' exists on "
                    f"{list(BACKBONES)}."
                )
            backbone_name = backbone
            if backbone in RESNET_BACKBONES:
                backbone_kwargs = {"stem": stem, "dilated": dilated}
                # The dilated-FCN baseline runs on a stride-8 backbone.
                if decoder == "dilated_fcn":
                    backbone_kwargs["output_stride"] = 8
            elif stem != "deep" or dilated is not True:
                raise ValueError(
                    "`stem` and `dilated` apply to the ResNet backbones only. Received: "
                    f"backbone={backbone!r}, stem={stem!r}, dilated={dilated!r}"
                )
            elif decoder == "dilated_fcn":
                raise ValueError(
                    "decoder='dilated_fcn' runs on a stride-8 dilated ResNet "
                    f"{list(RESNET_BACKBONES)}. Received: backbone={backbone!r}"
                )
            else:
                backbone_kwargs = {}
            backbone_model = get_backbone(
                backbone, input_shape=input_shape, name="backbone", **backbone_kwargs
            )
            if decoder_filters is None:
                decoder_filters = (
                    LITE_DECODER_FILTERS if head == "lite" else DEFAULT_DECODER_FILTERS[backbone]
                )
        else:
            if decoder == "dilated_fcn":
                raise ValueError(
                    "decoder='dilated_fcn' builds its own stride-8 backbone; pass a backbone "
                    "name, or decoder='fcn' with your own dilated backbone."
                )
            backbone_name = None
            backbone_model = backbone
            if decoder_filters is None:
                decoder_filters = 128 if head == "v1" else LITE_DECODER_FILTERS
        deep_supervision, decoder_filters = bool(deep_supervision), int(decoder_filters)

        inputs = keras.Input(shape=input_shape, name="image")
        pyramid = backbone_model(inputs)
        if head == "lite":
            levels = LITE_LEVELS
        else:
            levels = tuple(getattr(backbone_model, "decoder_levels", LEVELS))
        if not isinstance(pyramid, dict) or any(k not in pyramid for k in levels):
            received = sorted(pyramid) if isinstance(pyramid, dict) else type(pyramid).__name__
            raise ValueError(
                f"The backbone must return a dict with keys {list(levels)}. Received: {received}"
            )
        if head == "lite":
            decoder = LiteAlignedFPN(decoder_filters, dropout=dropout, name="decoder")
        else:
            decoder = build_decoder(
                switches, decoder_filters, deep_supervision, dropout, name="decoder", levels=levels
            )
        decoded = decoder({k: pyramid[k] for k in levels})
        level_names = [k.lower() for k in levels[:-1]]
        classifier = keras.layers.Conv2D(
            num_classes, 1, use_bias=True, dtype="float32", name="classifier"
        )
        coarse_logits = classifier(decoded["features"])
        logits = ResizeLike(dtype="float32", name="segmentation_output")([coarse_logits, inputs])
        # Ordered fine to coarse (P2, P3, P4) like the authors' `dsn.0` .. `dsn.2`.
        aux_heads = []
        aux_logits = {}
        if deep_supervision:
            for level in level_names:
                aux_head = AuxiliaryHead(num_classes, decoder_filters, dropout, name=f"{level}_aux")
                aux_logits[f"aux_{level}"] = aux_head(decoded[f"aux_features_{level}"])
                aux_heads.append(aux_head)
            # Coarse to fine, as the authors' `dsn` outputs.
            outputs = {"logits": logits, **{k: aux_logits[k] for k in reversed(aux_logits)}}
        else:
            outputs = logits
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        self.backbone = backbone_model
        self.decoder = decoder
        self.classifier = classifier
        self.aux_heads = aux_heads
        self.backbone_name = backbone_name
        arguments = locals()
        for name in _CONFIG_ARGUMENTS:
            setattr(self, _CONFIG_ATTRIBUTES.get(name, name), arguments[name])
        self.aux_output_names = tuple(reversed(aux_logits))
        self._logits_tensor = logits
        self._flow_tensors = {k: v for k, v in decoded.items() if k.startswith("flow_")}
        self.switches = switches

    def call(self, inputs, training=None, mask=None):
        _check_images(inputs)
        return super().call(inputs, training=training, mask=mask)

    def inference_model(self) -> keras.Model:
        """A model sharing these weights that returns the main logits alone.

        Example:
        >>> model = SFNet(num_classes=4, deep_supervision=True, decoder_filters=16)
        >>> infer = model.inference_model()
        """
        if not self.deep_supervision:
            return self
        return keras.Model(self.input, self._logits_tensor, name=f"{self.name}_inference")

    def flow_model(self) -> keras.Model:
        """A model sharing these weights that also returns each FAM's semantic flow.

        Outputs ``{"logits", "flow_p4", "flow_p3", "flow_p2"}`` (only the levels that
        have an aligner when ``fam_levels`` is a subset); a flow has the size
        of its level (strides 16, 8, 4), channel 0 = x, 1 = y, in pixels of that level.

        Example:
        >>> model = SFNet(num_classes=4, decoder_filters=16)
        >>> out = model.flow_model()(keras.ops.zeros((1, 64, 64, 3)))
        >>> tuple(out["flow_p2"].shape)
        (1, 16, 16, 2)
        """
        outputs = {"logits": self._logits_tensor, **self._flow_tensors}
        return keras.Model(self.input, outputs, name=f"{self.name}_flows")

    def get_config(self):
        backbone = self.backbone_name
        if backbone is None:
            backbone = keras.saving.serialize_keras_object(self.backbone)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
            "backbone": backbone,
            **{name: getattr(self, _CONFIG_ATTRIBUTES.get(name, name)) for name in _CONFIG_ARGUMENTS},
            **{k: list(v) if isinstance(v, tuple) else v for k, v in self.switches.items()},
        }

    @classmethod
    def from_name(cls, name: str, num_classes: int = 19, **kwargs) -> SFNet:
        """Builds a named configuration of the family (see :func:`keras_sfnet.list_models`).

        Names follow the authors' README (``"sfnet_dfv1"``, ``"sfnet_stdc2"``,
        ``"sfnet_lite_r18"``, ``"sfnet_lite_stdcv1"``, ...).

        Args:
            name: str, a configuration name.
            num_classes: int. Defaults to 19.
            **kwargs: other :class:`SFNet` arguments (``input_shape``, ``name``, ...).

        Example:
        >>> model = SFNet.from_name("sfnet_lite_stdc2", num_classes=19)
        """
        return cls(num_classes=num_classes, **get_configuration(name).model_kwargs(), **kwargs)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("backbone"), dict):
            config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)

    def __call__(self, *args, **kwargs):
        # Before Keras' generic input-spec check, so that users get our message.
        _check_images(args[0] if args else kwargs.get("inputs"))
        return super().__call__(*args, **kwargs)

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Configures training; with no arguments, the authors' recipe.

        ``"auto"`` means: SGD (momentum 0.9, coupled weight decay 5e-4) with poly
        decay (power 0.9) from ``learning_rate`` to 0 over ``decay_steps``;
        cross-entropy ignoring ``ignore_index`` (``loss="ohem"``: the authors' OHEM
        cross-entropy); :class:`~keras_sfnet.metrics.MeanIoU`. With deep supervision
        the same loss applies to every output (weights 1.0 and ``aux_weight``) and
        ``fit`` takes plain ``(images, labels)`` data: the labels are given to every
        output. The recipe's options are those of
        :func:`keras_sfnet.models.recipe.compile_arguments` (keyword-only, below); other
        arguments are ``keras.Model.compile``'s.

        Args:
            optimizer: ``"auto"`` or a Keras optimizer.
            loss: ``"auto"`` / ``"cross_entropy"``, ``"ohem"``, or a Keras loss
                (dict per output allowed).
            metrics: ``"auto"`` or Keras metrics.
            ignore_index: int, the label of unlabelled pixels. Defaults to 255.
            learning_rate: float, initial learning rate of ``"auto"``. Defaults to 0.01.
            decay_steps: int, steps of the poly decay of ``"auto"`` (set it to the
                length of your run). Defaults to 50000 (the paper's Cityscapes run).
            aux_weight: float, weight of each auxiliary loss. Defaults to 1.0.
            loss_weights: Keras' ``loss_weights``; None for the defaults above.

        Example:
        >>> model = SFNet(num_classes=4, decoder_filters=16)
        >>> model.compile()
        """
        super().compile(**compile_arguments(self, optimizer, loss, metrics, **kwargs))

    def compile_from_config(self, config):
        # Keras skips a custom `compile` on load unless this is overridden.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        y = replicate_for_outputs(y, y_pred)
        return super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        y = replicate_for_outputs(y, y_pred)
        return super().compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def load_pretrained_weights(self, source, allow_new_heads: bool = True) -> list[str]:
        """Loads pretrained weights, keeping fresh class heads if ``num_classes`` differs.

        See :func:`keras_sfnet.weights.load_pretrained_weights`: ``source`` is a
        ``.keras`` file, a ``.weights.h5`` file, a preset (folder or handle), an
        authors' ``.pth`` checkpoint or a ``keras.Model``. Returns the names of the
        layers left freshly initialised (also logged).

        Example:
        >>> model = SFNet("resnet18", num_classes=5)
        >>> model.load_pretrained_weights("sfnet_r18_cityscapes.pth")  # doctest: +SKIP
        ['classifier']
        """
        return _weights_layer().load_pretrained_weights(
            self, source, allow_new_heads=allow_new_heads
        )

    def save_to_preset(self, preset_dir, **options) -> str:
        """Writes a preset folder: ``config.json``, ``model.weights.h5``,
        ``preprocessor.json`` and ``metadata.json`` (the keras-hub layout).

        The keyword-only ``options`` are those of
        :func:`keras_sfnet.weights.save_preset`:

        Args:
            preset_dir: folder to write.
            class_names: sequence of ``num_classes`` names, or None.
            palette: ``(num_classes, 3)`` RGB colours, or None.
            mean_iou: float in [0, 1] or None, the validation mIoU.
            preprocessor: an image converter layer, or None (the authors' ImageNet
                normalisation of uint8 RGB images).
            metadata: dict of more JSON fields (``dataset``, ``source``, ...).

        Example:
        >>> model = SFNet(num_classes=2, decoder_filters=16)
        >>> model.save_to_preset("my_preset", class_names=["road", "car"])  # doctest: +SKIP
        """
        return _weights_layer().save_preset(self, preset_dir, **options)

    @classmethod
    def from_preset(cls, preset, num_classes: int | None = None, **kwargs) -> SFNet:
        """Builds the model of a preset folder or ``hf://`` / ``kaggle://`` handle.

        Args:
            preset: a folder written by :meth:`save_to_preset`, ``"hf://owner/repo"``
                (needs ``huggingface_hub``) or ``"kaggle://owner/model/keras/variant"``
                (needs ``kagglehub``).
            num_classes: int or None (the preset's). Another number of classes keeps
                every weight but the class-specific layers, freshly initialised.
            **kwargs: other constructor arguments to change (``dtype``,
                ``deep_supervision``, ``input_shape``, ...).

        Example:
        >>> model = SFNet.from_preset("runs/cs_r18/preset", num_classes=5)  # doctest: +SKIP
        """
        model = _weights_layer().load_preset_model(preset, num_classes=num_classes, **kwargs)
        if not isinstance(model, cls):
            raise TypeError(
                f"The preset '{preset}' holds a {type(model).__name__}, not a {cls.__name__}."
            )
        return model
