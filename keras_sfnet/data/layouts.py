"""Finding (image, label) file pairs in the standard on-disk dataset layouts.

Every function returns a sorted list of `(image_path, label_path)` string pairs and
raises a clear error when the layout is not there (showing the expected layout),
when no images are found, or when an image has no matching label. Paths go
through `tf.io.gfile`, so `gs://` and other TensorFlow file systems work too.
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Sequence

import tensorflow as tf

from keras_sfnet.names import CITYSCAPES_SPLITS, IMAGE_EXTENSIONS  # noqa: F401 (re-exported)

__all__ = [
    "CITYSCAPES_SPLITS",
    "IMAGE_EXTENSIONS",
    "list_ade20k",
    "list_camvid",
    "list_cityscapes",
    "list_files",
    "list_folder",
    "list_pascal_context",
    "read_list_file",
]

logger = logging.getLogger(__name__)


_CITYSCAPES_LAYOUT = """\
{root}/
  leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
  gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png
    (or *_gtFine_labelTrainIds.png, used when present)"""
_CAMVID_LAYOUT = """\
{root}/
  train/*.png   trainannot/*.png
  val/*.png     valannot/*.png
  test/*.png    testannot/*.png"""
_ADE20K_LAYOUT = """\
{root}/ADEChallengeData2016/   (or root = ADEChallengeData2016 itself)
  images/training/*.jpg        annotations/training/*.png
  images/validation/*.jpg      annotations/validation/*.png"""
_PASCAL_CONTEXT_LAYOUT = """\
{root}/                        (e.g. VOCdevkit/VOC2010)
  JPEGImages/{id}.jpg
  SegmentationClassContext/{id}.png   (8-bit, 0 = background, 1..59 = classes)
  ImageSets/SegmentationContext/{split}.txt   (one image id per line)"""
_FOLDER_LAYOUT = """\
{root}/
  {images_dir}/[{split}/]name.jpg|png|...
  {masks_dir}/[{split}/]name{mask_suffix}.png
  or a list file of "image_path mask_path" lines"""


def _join(*parts: str) -> str:
    return os.path.join(*parts) if "://" not in parts[0] else posixpath.join(*parts)


def _check_root(root: str | os.PathLike, layout: str) -> str:
    root = os.fspath(root) if root is not None else None
    if not root or not tf.io.gfile.isdir(root):
        raise FileNotFoundError(
            "`root` must be an existing dataset folder laid out as:\n"
            f"{layout}\nReceived: root={root!r} (not a folder)"
        )
    return root


def _missing(kind: str, path: str, layout: str, **received: object) -> FileNotFoundError:
    got = ", ".join(f"{k}={v!r}" for k, v in received.items())
    return FileNotFoundError(
        f"{kind} not found: '{path}'. Expected the layout:\n{layout}\nReceived: {got}"
    )


def _list_images(folder: str, extensions: Sequence[str] = IMAGE_EXTENSIONS) -> list[str]:
    names = tf.io.gfile.listdir(folder)
    return sorted(_join(folder, n) for n in names if os.path.splitext(n)[1].lower() in extensions)


def _no_images(folder: str, what: str) -> FileNotFoundError:
    return FileNotFoundError(f"No {what} found in '{folder}'.")


def _no_label(image: str, label: str) -> FileNotFoundError:
    return FileNotFoundError(f"Image '{image}' has no matching label file: expected '{label}'.")


def list_cityscapes(
    root: str | os.PathLike, split: str = "train", *, label_type: str = "auto"
) -> list[tuple[str, str]]:
    """Lists Cityscapes (fine annotations) image/label pairs.

    Layout:
    ```
    {root}/leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
    {root}/gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png
    ```

    Args:
        root: str or path. Folder holding `leftImg8bit/` and `gtFine/`.
        split: str, defaults to `"train"`. One of `"train"`, `"val"`, `"test"`,
            `"trainval"` (train then val).
        label_type: str, defaults to `"auto"`. `"labelIds"` lists
            `*_gtFine_labelIds.png` (to be mapped to trainIds);
            `"labelTrainIds"` lists `*_gtFine_labelTrainIds.png` (made by
            cityscapesScripts' `createTrainIdLabelImgs`); `"auto"` takes
            labelTrainIds when every image has one, else labelIds.

    Returns:
        A sorted list of `(image_path, label_path)`. Label paths ending in
        `_labelTrainIds.png` already hold trainIds.

    Example:
    >>> from keras_sfnet.data import synthetic
    >>> import tempfile
    >>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=2, num_val=1)
    >>> pairs = list_cityscapes(root, "val")
    >>> pairs[0][1].endswith("_gtFine_labelIds.png")
    True
    """
    if split not in CITYSCAPES_SPLITS:
        raise ValueError(
            f"`split` must be one of {list(CITYSCAPES_SPLITS)}. Received: split={split!r}"
        )
    if label_type not in ("auto", "labelIds", "labelTrainIds"):
        raise ValueError(
            "`label_type` must be one of ['auto', 'labelIds', 'labelTrainIds']. "
            f"Received: label_type={label_type!r}"
        )
    root = _check_root(root, _CITYSCAPES_LAYOUT)
    if split == "trainval":
        return list_cityscapes(root, "train", label_type=label_type) + list_cityscapes(
            root, "val", label_type=label_type
        )
    image_dir = _join(root, "leftImg8bit", split)
    label_dir = _join(root, "gtFine", split)
    for folder in (image_dir, label_dir):
        if not tf.io.gfile.isdir(folder):
            raise _missing("Split folder", folder, _CITYSCAPES_LAYOUT, root=root, split=split)
    images = []
    for city in sorted(tf.io.gfile.listdir(image_dir)):
        city = city.rstrip("/")
        city_dir = _join(image_dir, city)
        if tf.io.gfile.isdir(city_dir):
            images += [
                p for p in _list_images(city_dir, (".png",)) if p.endswith("_leftImg8bit.png")
            ]
    if not images:
        raise _no_images(image_dir, "'*_leftImg8bit.png' images (in city sub-folders)")

    suffixes = {"labelIds": "_gtFine_labelIds.png", "labelTrainIds": "_gtFine_labelTrainIds.png"}
    if label_type == "auto":
        use_train_ids = all(
            tf.io.gfile.exists(
                _cityscapes_label(image_dir, label_dir, p, suffixes["labelTrainIds"])
            )
            for p in images
        )
        label_type = "labelTrainIds" if use_train_ids else "labelIds"
        logger.info("Cityscapes %s: using *_gtFine_%s.png labels.", split, label_type)
    pairs = []
    for image in images:
        label = _cityscapes_label(image_dir, label_dir, image, suffixes[label_type])
        if not tf.io.gfile.exists(label):
            raise _no_label(image, label)
        pairs.append((image, label))
    return pairs


def _cityscapes_label(image_dir: str, label_dir: str, image: str, suffix: str) -> str:
    city = os.path.basename(os.path.dirname(image))
    stem = os.path.basename(image)[: -len("_leftImg8bit.png")]
    return _join(label_dir, city, stem + suffix)


def list_camvid(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists CamVid image/label pairs in the SegNet layout.

    Layout: `{root}/{split}/*.png` with labels of the same name in
    `{root}/{split}annot/*.png` (values 0..10 = classes, 11 = void).

    Args:
        root: str or path. The `CamVid` folder.
        split: str, defaults to `"train"`. One of `"train"`, `"val"`, `"test"`,
            `"trainval"`.

    Returns:
        A sorted list of `(image_path, label_path)`.

    Example:
    >>> pairs = list_camvid("/data/CamVid", "val")  # doctest: +SKIP
    """
    splits = ("train", "val", "test", "trainval")
    if split not in splits:
        raise ValueError(f"`split` must be one of {list(splits)}. Received: split={split!r}")
    root = _check_root(root, _CAMVID_LAYOUT)
    if split == "trainval":
        return list_camvid(root, "train") + list_camvid(root, "val")
    image_dir, label_dir = _join(root, split), _join(root, split + "annot")
    for folder in (image_dir, label_dir):
        if not tf.io.gfile.isdir(folder):
            raise _missing("Split folder", folder, _CAMVID_LAYOUT, root=root, split=split)
    return _match_by_name(image_dir, label_dir, "", ".png")


def list_ade20k(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists ADE20K (SceneParsing, `ADEChallengeData2016`) image/label pairs.

    Layout: `ADEChallengeData2016/images/{training,validation}/*.jpg` with
    `ADEChallengeData2016/annotations/{training,validation}/*.png` (values
    0 = other, 1..150 = classes).

    Args:
        root: str or path. `ADEChallengeData2016` or the folder holding it.
        split: str, defaults to `"train"`. `"train"`/`"training"` or
            `"val"`/`"validation"`.

    Returns:
        A sorted list of `(image_path, label_path)`.

    Example:
    >>> pairs = list_ade20k("/data/ADEChallengeData2016", "val")  # doctest: +SKIP
    """
    names = {
        "train": "training",
        "training": "training",
        "val": "validation",
        "validation": "validation",
    }
    if split not in names:
        raise ValueError(
            f"`split` must be one of ['train', 'val', 'training', 'validation']. Received: split={split!r}"
        )
    root = _check_root(root, _ADE20K_LAYOUT)
    nested = _join(root, "ADEChallengeData2016")
    base = nested if tf.io.gfile.isdir(nested) else root
    image_dir = _join(base, "images", names[split])
    label_dir = _join(base, "annotations", names[split])
    for folder in (image_dir, label_dir):
        if not tf.io.gfile.isdir(folder):
            raise _missing("Split folder", folder, _ADE20K_LAYOUT, root=root, split=split)
    return _match_by_name(image_dir, label_dir, "", ".png")


def list_pascal_context(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists Pascal Context (59 classes) image/label pairs.

    Layout (the `VOCdevkit/VOC2010` folder with the 59-class masks made by the
    usual conversion script, e.g. mmsegmentation's `pascal_context.py`):
    ```
    {root}/JPEGImages/{id}.jpg
    {root}/SegmentationClassContext/{id}.png   # 0 = background, 1..59 = classes
    {root}/ImageSets/SegmentationContext/{split}.txt   # one id per line
    ```

    Args:
        root: str or path. The folder holding the three sub-folders.
        split: str, defaults to `"train"`. Name of the id list (`"train"`,
            `"val"`).

    Returns:
        A list of `(image_path, label_path)` in the order of the id list.

    Example:
    >>> pairs = list_pascal_context("/data/VOCdevkit/VOC2010", "val")  # doctest: +SKIP
    """
    root = _check_root(root, _PASCAL_CONTEXT_LAYOUT)
    list_path = _join(root, "ImageSets", "SegmentationContext", f"{split}.txt")
    image_dir = _join(root, "JPEGImages")
    label_dir = _join(root, "SegmentationClassContext")
    for kind, path, check in (
        ("Split list", list_path, tf.io.gfile.exists),
        ("Folder", image_dir, tf.io.gfile.isdir),
        ("Folder", label_dir, tf.io.gfile.isdir),
    ):
        if not check(path):
            raise _missing(kind, path, _PASCAL_CONTEXT_LAYOUT, root=root, split=split)
    with tf.io.gfile.GFile(list_path, "r") as f:
        ids = [line.strip() for line in f if line.strip()]
    if not ids:
        raise FileNotFoundError(f"No image ids found in split list '{list_path}'.")
    pairs = []
    for image_id in ids:
        image = _join(image_dir, image_id + ".jpg")
        label = _join(label_dir, image_id + ".png")
        if not tf.io.gfile.exists(image):
            raise FileNotFoundError(
                f"Image '{image}' listed in '{list_path}' (id {image_id!r}) does not exist."
            )
        if not tf.io.gfile.exists(label):
            raise _no_label(image, label)
        pairs.append((image, label))
    return pairs


def _match_by_name(
    image_dir: str, mask_dir: str, mask_suffix: str, mask_ext: str | None
) -> list[tuple[str, str]]:
    images = _list_images(image_dir)
    if not images:
        raise _no_images(image_dir, f"images ({', '.join(IMAGE_EXTENSIONS)})")
    masks = {}
    for path in _list_images(mask_dir):
        masks.setdefault(os.path.splitext(os.path.basename(path))[0], path)
    pairs = []
    for image in images:
        stem = os.path.splitext(os.path.basename(image))[0] + mask_suffix
        if mask_ext is not None:
            label = _join(mask_dir, stem + mask_ext)
            if not tf.io.gfile.exists(label):
                raise _no_label(image, label)
        else:
            if stem not in masks:
                raise _no_label(image, _join(mask_dir, stem + ".png"))
            label = masks[stem]
        pairs.append((image, label))
    return pairs


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
        if not tf.io.gfile.isdir(folder):
            raise FileNotFoundError(
                f"`{arg}` must be an existing folder. Received: {arg}={folder!r}"
            )
    return _match_by_name(images_dir, masks_dir, mask_suffix, mask_ext)


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
    if not tf.io.gfile.exists(list_file):
        raise FileNotFoundError(f"`list_file` not found. Received: list_file={list_file!r}")
    base = os.fspath(root) if root is not None else os.path.dirname(list_file)
    pairs = []
    with tf.io.gfile.GFile(list_file, "r") as f:
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
            image, mask = (p if os.path.isabs(p) or "://" in p else _join(base, p) for p in parts)
            if not tf.io.gfile.exists(image):
                raise FileNotFoundError(
                    f"Image '{image}' (line {number} of '{list_file}') does not exist."
                )
            if not tf.io.gfile.exists(mask):
                raise _no_label(image, mask)
            pairs.append((image, mask))
    if not pairs:
        raise FileNotFoundError(f"No image/mask pairs found in list file '{list_file}'.")
    return pairs


def list_files(
    name: str,
    root: str | os.PathLike,
    split: str | None = "train",
    *,
    images_dir: str = "images",
    masks_dir: str = "masks",
    mask_suffix: str = "",
    list_file: str | os.PathLike | None = None,
) -> list[tuple[str, str]]:
    """Lists the image/label pairs of a dataset in its standard layout.

    Args:
        name: str. `"cityscapes"`, `"camvid"`, `"ade20k"`, `"pascal_context"`,
            a driving dataset (`keras_sfnet.data.dataset_catalog.DRIVING_DATASETS`:
            `"mapillary"`, `"bdd100k"`, `"idd"`, `"kitti"`, ...), `"folder"`
            for a generic dataset, or 19-class datasets joined by `+` (all
            members' files in turn; `root` as in `merged_files`).
        root: str or path. Dataset folder.
        split: str or `None`. Split name. For `"folder"`, images are taken from
            `{root}/{images_dir}/{split}` when that folder exists, else from
            `{root}/{images_dir}`.
        images_dir: str, defaults to `"images"`. (`"folder"` only.)
        masks_dir: str, defaults to `"masks"`. (`"folder"` only.)
        mask_suffix: str, defaults to `""`. (`"folder"` only.) See `list_folder`.
        list_file: str, path or `None`. (`"folder"` only.) A list file of
            `"image mask"` lines (relative to `root`); used instead of folders.

    Returns:
        A list of `(image_path, label_path)`.

    Example:
    >>> pairs = list_files("camvid", "/data/CamVid", "train")  # doctest: +SKIP
    """
    key = str(name).lower().replace("-", "_")
    if "+" in key:
        from keras_sfnet.data.merged import merged_files

        return [pair for files, _ in merged_files(key, root, split) for pair in files]
    if key == "cityscapes":
        return list_cityscapes(root, split)
    if key == "camvid":
        return list_camvid(root, split)
    if key in ("ade20k", "ade"):
        return list_ade20k(root, split)
    if key in ("pascal_context", "pascalcontext"):
        return list_pascal_context(root, split)
    if key == "folder":
        if list_file is not None:
            return read_list_file(list_file, root)
        layout = _FOLDER_LAYOUT.format(
            root="{root}", images_dir=images_dir, masks_dir=masks_dir,
            split="{split}", mask_suffix=mask_suffix,
        )  # fmt: skip
        root = _check_root(root, layout)
        image_dir, mask_dir = _join(root, images_dir), _join(root, masks_dir)
        if split and tf.io.gfile.isdir(_join(image_dir, split)):
            image_dir, mask_dir = _join(image_dir, split), _join(mask_dir, split)
        for folder in (image_dir, mask_dir):
            if not tf.io.gfile.isdir(folder):
                raise _missing("Folder", folder, layout, root=root, split=split)
        return _match_by_name(image_dir, mask_dir, mask_suffix, None)
    from keras_sfnet.data.dataset_catalog import DRIVING_DATASETS, list_driving_dataset

    if key in DRIVING_DATASETS:
        return list_driving_dataset(key, root, split)
    names = ["cityscapes", "camvid", "ade20k", "pascal_context", "folder", *DRIVING_DATASETS]
    raise ValueError(f"`name` must be one of {names}. Received: name={name!r}")
