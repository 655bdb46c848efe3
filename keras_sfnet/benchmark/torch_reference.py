"""The authors' PyTorch SFNet, loaded from a user-supplied SFSegNets checkout.

Nothing of the authors' code is part of keras_sfnet: the user points at their own
checkout of https://github.com/lxtGH/SFSegNets and this module imports
``network.sfnet_resnet`` from it, with minimal stand-ins for what that import needs
and inference does not (``config.cfg``, ``apex``, the ImageNet-pretrained trunk file).
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
    "resnet18": "DeepR18_SF_deeply",
    "resnet50": "DeepR50_SF_deeply",
    "resnet101": "DeepR101_SF_deeply",
}
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


def load_authors_network(checkout: str | os.PathLike, backbone: str = "resnet18", num_classes=19):
    """Builds the authors' SFNet (random weights) from their code, in eval mode.

    Args:
        checkout: path of a SFSegNets checkout (the folder holding ``network/``).
        backbone: ``"resnet18"``, ``"resnet50"`` or ``"resnet101"``.
        num_classes: int. Defaults to 19.

    Returns:
        The ``torch.nn.Module`` (NCHW input, logits at input size in eval mode).

    Example:
    >>> net = load_authors_network("/tmp/sfsegnets", "resnet18")  # doctest: +SKIP
    """
    if backbone not in BUILDERS:
        raise ValueError(f"`backbone` must be one of {list(BUILDERS)}. Received: {backbone!r}")
    checkout = Path(checkout).resolve()
    if not (checkout / "network" / "sfnet_resnet.py").is_file():
        raise FileNotFoundError(
            f"{checkout} is not a SFSegNets checkout (no network/sfnet_resnet.py)."
        )
    with _on_path(checkout):
        trunk = importlib.import_module("network.resnet_d")
        for name in ("resnet18", "resnet50", "resnet101"):
            original = getattr(trunk, name)
            if not isinstance(original, functools.partial):
                setattr(trunk, name, functools.partial(original, pretrained=False))
        module = importlib.import_module("network.sfnet_resnet")
        net = getattr(module, BUILDERS[backbone])(num_classes, criterion=None)
    net.eval()
    logger.info("authors' network %s from %s", BUILDERS[backbone], checkout)
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
