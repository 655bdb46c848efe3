"""`tf.distribute` strategy selection for training."""

from __future__ import annotations

import json
import logging
import os

import tensorflow as tf

__all__ = ["get_strategy", "is_chief"]

logger = logging.getLogger(__name__)

STRATEGIES = ("auto", "none", "mirrored", "multi_worker")


class _MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`MultiWorkerMirroredStrategy` whose `reduce` works with Keras 3's `fit`.

    Two incompatibilities of Keras 3 with TensorFlow's collective reduce
    (tensorflow/tensorflow#72388) are worked around by reducing leaf by leaf:
    `fit` reduces its first data batch, an `(x, y)` tuple, in one call (the
    collective reduce rejects nested structures), and it reduces the scalar
    logs with `axis=0` ("Invalid reduction dimension 0 for input with 0
    dimensions"); a scalar is reduced across replicas without an axis.
    """

    def reduce(self, reduce_op, value, axis):
        parent = super()

        def reduce_leaf(leaf):
            local = leaf
            if isinstance(leaf, tf.distribute.DistributedValues):
                local = self.experimental_local_results(leaf)[0]
            leaf_axis = axis
            if axis is not None and getattr(local, "shape", None) is not None:
                if local.shape.rank == 0:
                    leaf_axis = None
            return parent.reduce(reduce_op, leaf, leaf_axis)

        return tf.nest.map_structure(reduce_leaf, value)


def _tf_config() -> dict:
    text = os.environ.get("TF_CONFIG", "")
    return json.loads(text) if text else {}


def get_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """Returns the `tf.distribute` strategy to train under.

    Create it before any other TensorFlow work: `MultiWorkerMirroredStrategy`
    must be built at program start.

    Args:
        name: `"auto"` (multi-worker when the `TF_CONFIG` environment variable
            names a cluster of more than one task, mirrored with several
            GPUs, else the default strategy), `"none"` (default strategy: one
            device), `"mirrored"` (`MirroredStrategy` over the local GPUs, or
            over the logical CPU devices when there is no GPU) or
            `"multi_worker"` (`MultiWorkerMirroredStrategy`, cluster from
            `TF_CONFIG`). Defaults to `"auto"`.

    Returns:
        A `tf.distribute.Strategy`.

    Example:
    >>> strategy = get_strategy("auto")
    >>> with strategy.scope():
    ...     model = keras_sfnet.SFNet(num_classes=19)  # doctest: +SKIP
    """
    key = str(name).lower().replace("-", "_")
    if key not in STRATEGIES:
        raise ValueError(
            f"`distribution` must be one of {list(STRATEGIES)}. Received: distribution={name!r}"
        )
    if key == "auto":
        cluster = _tf_config().get("cluster", {})
        num_tasks = sum(len(v) for k, v in cluster.items() if k in ("chief", "worker"))
        if num_tasks > 1:
            key = "multi_worker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            key = "mirrored"
        else:
            key = "none"
    if key == "multi_worker":
        strategy = _MultiWorkerMirroredStrategy()
    elif key == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        cross_device_ops = None  # NCCL on GPUs
        if not devices:
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
            # CPU collectives of the replicas' threads can start in different
            # orders when synchronised BN adds all-reduces to the forward pass.
            cross_device_ops = tf.distribute.ReductionToOneDevice()
        strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=cross_device_ops)
    else:
        strategy = tf.distribute.get_strategy()
    logger.info(
        "Distribution: %s with %d replica(s).",
        type(strategy).__name__,
        strategy.num_replicas_in_sync,
    )
    return strategy


def is_chief(strategy: tf.distribute.Strategy | None = None) -> bool:
    """Whether this process writes checkpoints and logs (the chief worker).

    In a multi-worker cluster that is the `chief` task, or worker 0 when the
    cluster has no chief; with any other strategy, always `True`.

    Example:
    >>> is_chief(tf.distribute.get_strategy())
    True
    """
    if strategy is not None and not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task = _tf_config().get("task", {})
    task_type = task.get("type")
    if task_type is None:
        return True
    if task_type == "chief":
        return True
    cluster = _tf_config().get("cluster", {})
    return task_type == "worker" and int(task.get("index", 0)) == 0 and "chief" not in cluster
