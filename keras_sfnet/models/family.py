"""The SFNet family by name: every configuration the paper or the authors' code has."""

from __future__ import annotations

import dataclasses

__all__ = ["CONFIGURATIONS", "ModelConfiguration", "get_configuration", "list_models"]


@dataclasses.dataclass(frozen=True)
class ModelConfiguration:
    """One named SFNet configuration.

    Attributes:
        name: str, the configuration's name (``"sfnet_lite_stdc2"``).
        backbone: str, the encoder (a key of ``keras_sfnet.backbones.BACKBONES``).
        head: str, ``"v1"`` (SFNet's aligned FPN) or ``"lite"`` (SFNet-Lite, GD-FAM).
        deep_supervision: bool, with the auxiliary heads.
        source: str, where it comes from: the authors' factory in lxtGH/SFSegNets
            (``network/<module>.py``), or the paper's table.
        params: int, trainable parameters with 19 classes (equal to the authors'
            network's parameters used in an eval pass).
        gmacs_1024x1024: float, multiply-accumulates at 1024x1024 (our counter,
            ``keras_sfnet.benchmark.flops.count_macs``: convolutions and matmuls).
        gmacs_1024x2048: float, the same at Cityscapes' full 1024x2048.
        paper: str, the paper's figures for it, where it has some.

    Example:
    >>> get_configuration("sfnet_dfv1").backbone
    'dfnet1'
    """

    name: str
    backbone: str
    head: str
    deep_supervision: bool
    source: str
    params: int
    gmacs_1024x1024: float
    gmacs_1024x2048: float
    paper: str = ""

    def model_kwargs(self) -> dict:
        """The :class:`~keras_sfnet.SFNet` arguments that build this configuration."""
        return {
            "backbone": self.backbone,
            "head": self.head,
            "deep_supervision": self.deep_supervision,
        }


def _c(name, backbone, head, dsn, source, params, gmacs_square, gmacs_full, paper=""):
    return ModelConfiguration(
        name, backbone, head, dsn, source, params, gmacs_square, gmacs_full, paper
    )


# Params: exact, equal to `params_used_in_eval` of the authors' networks (tested).
# GMACs: measured with keras_sfnet.benchmark.flops.count_macs
# (benchmarks/family_costs.py -> benchmarks/family_costs.json); with deep supervision
# they include the auxiliary heads (the training graph).
CONFIGURATIONS = {
    c.name: c
    for c in (
        _c(
            "sfnet_r18",
            "resnet18",
            "v1",
            False,
            "sfnet_resnet.DeepR18_SF_deeply",
            12_869_715,
            121.49,
            242.98,
            "12.87M params, 123.5 GFLOPs @1024x1024 (Table 3)",
        ),
        _c(
            "sfnet_r18_dsn",
            "resnet18",
            "v1",
            True,
            "sfnet_resnet.DeepR18_SF_deeply_dsn (named by their "
            "train_cityscapes_sfnet_res18_dsn.sh; absent from their code)",
            13_320_588,
            134.38,
            268.76,
        ),
        _c(
            "sfnet_r50",
            "resnet50",
            "v1",
            False,
            "sfnet_resnet.DeepR50_SF_deeply",
            31_325_139,
            331.7,
            663.37,
        ),
        _c(
            "sfnet_r101",
            "resnet101",
            "v1",
            False,
            "sfnet_resnet.DeepR101_SF_deeply",
            50_317_267,
            409.28,
            818.53,
            "50.32M params, 417.5 GFLOPs @1024x1024 (Table 3)",
        ),
        _c(
            "sfnet_dfv1",
            "dfnet1",
            "v1",
            False,
            "sfnet_dfnet.AlignedDFnetv1",
            8_422_387,
            16.37,
            32.74,
            "9.03M params, 18.7 GFLOPs @1024x1024, 74.5% mIoU (Table 3)",
        ),
        _c(
            "sfnet_dfv1_dsn",
            "dfnet1",
            "v1",
            True,
            "sfnet_dfnet.AlignedDFnetv1_FPNDSN",
            8_498_969,
            16.57,
            33.13,
        ),
        _c(
            "sfnet_dfv2",
            "dfnet2",
            "v1",
            False,
            "sfnet_dfnet.AlignedDFnetv2",
            17_876_467,
            39.99,
            79.98,
            "10.53M params, 48.5 GFLOPs @1024x1024, 77.8% mIoU (Table 3)",
        ),
        _c(
            "sfnet_dfv2_dsn",
            "dfnet2",
            "v1",
            True,
            "sfnet_dfnet.AlignedDFnetv2_FPNDSN",
            17_953_049,
            40.77,
            81.54,
        ),
        _c(
            "sfnet_stdc1",
            "stdc1",
            "v1",
            False,
            "sfnet_stdcnet.AlignedSTDC1",
            5_992_371,
            29.73,
            59.46,
        ),
        _c(
            "sfnet_stdc2",
            "stdc2",
            "v1",
            False,
            "sfnet_stdcnet.AlignedSTDC2",
            10_022_835,
            42.92,
            85.84,
        ),
        _c(
            "sfnet_shufflenetv2",
            "shufflenetv2",
            "v1",
            False,
            "paper, Table 1(d) (no authors' code; torchvision's shufflenet_v2_x1_0 trunk)",
            1_241_847,
            16.09,
            32.18,
            "18.1 GFLOPs @1024x1024, 72.1% mIoU (Table 1(d))",
        ),
        _c(
            "sfnet_lite_r18",
            "resnet18",
            "lite",
            False,
            "sfnet_resnet.DeepR18_SFV2_deeply_dsn_FA_Atten",
            12_079_863,
            88.98,
            177.96,
        ),
        _c(
            "sfnet_lite_stdc1",
            "stdc1",
            "lite",
            False,
            "sfnet_stdcnet.AlignedSTDC1_SFV2_spatial_atten",
            6_433_623,
            37.09,
            74.18,
        ),
        _c(
            "sfnet_lite_stdc2",
            "stdc2",
            "lite",
            False,
            "sfnet_stdcnet.AlignedSTDC2_SFV2_spatial_atten",
            10_464_087,
            50.28,
            100.55,
        ),
    )
}

ALIASES = {
    "sfnet_dfnetv1": "sfnet_dfv1",
    "sfnet_dfnetv2": "sfnet_dfv2",
    "sfnet_stdcv1": "sfnet_stdc1",
    "sfnet_stdcv2": "sfnet_stdc2",
    "sfnet_lite_stdcv1": "sfnet_lite_stdc1",
    "sfnet_lite_stdcv2": "sfnet_lite_stdc2",
}
"""The spellings of the authors' README (``sfnet_lite_stdcv1``) for our names."""


def get_configuration(name: str) -> ModelConfiguration:
    """The named configuration (also accepts the authors' README spellings).

    Example:
    >>> get_configuration("sfnet_lite_stdcv2").name
    'sfnet_lite_stdc2'
    """
    key = ALIASES.get(name, name)
    if key not in CONFIGURATIONS:
        raise ValueError(f"`name` must be one of {list(CONFIGURATIONS)}. Received: name={name!r}")
    return CONFIGURATIONS[key]


def list_models() -> list[ModelConfiguration]:
    """Every named configuration, with parameters, GMACs and its source.

    Example:
    >>> [c.name for c in list_models()][:2]
    ['sfnet_r18', 'sfnet_r18_dsn']
    """
    return list(CONFIGURATIONS.values())
