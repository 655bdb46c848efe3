"""Builds a model's layers under the model's own dtype policy (``dtype=`` argument)."""

from __future__ import annotations

import contextlib
import functools
import inspect

import keras

__all__ = ["built_under_dtype_policy", "dtype_policy_scope", "resolve_dtype_policy"]


def resolve_dtype_policy(dtype=None) -> keras.DTypePolicy:
    """The policy a ``dtype`` argument names (None: the current default policy).

    Accepts what Keras layers accept: ``"float32"``, ``"mixed_float16"``,
    ``"mixed_bfloat16"``, a ``keras.DTypePolicy`` or its serialized dict.

    Example:
    >>> resolve_dtype_policy("mixed_float16").compute_dtype
    'float16'
    """
    if dtype is None:
        return keras.config.dtype_policy()
    try:
        return keras.dtype_policies.get(dtype)
    except (ValueError, TypeError) as error:
        raise ValueError(
            "`dtype` must be a Keras dtype policy such as 'float32', 'mixed_float16' or "
            f"'mixed_bfloat16'. Received: dtype={dtype!r} ({error})"
        ) from None


@contextlib.contextmanager
def dtype_policy_scope(policy):
    """Makes ``policy`` the default policy of the layers created inside the block.

    Keras keeps the default policy per thread, so the scope does not leak into
    layers that other threads build meanwhile; the previous policy is restored on exit.

    Example:
    >>> with dtype_policy_scope("mixed_float16"):
    ...     layer = keras.layers.Dense(2)
    >>> layer.compute_dtype
    'float16'
    """
    policy = resolve_dtype_policy(policy)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield policy
    finally:
        keras.config.set_dtype_policy(previous)


def built_under_dtype_policy(init):
    """Decorates a functional model's ``__init__`` so that ``dtype=`` works as in a layer.

    A functional ``keras.Model`` ignores ``dtype``: its layers are built before
    ``super().__init__`` runs, under the default policy. The decorated constructor
    builds them under the requested policy (None: the default policy at construction
    time) and sets the model's ``dtype_policy``, so that ``get_config`` records it
    and ``compile`` adds loss scaling for ``"mixed_float16"``.

    Example:
    >>> class MyModel(keras.Model):
    ...     @built_under_dtype_policy
    ...     def __init__(self, **kwargs):
    ...         inputs = keras.Input((4,))
    ...         super().__init__(inputs, keras.layers.Dense(2)(inputs), **kwargs)
    >>> MyModel(dtype="mixed_float16").dtype_policy.name
    'mixed_float16'
    """

    @functools.wraps(init)
    def wrapper(self, *args, dtype=None, **kwargs):
        policy = resolve_dtype_policy(dtype)
        with dtype_policy_scope(policy):
            init(self, *args, **kwargs)
        self.dtype_policy = policy

    # Keras reads the constructor's signature (auto-config): show it the real one,
    # with `dtype` added before `**kwargs`.
    signature = inspect.signature(init)
    parameters = [p for p in signature.parameters.values() if p.name != "dtype"]
    dtype = inspect.Parameter("dtype", inspect.Parameter.KEYWORD_ONLY, default=None)
    at = len(parameters)
    if parameters and parameters[-1].kind is inspect.Parameter.VAR_KEYWORD:
        at -= 1
    parameters.insert(at, dtype)
    wrapper.__signature__ = signature.replace(parameters=parameters)
    del wrapper.__wrapped__
    return wrapper
