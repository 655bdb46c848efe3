"""Loading a trained segmentation model from a file, whatever its format."""

from __future__ import annotations

import os
import zipfile

import keras

__all__ = ["load_segmentation_model"]


def load_segmentation_model(path: str | os.PathLike, **kwargs) -> keras.Model:
    """Loads a segmentation model from a `.keras` file or an authors' `.pth` checkpoint.

    - `.keras`: `keras.saving.load_model` (SFNet's classes are registered, no
      `custom_objects` needed); the model is loaded without compiling.
    - `.pth` / `.pt` / `.pth.tar`: the authors' PyTorch checkpoint, converted by
      `keras_sfnet.convert.from_official_checkpoint` (no torch needed);
      `**kwargs` (e.g. `backbone`, `num_classes`) are passed to it.

    Args:
        path: str or path of the model file.
        **kwargs: for `.pth` files only.

    Returns:
        A `keras.Model` (a `keras_sfnet.SFNet` for both formats).

    Raises:
        FileNotFoundError: no such file.
        ValueError: an unknown file extension, or a `.keras` file that is not a zip
            archive (corrupt or truncated).

    Example:
    >>> model = load_segmentation_model("sfnet_r18_cityscapes.keras")  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Model file '{path}' does not exist.")
    lower = path.lower()
    if lower.endswith(".keras"):
        import keras_sfnet.models  # noqa: F401  (registers the serializable classes)

        if kwargs:
            raise ValueError(
                f"Extra arguments apply to .pth checkpoints only. Received: {sorted(kwargs)}"
            )
        if not zipfile.is_zipfile(path):
            # Keras would report this as "File not found" although the file exists.
            raise ValueError(
                f"'{path}' is not a valid .keras file: a .keras file is a zip archive and "
                "this one is corrupt, truncated or of another format. Save the model again "
                "with `model.save(path)`."
            )
        return keras.saving.load_model(path, compile=False)
    if lower.endswith((".pth", ".pt", ".pth.tar", ".tar")):
        from keras_sfnet.convert import from_official_checkpoint

        return from_official_checkpoint(path, **kwargs)
    raise ValueError(
        "The model file must be a '.keras' file or the authors' '.pth' checkpoint. "
        f"Received: path='{path}'"
    )
