"""A generic dataset: images and masks of the same file stem, or a list file of pairs."""

from __future__ import annotations

import os

from keras_sfnet.data import file_system
from keras_sfnet.data.listing import (
    check_root,
    existing_pair,
    join_path,
    match_by_name,
    require_folders,
)

__all__ = ["FOLDER_LAYOUT", "list_folder", "list_folder_dataset", "read_list_file"]

FOLDER_LAYOUT = """\
{root}/
  {images_dir}/[{split}/]name.jpg|png|...
  {masks_dir}/[{split}/]name{mask_suffix}.png
  or a list file of "image_path mask_path" lines"""


def list_folder(
    images_dir: str | os.PathLike,
    masks_dir: str | os.PathLike,
    *,
    mask_suffix: str = "",
    mask_ext: str | None = None,
) -> list[tuple[str, str]]:
    """Pairs images with masks of the same file stem (a generic folder dataset).

    `images_dir/abc.jpg` pairs with `masks_dir/abc{mask_suffix}{mask_ext}`.

    Args:
        images_dir: str or path. Folder of images.
        masks_dir: str or path. Folder of single-channel 8/16-bit masks.
        mask_suffix: str, defaults to `""`. Text after the image stem in mask
            names (e.g. `"_mask"`).
        mask_ext: str or `None`. Mask extension (e.g. `".png"`); `None` accepts
            any image extension.

    Returns:
        A sorted list of `(image_path, mask_path)`.

    Example:
    >>> pairs = list_folder("data/images", "data/masks", mask_suffix="_mask")  # doctest: +SKIP
    """
    images_dir, masks_dir = os.fspath(images_dir), os.fspath(masks_dir)
    for arg, folder in (("images_dir", images_dir), ("masks_dir", masks_dir)):
        if not file_system.isdir(folder):
            raise FileNotFoundError(
                f"`{arg}` must be an existing folder. Received: {arg}={folder!r}"
            )
    return match_by_name(images_dir, masks_dir, mask_suffix, mask_ext)


def read_list_file(
    list_file: str | os.PathLike, root: str | os.PathLike | None = None
) -> list[tuple[str, str]]:
    """Reads a list file of `"image_path mask_path"` lines.

    Blank lines and lines starting with `#` are skipped. Relative paths are
    resolved against `root` (default: the list file's folder).

    Args:
        list_file: str or path. The list file.
        root: str, path or `None`. Base folder for relative paths.

    Returns:
        A list of `(image_path, mask_path)` in file order.

    Example:
    >>> pairs = read_list_file("data/train.txt")  # doctest: +SKIP
    """
    list_file = os.fspath(list_file)
    if not file_system.exists(list_file):
        raise FileNotFoundError(f"`list_file` not found. Received: list_file={list_file!r}")
    base = os.fspath(root) if root is not None else os.path.dirname(list_file)
    pairs = []
    with file_system.open_text(list_file) as f:
        for number, line in enumerate(f, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(
                    f"Line {number} of '{list_file}' must hold 'image_path mask_path'. "
                    f"Received: {line!r}"
                )
            image, mask = (
                p if os.path.isabs(p) or "://" in p else join_path(base, p) for p in parts
            )
            pairs.append(existing_pair(image, mask, f"(line {number} of '{list_file}')"))
    if not pairs:
        raise FileNotFoundError(f"No image/mask pairs found in list file '{list_file}'.")
    return pairs


def list_folder_dataset(
    root: str | os.PathLike,
    split: str | None = "train",
    *,
    images_dir: str = "images",
    masks_dir: str = "masks",
    mask_suffix: str = "",
    list_file: str | os.PathLike | None = None,
) -> list[tuple[str, str]]:
    """Lists the `"folder"` dataset: `{root}/{images_dir}[/{split}]` with its masks.

    Images come from `{root}/{images_dir}/{split}` when that folder exists, else
    from `{root}/{images_dir}`; a `list_file` (relative to `root`) is used
    instead of folders when given.

    Example:
    >>> pairs = list_folder_dataset("data", "train", masks_dir="labels")  # doctest: +SKIP
    """
    if list_file is not None:
        return read_list_file(list_file, root)
    layout = FOLDER_LAYOUT.format(
        root="{root}", images_dir=images_dir, masks_dir=masks_dir,
        split="{split}", mask_suffix=mask_suffix,
    )  # fmt: skip
    root = check_root(root, layout)
    image_dir, mask_dir = join_path(root, images_dir), join_path(root, masks_dir)
    if split and file_system.isdir(join_path(image_dir, split)):
        image_dir, mask_dir = join_path(image_dir, split), join_path(mask_dir, split)
    require_folders((image_dir, mask_dir), layout, "Folder", root=root, split=split)
    return match_by_name(image_dir, mask_dir, mask_suffix, None)
