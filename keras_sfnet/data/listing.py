"""Shared file-listing helpers of the dataset modules (paths, folder checks, errors).

Every dataset lister (`keras_sfnet.data.cityscapes`, `...bdd100k`, ...) is built
from these: paths go through `file_system` (local: os; `gs://` and other TensorFlow file
systems work, and each error shows the layout the lister expected.

Example:
>>> join_path("gs://bucket/data", "images")
'gs://bucket/data/images'
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Sequence

from keras_sfnet.data import file_system
from keras_sfnet.names import IMAGE_EXTENSIONS

__all__ = [
    "check_root",
    "check_split",
    "existing_pair",
    "join_path",
    "list_images",
    "list_splits",
    "match_by_name",
    "match_in_subfolders",
    "missing_error",
    "no_images_error",
    "no_label_error",
    "pair_by_stem",
    "require_folders",
]


def join_path(*parts: str) -> str:
    """`os.path.join`, or `posixpath.join` for URLs such as `gs://...`."""
    return os.path.join(*parts) if "://" not in parts[0] else posixpath.join(*parts)


def check_root(root: str | os.PathLike | None, layout: str) -> str:
    """`root` as a str when it is an existing folder, else a `FileNotFoundError` showing `layout`."""
    root = os.fspath(root) if root is not None else None
    if not root or not file_system.isdir(root):
        raise FileNotFoundError(
            "`root` must be an existing dataset folder laid out as:\n"
            f"{layout}\nReceived: root={root!r} (not a folder)"
        )
    return root


def check_split(split: str, splits: Sequence[str]) -> str:
    """`split` when it is one of `splits`, else a keras-style `ValueError`."""
    if split not in splits:
        raise ValueError(f"`split` must be one of {list(splits)}. Received: split={split!r}")
    return split


def list_splits(
    root: str | os.PathLike | None,
    split: str,
    splits: Sequence[str],
    layout: str,
    list_split: Callable[[str, str], list[tuple[str, str]]],
) -> list[tuple[str, str]]:
    """The pairs of `split` of a dataset: `check_split`, `check_root`, then `list_split`.

    `list_split(root, split)` lists one split of the checked `root`; `"trainval"`
    (when one of `splits`) is its `"train"` pairs then its `"val"` pairs.

    Example:
    >>> pairs = list_splits("/data/idd", "trainval", ("train", "val", "trainval"),
    ...                     "{root}/...", lambda root, split: [])  # doctest: +SKIP
    """
    check_split(split, splits)
    root = check_root(root, layout)
    if split == "trainval":
        return list_split(root, "train") + list_split(root, "val")
    return list_split(root, split)


def missing_error(kind: str, path: str, layout: str, **received: object) -> FileNotFoundError:
    """The error for a missing file or folder `path` of the expected `layout`."""
    got = ", ".join(f"{k}={v!r}" for k, v in received.items())
    return FileNotFoundError(
        f"{kind} not found: '{path}'. Expected the layout:\n{layout}\nReceived: {got}"
    )


def require_folders(folders: Sequence[str], layout: str, kind: str = "Split folder",
                    **received: object) -> None:
    """Raises `missing_error` for the first of `folders` that is not a folder."""
    for folder in folders:
        if not file_system.isdir(folder):
            raise missing_error(kind, folder, layout, **received)


def list_images(folder: str, extensions: Sequence[str] = IMAGE_EXTENSIONS) -> list[str]:
    """The sorted paths of the files in `folder` whose extension is one of `extensions`."""
    names = file_system.listdir(folder)
    return sorted(
        join_path(folder, n) for n in names if os.path.splitext(n)[1].lower() in extensions
    )


def no_images_error(folder: str, what: str) -> FileNotFoundError:
    """The error for a folder that holds none of the expected images."""
    return FileNotFoundError(f"No {what} found in '{folder}'.")


def no_label_error(image: str, label: str) -> FileNotFoundError:
    """The error for an image whose label file `label` does not exist."""
    return FileNotFoundError(f"Image '{image}' has no matching label file: expected '{label}'.")


def existing_pair(image: str, label: str, listed: str) -> tuple[str, str]:
    """`(image, label)` when both files exist, else the error (`listed`: where the image was named)."""
    if not file_system.exists(image):
        raise FileNotFoundError(f"Image '{image}' {listed} does not exist.")
    if not file_system.exists(label):
        raise no_label_error(image, label)
    return image, label


def pair_by_stem(
    images: Sequence[str], label_dir: str, suffix: str
) -> list[tuple[str, str]]:
    """Pairs each image with `{label_dir}/{image stem}{suffix}`, which must exist."""
    pairs = []
    for image in images:
        label = join_path(label_dir, os.path.splitext(os.path.basename(image))[0] + suffix)
        if not file_system.exists(label):
            raise no_label_error(image, label)
        pairs.append((image, label))
    return pairs


def match_in_subfolders(
    image_dir: str,
    label_dir: str,
    label_name: Callable[[str], str | None],
    extensions: Sequence[str],
    what: str,
) -> list[tuple[str, str]]:
    """Pairs the images of every sub-folder (city, sequence) with their labels.

    `label_name(image_file_name)` gives the label file name in the same
    sub-folder of `label_dir`, or `None` to skip the image. Raises when no
    image is found or a label is missing.

    Example:
    >>> pairs = match_in_subfolders("leftImg8bit/val", "gtFine/val",
    ...     lambda n: n.replace("_leftImg8bit", "_gtFine_labelIds"), (".png",),
    ...     "'*_leftImg8bit.png' images")  # doctest: +SKIP
    """
    pairs = []
    for sub in sorted(file_system.listdir(image_dir)):
        sub = sub.rstrip("/")
        if not file_system.isdir(join_path(image_dir, sub)):
            continue
        for image in list_images(join_path(image_dir, sub), extensions):
            name = label_name(os.path.basename(image))
            if name is None:
                continue
            label = join_path(label_dir, sub, name)
            if not file_system.exists(label):
                raise no_label_error(image, label)
            pairs.append((image, label))
    if not pairs:
        raise no_images_error(image_dir, what)
    return pairs


def match_by_name(
    image_dir: str, mask_dir: str, mask_suffix: str = "", mask_ext: str | None = None
) -> list[tuple[str, str]]:
    """Pairs the images of `image_dir` with the masks of `mask_dir` of the same stem.

    `abc.jpg` pairs with `{mask_dir}/abc{mask_suffix}{mask_ext}`; with
    `mask_ext=None` any image extension is accepted for the mask.
    """
    images = list_images(image_dir)
    if not images:
        raise no_images_error(image_dir, f"images ({', '.join(IMAGE_EXTENSIONS)})")
    if mask_ext is not None:
        return pair_by_stem(images, mask_dir, mask_suffix + mask_ext)
    masks = {}
    for path in list_images(mask_dir):
        masks.setdefault(os.path.splitext(os.path.basename(path))[0], path)
    pairs = []
    for image in images:
        stem = os.path.splitext(os.path.basename(image))[0] + mask_suffix
        if stem not in masks:
            raise no_label_error(image, join_path(mask_dir, stem + ".png"))
        pairs.append((image, masks[stem]))
    return pairs
