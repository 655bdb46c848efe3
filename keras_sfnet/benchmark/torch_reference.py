"""The authors' PyTorch SFNets, loaded from a user-supplied SFSegNets checkout.

Nothing of the authors' code is part of keras_sfnet: the user points at their own
checkout of https://github.com/lxtGH/SFSegNets and this module imports
``network.sfnet_resnet`` / ``sfnet_dfnet`` / ``sfnet_stdcnet`` from it, with minimal
stand-ins for what those imports need and inference does not (``config.cfg``,
``apex``, the ImageNet-pretrained trunk files, and the head class
``UperNetAlignHeadAddition`` that ``sfnet_stdcnet`` imports but their repository lacks).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import sys
import types
from pathlib import Path

import numpy as np

__all__ = ["BUILDERS", "load_authors_network", "torch_runtime", "torch_train_step"]

logger = logging.getLogger(__name__)

BUILDERS = {
    ("resnet18", "v1", False): ("sfnet_resnet", "DeepR18_SF_deeply"),
    ("resnet50", "v1", False): ("sfnet_resnet", "DeepR50_SF_deeply"),
    ("resnet101", "v1", False): ("sfnet_resnet", "DeepR101_SF_deeply"),
    ("dfnet1", "v1", False): ("sfnet_dfnet", "AlignedDFnetv1"),
    ("dfnet1", "v1", True): ("sfnet_dfnet", "AlignedDFnetv1_FPNDSN"),
    ("dfnet2", "v1", False): ("sfnet_dfnet", "AlignedDFnetv2"),
    ("dfnet2", "v1", True): ("sfnet_dfnet", "AlignedDFnetv2_FPNDSN"),
    ("stdc1", "v1", False): ("sfnet_stdcnet", "AlignedSTDC1"),
    ("stdc2", "v1", False): ("sfnet_stdcnet", "AlignedSTDC2"),
    ("resnet18", "lite", False): ("sfnet_resnet", "DeepR18_SFV2_deeply_dsn_FA_Atten"),
    ("stdc1", "lite", False): ("sfnet_stdcnet", "AlignedSTDC1_SFV2_spatial_atten"),
    ("stdc2", "lite", False): ("sfnet_stdcnet", "AlignedSTDC2_SFV2_spatial_atten"),
}
"""(backbone, head, deep supervision) -> (module of ``network/``, the authors' factory)."""
_SHIMMED = ("config", "apex", "apex.amp")


def _shims():
    import torch.nn as nn

    config = types.ModuleType("config")
    config.cfg = types.SimpleNamespace(MODEL=types.SimpleNamespace(BNFUNC=nn.BatchNorm2d))
    apex = types.ModuleType("apex")
    amp = types.ModuleType("apex.amp")
    amp.float_function = lambda fn: fn
    apex.amp = amp
    return {"config": config, "apex": apex, "apex.amp": amp}


@contextlib.contextmanager
def _on_path(checkout: Path):
    saved_path = list(sys.path)
    saved = {k: sys.modules.get(k) for k in _SHIMMED}
    sys.path.insert(0, str(checkout))
    for name, module in _shims().items():
        sys.modules.setdefault(name, module)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _forcing(function, **forced):
    """``function`` with ``forced`` keyword arguments overriding the caller's."""
    if getattr(function, "_sfnet_forced", False):
        return function

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **{**kwargs, **forced})

    wrapper._sfnet_forced = True
    return wrapper


def _without_pretrained_files():
    """Makes the authors' trunks build with random weights instead of reading files."""
    trunk = importlib.import_module("network.resnet_d")
    for name in ("resnet18", "resnet50", "resnet101"):
        setattr(trunk, name, _forcing(getattr(trunk, name), pretrained=False))
    dfnet = importlib.import_module("network.dfnet")
    for name in ("DFNetv1", "DFNetv2"):
        setattr(dfnet, name, _forcing(getattr(dfnet, name), pretrained=False))
    heads = importlib.import_module("network.sfnet_resnet")
    if not hasattr(heads, "UperNetAlignHeadAddition"):
        # Imported by network/sfnet_stdcnet.py, used only by an unreleased head type.
        heads.UperNetAlignHeadAddition = None
    # Patched where SFNet looks them up (the classes themselves call super() by name).
    stdc = importlib.import_module("network.sfnet_stdcnet")
    for name in ("STDCNet813", "STDCNet1446"):
        setattr(stdc, name, _forcing(getattr(stdc, name), pretrain_model=""))


def load_authors_network(
    checkout: str | os.PathLike,
    backbone: str = "resnet18",
    num_classes=19,
    head: str = "v1",
    deep_supervision: bool = False,
):
    """Builds the authors' SFNet (random weights) from their code, in eval mode.

    Args:
        checkout: path of a SFSegNets checkout (the folder holding ``network/``).
        backbone: str, a backbone of ``BUILDERS`` (``"resnet18"``, ``"dfnet1"``, ...).
        num_classes: int. Defaults to 19.
        head: str, ``"v1"`` or ``"lite"``. Defaults to ``"v1"``.
        deep_supervision: bool, the authors' ``*_FPNDSN`` factories. Defaults to False.

    Returns:
        The ``torch.nn.Module`` (NCHW input, logits at input size in eval mode).

    Example:
    >>> net = load_authors_network("/tmp/sfsegnets", "stdc2", head="lite")  # doctest: +SKIP
    """
    key = (backbone, head, bool(deep_supervision))
    if key not in BUILDERS:
        raise ValueError(
            "The authors have no network for backbone={!r}, head={!r}, deep_supervision={}. "
            "They have (backbone, head, deep_supervision): {}".format(*key, list(BUILDERS))
        )
    checkout = Path(checkout).resolve()
    if not (checkout / "network" / "sfnet_resnet.py").is_file():
        raise FileNotFoundError(
            f"{checkout} is not a SFSegNets checkout (no network/sfnet_resnet.py)."
        )
    module_name, factory = BUILDERS[key]
    with _on_path(checkout):
        _without_pretrained_files()
        module = importlib.import_module(f"network.{module_name}")
        net = getattr(module, factory)(num_classes, criterion=None)
    net.eval()
    logger.info("authors' network %s.%s from %s", module_name, factory, checkout)
    return net


def torch_runtime(net, threads: int):
    """``predict(x_nhwc) -> logits_nhwc`` running the torch module on ``threads``.

    Example:
    >>> predict = torch_runtime(net, 2)  # doctest: +SKIP
    """
    import torch

    torch.set_num_threads(int(threads))
    net.eval()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = net(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
        return out.numpy().transpose(0, 2, 3, 1)

    return predict


def torch_train_step(net, input_shape, threads: int, num_classes: int = 19):
    """A callable doing one SGD step (forward, cross-entropy, backward, update).

    SGD momentum 0.9, weight decay 5e-4, as the paper; plain cross-entropy with
    ignore label 255 on the main output (the Keras side uses the same loss).

    Example:
    >>> step = torch_train_step(net, (1, 64, 64, 3), 2)  # doctest: +SKIP
    """
    import torch

    torch.set_num_threads(int(threads))
    batch, height, width, _ = input_shape
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.normal(size=(batch, 3, height, width)).astype(np.float32))
    labels = torch.from_numpy(rng.integers(0, num_classes, size=(batch, height, width)))
    criterion = torch.nn.CrossEntropyLoss(ignore_index=255)
    net.criterion = lambda out, gts: criterion(out, gts)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step() -> float:
        net.train()
        optimizer.zero_grad(set_to_none=True)
        loss = net(images, labels)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    return step
