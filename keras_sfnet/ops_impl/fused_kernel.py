"""The slot for the fused flow-warp kernel (filled by :mod:`keras_sfnet.kernels`).

A leaf module, so that the kernel package can register itself without importing
:mod:`keras_sfnet.ops` (which imports the kernel package lazily on first use).

Example:
>>> from keras_sfnet.ops_impl import fused_kernel
>>> fused_kernel.get() is None or callable(fused_kernel.get())
True
"""

from __future__ import annotations

__all__ = ["get", "register"]

_fused_flow_warp = None


def register(fn) -> None:
    """Registers ``fn(features, flow) -> warped`` as the fused warp (None removes it)."""
    global _fused_flow_warp
    _fused_flow_warp = fn


def get():
    """The registered fused warp kernel, or None."""
    return _fused_flow_warp
