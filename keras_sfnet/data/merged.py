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

import tensorflow as tf

from keras_sfnet.data.augmentation_config import AugmentationConfig
from keras_sfnet.data.dataset_catalog import cityscapes_space_name
from keras_sfnet.data.dataset_info import DatasetInfo, get_dataset_info
from keras_sfnet.data.layouts import _join, list_files
from keras_sfnet.data.pipeline import _example_stream, _finish, _mix, _PipelineOptions
from keras_sfnet.layers.image_converter import ImageConverter

__all__ = [
    "load_merged_dataset",
    "make_merged_dataset",
    "merged_dataset_members",
    "merged_files",
    "parse_merged_name",
]

logger = logging.getLogger(__name__)


def parse_merged_name(name: str) -> list[str]:
    """Splits `"cityscapes+mapillary+bdd100k"` into member names (each its 19-class variant).

    Example:
    >>> parse_merged_name("cityscapes+mapillary+idd")
    ['cityscapes', 'mapillary_19', 'idd_19']
    """
    parts = [p.strip().lower().replace("-", "_") for p in str(name).split("+")]
    if len(parts) < 2 or not all(parts):
        raise ValueError(
            "A merged dataset name joins two or more dataset names with '+', e.g. "
            f"'cityscapes+mapillary+bdd100k+idd'. Received: {name!r}"
        )
    members = [cityscapes_space_name(p) for p in parts]
    if len(set(members)) != len(members):
        raise ValueError(f"A merged dataset lists a dataset twice. Received: {name!r}")
    return members


def _member_root(member: str, roots: str | os.PathLike | Mapping[str, str]) -> str:
    base = member.replace("_v2_19", "_v2").replace("_19", "")
    if isinstance(roots, Mapping):
        for key in (member, base, base.split("_")[0]):
            if key in roots:
                return os.fspath(roots[key])
        raise ValueError(
            f"`roots` has no folder for dataset '{base}'. Received: roots={dict(roots)!r}"
        )
    return _join(os.fspath(roots), base)


def merged_dataset_members(
    name: str, roots: str | os.PathLike | Mapping[str, str]
) -> list[tuple[str, str, DatasetInfo]]:
    """`(member name, root, DatasetInfo)` of each member of a merged dataset.

    Args:
        name: str, e.g. `"cityscapes+mapillary+bdd100k+idd"`.
        roots: a folder holding one sub-folder per dataset, named as the
            dataset (`cityscapes/`, `mapillary/`, `bdd100k/`, `idd/`), or a
            mapping from dataset name to folder.

    Example:
    >>> merged_dataset_members("cityscapes+bdd100k", "/data")  # doctest: +SKIP
    [('cityscapes', '/data/cityscapes', ...), ('bdd100k', '/data/bdd100k', ...)]
    """
    members = []
    for member in parse_merged_name(name):
        root = _member_root(member, roots)
        info = get_dataset_info(member, root if member.startswith("mapillary") else None)
        members.append((member, root, info))
    first = members[0][2]
    for member, _, info in members[1:]:
        if (info.num_classes, info.class_names, info.ignore_index) != (
            first.num_classes, first.class_names, first.ignore_index,
        ):  # fmt: skip
            raise ValueError(
                f"Merged datasets must share one label space: '{member}' has "
                f"{info.num_classes} classes {list(info.class_names)[:3]}..., "
                f"'{members[0][0]}' has {first.num_classes}."
            )
    return members


def merged_files(
    name: str, roots: str | os.PathLike | Mapping[str, str], split: str = "train"
) -> list[tuple[list[tuple[str, str]], DatasetInfo]]:
    """The `(files, info)` of each member of a merged dataset for one split.

    Example:
    >>> sources = merged_files("cityscapes+idd", "/data", "val")  # doctest: +SKIP
    """
    return [
        (list_files(member, root, split), info)
        for member, root, info in merged_dataset_members(name, roots)
    ]


def make_merged_dataset(
    sources: Sequence[tuple[Sequence[tuple[str, str]], DatasetInfo]],
    *,
    training: bool,
    weights: Sequence[float] | None = None,
    crop_size: Sequence[int] = (1024, 1024),
    batch_size: int | None = None,
    augmentation: AugmentationConfig | None = None,
    seed: int | None = None,
    deterministic: bool | None = None,
    num_parallel_calls: int | None = tf.data.AUTOTUNE,
    shard: tuple[int, int] | None = None,
    class_uniform: bool | float = False,
    check_labels: bool = True,
    short_side: int | None = None,
    prefetch: bool = True,
    preprocessor: ImageConverter | None = None,
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
        crop_size, batch_size, augmentation, seed, deterministic,
        num_parallel_calls, shard, class_uniform, check_labels, short_side,
        prefetch, preprocessor: as in `make_dataset` (every member uses the same
            `preprocessor`, by default `ImageConverter()`).

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
    options = _PipelineOptions.make(
        training=training, crop_size=crop_size, batch_size=batch_size, seed=seed,
        deterministic=deterministic, repeat=True if training else 1, shuffle=training,
        drop_remainder=training, class_uniform=class_uniform, short_side=short_side,
        preprocessor=preprocessor,
    )  # fmt: skip
    config = augmentation or AugmentationConfig()
    streams = [
        _example_stream(
            files, info, options, config, shard=shard, check_labels=check_labels,
            num_parallel_calls=num_parallel_calls, salt=1000 * (k + 1),
        )  # fmt: skip
        for k, (files, info) in enumerate(sources)
    ]
    if training:
        total = sum(weights)
        logger.info(
            "Merged training pipeline: %s.",
            ", ".join(f"{info.name} {w / total:.1%}" for (_, info), w in zip(sources, weights)),
        )
        dataset = _mix(streams, weights, options.seed, deterministic=options.deterministic)
    else:
        dataset = streams[0]
        for stream in streams[1:]:
            dataset = dataset.concatenate(stream)
    return _finish(dataset, options, shard=shard, prefetch=prefetch)


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
        **kwargs: the other arguments of `make_merged_dataset`.

    Example:
    >>> ds = load_merged_dataset("cityscapes+mapillary+bdd100k+idd", "/data", training=True,
    ...                          weights={"cityscapes": 2, "mapillary": 1, "bdd100k": 1,
    ...                                   "idd": 1})  # doctest: +SKIP
    """
    members = merged_dataset_members(name, roots)
    if isinstance(weights, Mapping):
        names = [m.replace("_v2_19", "_v2").replace("_19", "") for m, _, _ in members]
        unknown = sorted(set(weights) - set(names))
        if unknown:
            raise ValueError(f"`weights` names datasets {unknown} that '{name}' does not hold.")
        weights = [float(weights.get(n, 0.0)) for n in names]
    sources = [(list_files(member, root, split), info) for member, root, info in members]
    return make_merged_dataset(sources, training=training, weights=weights, **kwargs)
