"""`DatasetSpec`: one dataset as data (name, aliases, label space, file lister, layout).

Each dataset module (`keras_sfnet.data.cityscapes`, `...camvid`, `...mapillary`,
...) declares its specs; `keras_sfnet.data.registry` collects them, and every
lookup by name (`get_dataset_info`, `list_files`, `load_dataset`, the trainer,
export calibration) goes through that one table, so the aliases are the same
everywhere.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

from keras_sfnet.data.dataset_info import DatasetInfo

__all__ = ["DatasetSpec"]


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A dataset by name: its label space, how its files are listed, its layout.

    Args:
        name: str. Canonical name (`"pascal_context"`).
        make_info: callable `(root) -> DatasetInfo`; `root` is the dataset
            folder or `None` (only Mapillary reads it, for its label config).
        list_files: callable `(root, split) -> [(image_path, label_path), ...]`.
        layout: str. The expected folder layout, shown in errors and `--help`.
        aliases: tuple of str, defaults to `()`. Other accepted names
            (`"pascal_context59"`).
        cityscapes_space: str or `None`. Name of the dataset's variant in the
            19 Cityscapes classes (itself for 19-class datasets); `None` when
            it has none. Merged datasets (`"cityscapes+bdd100k"`) use it.
        folder: str or `None`. Sub-folder name of the dataset under a merged
            datasets' parent folder (defaults to `name`).

    Example:
    >>> from keras_sfnet.data.registry import get_dataset_spec
    >>> spec = get_dataset_spec("pascal_context59")
    >>> spec.name, spec.dataset_info().num_classes
    ('pascal_context', 59)
    """

    name: str
    make_info: Callable[[str | None], DatasetInfo]
    list_files: Callable[[str, str], list[tuple[str, str]]]
    layout: str
    aliases: tuple[str, ...] = ()
    cityscapes_space: str | None = None
    folder: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name, then the aliases."""
        return (self.name, *self.aliases)

    @property
    def folder_name(self) -> str:
        """The dataset's sub-folder name in a merged datasets' parent folder."""
        return self.folder or self.name

    def dataset_info(self, root: str | os.PathLike | None = None) -> DatasetInfo:
        """The `DatasetInfo` of the dataset (read from `root` where it depends on it)."""
        return self.make_info(None if root is None else os.fspath(root))
