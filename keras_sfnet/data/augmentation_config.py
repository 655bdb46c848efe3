"""`AugmentationConfig`: the settings of the joint image/mask training augmentation."""

from __future__ import annotations

import dataclasses

from keras_sfnet.value_checks import parse_pair

__all__ = ["AugmentationConfig", "augmentation_arguments"]


def _check_range(name: str, value: tuple[float, float], low: float) -> tuple[float, float]:
    lo, hi = parse_pair(value, name, float, "a pair (min, max)")
    if not low <= lo <= hi:
        raise ValueError(f"`{name}` must satisfy {low} <= min <= max. Received: {name}={value!r}")
    return lo, hi


@dataclasses.dataclass(frozen=True)
class AugmentationConfig:
    """Settings of the joint training augmentation (see `augment_example`).

    The defaults follow the authors' released training scripts: random scale in
    [0.5, 2.0], pad (image with the ImageNet mean, mask with ignore) and random
    crop, horizontal flip, colour jitter 0.25 and Gaussian blur. The paper uses
    scale [0.75, 2.0] without jitter or blur: `AugmentationConfig.paper()`.

    Args:
        scale_range: (min, max) floats, defaults to `(0.5, 2.0)`. Random
            rescale factor, drawn uniformly.
        flip_prob: float, defaults to 0.5. Probability of a horizontal flip.
        brightness: float, defaults to 0.25. Brightness factor drawn from
            `[max(0, 1 - b), 1 + b]` (multiplicative, as torchvision).
        contrast: float, defaults to 0.25. Contrast factor range, likewise.
        saturation: float, defaults to 0.25. Saturation factor range, likewise.
        hue: float, defaults to 0.25. Hue shift drawn from `[-hue, hue]`, in
            turns of the colour wheel (at most 0.5).
        blur_prob: float, defaults to 0.5. Probability of a Gaussian blur.
        blur_sigma_range: (min, max) floats, defaults to `(0.15, 1.3)`. Blur
            sigma in pixels (the released code draws 0.15 + U(0, 1.15)).
        image_fill: str, defaults to `"mean"`. Padding for the image: `"mean"`
            (ImageNet mean colour, i.e. 0 after normalisation) or `"zero"`
            (black). The mask is always padded with the ignore index.

    Example:
    >>> config = AugmentationConfig(scale_range=(0.75, 2.0), blur_prob=0.0)
    >>> config.flip_prob
    0.5
    """

    scale_range: tuple[float, float] = (0.5, 2.0)
    flip_prob: float = 0.5
    brightness: float = 0.25
    contrast: float = 0.25
    saturation: float = 0.25
    hue: float = 0.25
    blur_prob: float = 0.5
    blur_sigma_range: tuple[float, float] = (0.15, 1.3)
    image_fill: str = "mean"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale_range", _check_range("scale_range", self.scale_range, 1e-3))
        object.__setattr__(
            self, "blur_sigma_range", _check_range("blur_sigma_range", self.blur_sigma_range, 0.0)
        )
        for name in ("flip_prob", "blur_prob"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"`{name}` must be in [0, 1]. Received: {name}={value!r}")
        for name in ("brightness", "contrast", "saturation"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")
        if not 0.0 <= self.hue <= 0.5:
            raise ValueError(f"`hue` must be in [0, 0.5]. Received: hue={self.hue!r}")
        if self.image_fill not in ("mean", "zero"):
            raise ValueError(
                f"`image_fill` must be one of ['mean', 'zero']. Received: image_fill={self.image_fill!r}"
            )

    @classmethod
    def paper(cls) -> AugmentationConfig:
        """The paper's recipe: flip, scale [0.75, 2.0], crop; no jitter or blur.

        Example:
        >>> AugmentationConfig.paper().scale_range
        (0.75, 2.0)
        """
        return cls(
            scale_range=(0.75, 2.0), brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0,
            blur_prob=0.0,
        )  # fmt: skip

    @classmethod
    def crop_only(cls) -> AugmentationConfig:
        """Only pad and random crop (no scale, flip, jitter or blur).

        Example:
        >>> AugmentationConfig.crop_only().flip_prob
        0.0
        """
        return cls(
            scale_range=(1.0, 1.0), flip_prob=0.0, brightness=0.0, contrast=0.0, saturation=0.0,
            hue=0.0, blur_prob=0.0,
        )  # fmt: skip

    @property
    def has_color_jitter(self) -> bool:
        """Whether any colour jitter is enabled."""
        return any(v > 0 for v in (self.brightness, self.contrast, self.saturation, self.hue))


def augmentation_arguments(
    config: AugmentationConfig | None, crop_size, class_uniform_prob: float, num_classes: int | None
) -> tuple[AugmentationConfig, int, int]:
    """`(config, crop_h, crop_w)` of an `augment_example` / `augment_arrays` call, checked.

    `None` is the default config; class-uniform crops need `num_classes`.

    Example:
    >>> augmentation_arguments(None, (8, 16), 0.0, None)[1:]
    (8, 16)
    """
    crop_h, crop_w = (int(v) for v in crop_size)
    if class_uniform_prob > 0 and num_classes is None:
        raise ValueError("`num_classes` is required when `class_uniform_prob` > 0.")
    return config or AugmentationConfig(), crop_h, crop_w
