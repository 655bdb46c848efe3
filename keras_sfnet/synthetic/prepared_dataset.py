"""A synthetic dataset on disk that is written once and reused while its settings hold."""

from __future__ import annotations

import inspect
import json
import logging
import os

from keras_sfnet.synthetic.layout_writer import generate_synthetic_layout

__all__ = ["MARKER_FILE", "prepare_synthetic_dataset"]

logger = logging.getLogger(__name__)

#: The settings file written next to a prepared synthetic dataset.
MARKER_FILE = "synthetic.json"


def prepare_synthetic_dataset(
    root: str | os.PathLike, layout: str = "cityscapes", **settings
) -> str:
    """Writes a synthetic dataset into `root` unless one with these settings is there.

    The settings are kept in `{root}/synthetic.json`; when they differ (or the
    file is missing), the dataset is generated again with
    `generate_synthetic_layout`. This is what `sfnet-train --dataset synthetic`
    trains on.

    Args:
        root: str or path. Output folder.
        layout: str, defaults to `"cityscapes"`. One of `SYNTHETIC_LAYOUTS`.
        **settings: the keyword arguments of `generate_synthetic_layout`, with
            its defaults: `num_train` (80), `num_val` (20), `image_size`
            (`(256, 512)`) and `seed` (0).

    Returns:
        `root` as a str.

    Example:
    >>> import tempfile
    >>> root = prepare_synthetic_dataset(tempfile.mkdtemp(), num_train=2, num_val=1,
    ...                                  image_size=(64, 128))
    """
    root = os.fspath(root)
    call = inspect.signature(generate_synthetic_layout).bind(root, layout, **settings)
    call.apply_defaults()
    args = call.arguments
    expected = {
        "num_train": args["num_train"], "num_val": args["num_val"],
        "image_size": list(args["image_size"]), "seed": args["seed"],
    }  # fmt: skip
    if layout != "cityscapes":
        expected["layout"] = layout
    marker = os.path.join(root, MARKER_FILE)
    current = None
    if os.path.exists(marker):
        with open(marker, encoding="utf-8") as f:
            current = json.load(f)
    if current != expected:
        logger.info("Generating the synthetic dataset in %s.", root)
        generate_synthetic_layout(*call.args, **call.kwargs)
        with open(marker, "w", encoding="utf-8") as f:
            json.dump(expected, f)
    return root
