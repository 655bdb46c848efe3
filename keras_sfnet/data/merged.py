"""Training over several datasets that share a label space, with per-dataset weights.

The authors' "Unified Driving Segmentation" set concatenates Cityscapes,
Mapillary, BDD100K and IDD, all mapped to the 19 Cityscapes classes. Here each
dataset keeps its own file list and label mapping, and each training example is
drawn from dataset `k` with probability `weights[k]` (by default the datasets'
file counts, which is what concatenation gives).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import tensorflow as tf

from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.data.registry import (
    member_folder_name,
    merged_dataset_members,
    merged_files,
    parse_merged_name,
)
from keras_sfnet.data.streams import PipelineConfig, example_stream, finish_dataset, mix_datasets

__all__ = [
    "load_merged_dataset",
    "make_merged_dataset",
    "merged_dataset_members",
    "merged_files",
    "parse_merged_name",
]

logger = logging.getLogger(__name__)


def make_merged_dataset(
    sources: Sequence[tuple[Sequence[tuple[str, str]], DatasetInfo]],
    *,
    training: bool,
    weights: Sequence[float] | None = None,
    config: PipelineConfig | None = None,
    **options: Any,
) -> tf.data.Dataset:
    """The segmentation pipeline over several datasets that share a label space.

    Training: each member is an endless augmented stream of its own files read
    with its own `DatasetInfo` (own label mapping), and each example comes from
    member `k` with probability `weights[k] / sum(weights)` (stateless draws
    from `seed`, so the stream is reproducible). Evaluation: the members' whole
    images one after the other.

    Args:
        sources: sequence of `(files, info)`, e.g. from `merged_files`.
        training: bool.
        weights: sequence of floats >= 0, one per source, or `None` for the
            file counts (as concatenating the datasets).
        config: `PipelineConfig` or `None`. The pipeline options, as in
            `make_dataset` (every member uses the same `preprocessor`); training
            always repeats, shuffles and drops the remainder, evaluation reads
            each member once, and `crop_centers` is not used.
        **options: any field of `PipelineConfig`, replacing `config`'s.

    Returns:
        A `tf.data.Dataset` of `(images, labels)`.

    Example:
    >>> sources = merged_files("cityscapes+bdd100k", "/data")  # doctest: +SKIP
    >>> ds = make_merged_dataset(sources, training=True, weights=(1.0, 1.0),
    ...                          crop_size=(512, 512), batch_size=8, seed=0)  # doctest: +SKIP
    """
    sources = list(sources)
    if not sources:
        raise ValueError("`sources` must hold at least one (files, info) pair. Received: []")
    if weights is None:
        weights = [float(len(files)) for files, _ in sources]
    weights = [float(w) for w in weights]
    if len(weights) != len(sources) or min(weights) < 0 or sum(weights) <= 0:
        raise ValueError(
            f"`weights` must hold {len(sources)} non-negative numbers, not all zero. "
            f"Received: weights={weights!r}"
        )
    options = PipelineConfig.from_options(config, **options).replace(
        repeat=True if training else 1, shuffle=training, drop_remainder=training,
        crop_centers=None,
    ).resolve(training=training)  # fmt: skip
    streams = [
        example_stream(files, info, options, training=training, salt=1000 * (k + 1))
        for k, (files, info) in enumerate(sources)
    ]
    if training:
        total = sum(weights)
        logger.info(
            "Merged training pipeline: %s.",
            ", ".join(f"{info.name} {w / total:.1%}" for (_, info), w in zip(sources, weights)),
        )
        dataset = mix_datasets(
            streams, weights, options.seed, deterministic=options.deterministic
        )
    else:
        dataset = streams[0]
        for stream in streams[1:]:
            dataset = dataset.concatenate(stream)
    return finish_dataset(dataset, options)


def load_merged_dataset(
    name: str,
    roots: str | os.PathLike | Mapping[str, str],
    split: str = "train",
    *,
    training: bool,
    weights: Sequence[float] | Mapping[str, float] | None = None,
    **kwargs,
) -> tf.data.Dataset:
    """Lists a merged dataset's members and builds `make_merged_dataset`.

    Args:
        name: str, e.g. `"cityscapes+mapillary+bdd100k+idd"`: each member in
            its 19 Cityscapes classes.
        roots: parent folder (one sub-folder per dataset name) or a mapping
            `{dataset name: folder}`.
        split: str, defaults to `"train"`.
        training: bool.
        weights: per-member weights (sequence in `name` order, or a mapping by
            dataset name), or `None` for the file counts.
        **kwargs: the other arguments of `make_merged_dataset` (`config` and
            the fields of `PipelineConfig`).

    Example:
    >>> ds = load_merged_dataset("cityscapes+mapillary+bdd100k+idd", "/data", training=True,
    ...                          weights={"cityscapes": 2, "mapillary": 1, "bdd100k": 1,
    ...                                   "idd": 1})  # doctest: +SKIP
    """
    members = merged_dataset_members(name, roots)
    if isinstance(weights, Mapping):
        names = [member_folder_name(m) for m, _, _ in members]
        unknown = sorted(set(weights) - set(names))
        if unknown:
            raise ValueError(f"`weights` names datasets {unknown} that '{name}' does not hold.")
        weights = [float(weights.get(n, 0.0)) for n in names]
    sources = merged_files(name, roots, split)
    return make_merged_dataset(sources, training=training, weights=weights, **kwargs)
