"""Parity of an exported artifact with the Keras model: the check every export ends with.

Float artifacts are held to a relative error (max abs error over the largest
reference logit); quantised ones to the pixel agreement of their class maps and to
the mIoU they lose. Samples are random images and rendered street scenes (the
bundled synthetic data), at the artifact's fixed size or at two sizes (one with
non-integer stride ratios) for dynamic ones.

With labelled images (``ParityCheck.eval_data``), a quantised artifact's pixel
agreement is measured on those images, like its mIoU drop; the agreement on random
noise (out of distribution: a short-trained model's classes there are near-ties) and
on the other unlabelled samples is reported beside it (``agreement_by_kind``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from keras_sfnet.metrics.confusion_matrix import ConfusionMatrix
from keras_sfnet.parameter_message import Parameter, ParameterMessage

__all__ = [
    "DEFAULT_DYNAMIC_SIZES",
    "ExportParityError",
    "ParityCheck",
    "ParityReport",
    "mean_iou",
    "parity_samples",
    "run_parity",
]

logger = logging.getLogger(__name__)

#: Sizes a dynamic-size artifact is checked at; 72x100 gives stride maps 9x13, 5x7,
#: 3x4 whose resize ratios are not integers (what trips converters).
DEFAULT_DYNAMIC_SIZES = ((64, 96), (72, 100))
#: Default relative error allowed for a float32 artifact.
FLOAT32_RTOL = 1e-4
#: Default relative error allowed for float16 weights/compute.
FLOAT16_RTOL = 2e-2
#: Class agreement required where the artifact returns class ids of a float graph.
CLASS_ID_AGREEMENT = 0.999


class ExportParityError(RuntimeError):
    """The exported artifact does not give the Keras model's answers.

    Attributes:
        report: the :class:`ParityReport` that failed.
    """

    def __init__(self, report: ParityReport):
        self.report = report
        limit = []
        if report.failed_limit:
            limit = [", the limit set by ", Parameter(report.failed_limit)]
        super().__init__(
            ParameterMessage(
                f"{report.format} export refused: {report.failure}",
                *limit,
                f". Parity: {report.measurements()}. The artifact was not written (pass ",
                Parameter("keep_rejected", "True"),
                " to keep it as '<output>.rejected' for inspection).",
            )
        )


@dataclasses.dataclass
class ParityCheck:
    """How an export is checked against Keras.

    Args:
        rtol: float or None, the largest ``max|artifact - keras| / max|keras|`` a float
            artifact may show. None: 1e-4 (float32) or 2e-2 (float16).
        min_agreement: float in [0, 1], the smallest fraction of pixels whose class
            must match Keras for quantised artifacts: on the labelled ``eval_data``
            images when given (the images the mIoU drop is measured on; the random
            noise and other unlabelled samples are then reported apart, see
            :class:`ParityReport`), else on all samples. Defaults to 0.95.
        max_miou_drop: float, the largest mIoU a quantised artifact may lose: against
            the labels of ``eval_data`` when given (those samples alone), else against
            Keras's own class map (Keras then scores 1.0). Defaults to 0.1.
        sizes: sequence of ``(height, width)`` for dynamic-size artifacts. None: the
            artifact's fixed size, else ``DEFAULT_DYNAMIC_SIZES``.
        num_random: int, random-noise images per size. Defaults to 1.
        num_images: int, rendered street scenes per size. Defaults to 2.
        images: optional sequence of uint8 RGB ``(H, W, 3)`` images added to the samples
            (resized to each size).
        eval_data: optional iterable of ``(uint8 image (H, W, 3), label (H, W))`` pairs
            (255 = ignore) to measure the mIoU drop against real labels.
        seed: int, the seed of the random samples. Defaults to 0.

    Example:
    >>> check = ParityCheck(min_agreement=0.98, max_miou_drop=0.05)
    """

    rtol: float | None = None
    min_agreement: float = 0.95
    max_miou_drop: float = 0.1
    sizes: Sequence[tuple[int, int]] | None = None
    num_random: int = 1
    num_images: int = 2
    images: Sequence[np.ndarray] | None = None
    eval_data: Iterable | None = None
    seed: int = 0

    def __post_init__(self):
        if self.rtol is not None and not self.rtol > 0:
            raise ValueError(f"`rtol` must be > 0 or None. Received: rtol={self.rtol!r}")
        if not 0.0 <= self.min_agreement <= 1.0:
            raise ValueError(
                f"`min_agreement` must be in [0, 1]. Received: min_agreement={self.min_agreement!r}"
            )
        if not 0.0 <= self.max_miou_drop <= 1.0:
            raise ValueError(
                f"`max_miou_drop` must be in [0, 1]. Received: max_miou_drop={self.max_miou_drop!r}"
            )
        if self.num_random + self.num_images < 1 and not self.images and self.eval_data is None:
            raise ValueError("The parity check needs at least one sample image.")


@dataclasses.dataclass
class ParityReport:
    """What an export's parity check measured.

    Attributes:
        format: str, e.g. ``"tflite"``.
        quantization: str, ``"none"``, ``"float16"``, ``"dynamic"`` or ``"int8"``.
        passed: bool.
        max_abs_error: float, over all samples (NaN where the artifact returns ids).
        max_rel_error: float, ``max_abs_error / max|keras logits|``.
        pixel_agreement: float, fraction of pixels with the Keras class: for a
            quantised artifact checked with labelled ``eval_data``, on those labelled
            images alone (the acceptance rule, the same images as ``miou_drop``); else
            on all samples.
        all_agreement: float, the agreement over all samples (labelled, rendered
            scenes, extra images and random noise together).
        agreement_by_kind: dict, the agreement per kind of sample present:
            ``"labelled"``, ``"rendered_scenes"``, ``"images"``, ``"random_noise"``.
            Random noise is an out-of-distribution sanity check: a short-trained
            model's classes on noise are near-ties that one grey level flips.
        agreement_samples: str, the samples ``pixel_agreement`` is measured on:
            ``"labelled"`` or ``"all"``.
        gpu_delegate: dict, a TFLite artifact's GPU-delegate compatibility (the fields
            of :class:`keras_sfnet.export.delegates.DelegateCompatibility`); empty for
            other formats.
        miou_drop: float, mIoU lost vs Keras (see :class:`ParityCheck`).
        num_samples: int.
        sizes: list of the ``(height, width)`` checked.
        thresholds: dict of the limits applied.
        failure: str, why it failed ("" when it passed).
        failed_limit: str, the :class:`ParityCheck` field whose limit failed ("" when
            it passed or a fixed limit failed).
        path: str, the artifact (set once written).
        size_bytes: int, the artifact's size on disk.
        float_ops: list of ``{"op", "tensor"}`` dicts, the ops a selective int8 model
            keeps float (empty for full int8 and float artifacts).
        selection: dict, how they were chosen (calibration agreements, the most
            sensitive op groups, latency against full int8); empty when none ran.
    """

    format: str
    quantization: str
    passed: bool
    max_abs_error: float
    max_rel_error: float
    pixel_agreement: float
    miou_drop: float
    num_samples: int
    sizes: list
    thresholds: dict
    failure: str = ""
    path: str = ""
    size_bytes: int = 0
    failed_limit: str = ""
    float_ops: list = dataclasses.field(default_factory=list)
    selection: dict = dataclasses.field(default_factory=dict)
    all_agreement: float = float("nan")
    agreement_by_kind: dict = dataclasses.field(default_factory=dict)
    agreement_samples: str = "all"
    gpu_delegate: dict = dataclasses.field(default_factory=dict)

    def written(self, path: str | os.PathLike) -> ParityReport:
        """Records the artifact written at ``path`` (absolute path, bytes on disk).

        Returns the report itself. A directory (a SavedModel) counts all its files.

        Example:
        >>> report.written("sfnet.tflite").size_bytes  # doctest: +SKIP
        8613376
        """
        self.path = os.path.abspath(os.fspath(path))
        if os.path.isdir(self.path):
            self.size_bytes = sum(
                os.path.getsize(os.path.join(root, name))
                for root, _, names in os.walk(self.path)
                for name in names
            )
        else:
            self.size_bytes = os.path.getsize(self.path)
        return self

    def measurements(self) -> str:
        """One line: errors, agreement, mIoU drop, samples (without the limits)."""
        agreement = f"agreement {100 * self.pixel_agreement:.2f}%"
        if self.agreement_samples != "all":
            others = ", ".join(
                f"{kind.replace('_', ' ')} {100 * value:.2f}%"
                for kind, value in self.agreement_by_kind.items()
                if kind != self.agreement_samples
            )
            agreement += f" on the {self.agreement_samples} images ({others}; all "
            agreement += f"{100 * self.all_agreement:.2f}%)"
        return (
            f"max abs {self.max_abs_error:.3g}, max rel {self.max_rel_error:.3g}, "
            f"{agreement}, mIoU drop {self.miou_drop:.4f} "
            f"on {self.num_samples} samples at {self.sizes}"
        )

    def summary(self) -> str:
        """One line: errors, agreement, mIoU drop, thresholds.

        Example:
        >>> report.summary()  # doctest: +SKIP
        'max abs 3.1e-07, max rel 1.2e-06, agreement 100.00%, mIoU drop 0.0000 (rtol=0.0001)'
        """
        limits = ", ".join(f"{k}={v:g}" for k, v in self.thresholds.items())
        return f"{self.measurements()} ({limits})"


def mean_iou(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> float:
    """Mean IoU over the classes present in labels or predictions (255 ignored).

    :class:`keras_sfnet.metrics.ConfusionMatrix`'s mIoU (the Cityscapes definition),
    1.0 when no labelled pixel is left.

    Example:
    >>> mean_iou(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    0.5
    """
    matrix = ConfusionMatrix(num_classes)
    matrix.update(np.asarray(labels), np.clip(predictions, 0, num_classes - 1))
    miou = matrix.mean_iou()
    return 1.0 if np.isnan(miou) else miou  # no pixel of any class: nothing lost


def _resize(image: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    if image.shape[:2] == tuple(size):
        return image
    import cv2

    interpolation = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.resize(image, (size[1], size[0]), interpolation=interpolation)


def _street_scenes(count: int, size: tuple[int, int], seed: int) -> list[np.ndarray]:
    try:
        from keras_sfnet.synthetic.renderer import render_street_scene
    except ImportError:  # pragma: no cover - the data package ships with keras_sfnet
        render_street_scene = None
    images = []
    rng = np.random.default_rng(seed + 1)
    for i in range(count):
        if render_street_scene is not None:
            images.append(render_street_scene((seed, i), size)[0])
        else:  # smooth structured image: gradients plus blocks
            yy, xx = np.mgrid[0 : size[0], 0 : size[1]] / np.array(size).reshape(2, 1, 1)
            base = np.stack([yy, xx, 1 - yy], -1) * 255
            base[(yy > rng.random()) & (xx > rng.random())] = rng.integers(0, 255, 3)
            images.append(base.astype(np.uint8))
    return images


def parity_samples(size: tuple[int, int], check: ParityCheck) -> list[tuple[np.ndarray, object]]:
    """The uint8 ``(H, W, 3)`` samples (with labels or None) checked at one size.

    Example:
    >>> samples = parity_samples((64, 96), ParityCheck())
    >>> samples[0][0].shape, samples[0][0].dtype
    ((64, 96, 3), dtype('uint8'))
    """
    rng = np.random.default_rng(check.seed)
    samples = [
        (rng.integers(0, 256, (*size, 3), dtype=np.uint8), None) for _ in range(check.num_random)
    ]
    samples += [(image, None) for image in _street_scenes(check.num_images, size, check.seed)]
    samples += [(_resize(np.asarray(image, np.uint8), size), None) for image in check.images or ()]
    for image, label in check.eval_data or ():
        samples.append(
            (_resize(np.asarray(image, np.uint8), size), _resize(np.asarray(label), size, True))
        )
    return samples


def run_parity(
    format: str,
    quantization: str,
    reference: Callable[[np.ndarray], np.ndarray],
    candidate: Callable[[np.ndarray], np.ndarray],
    check: ParityCheck,
    sizes: Sequence[tuple[int, int]],
    candidate_input: str = "float32",
    preprocessor=None,
) -> ParityReport:
    """Runs Keras and the artifact on the samples, measures and checks parity.

    Args:
        format: the artifact's format name (for the report).
        quantization: ``"none"`` and ``"float16"`` are checked on ``rtol``; ``"dynamic"``
            and ``"int8"`` on ``min_agreement`` and ``max_miou_drop``.
        reference: Keras, ``float32 (1, H, W, 3) normalised -> logits (1, H, W, C)``.
        candidate: the artifact's runner, same input (or uint8 when
            ``candidate_input="uint8"``), returning logits ``(1, H, W, C)`` or class ids
            ``(1, H, W)``.
        check: the :class:`ParityCheck`.
        sizes: the sizes to check at.
        candidate_input: ``"float32"`` (normalised images) or ``"uint8"`` (raw RGB).
        preprocessor: the ``keras_sfnet.layers.ImageConverter`` that normalises the
            uint8 samples for Keras (and for a float candidate); None: the default one.

    Returns:
        The :class:`ParityReport` (passed).

    Raises:
        ExportParityError: parity failed (the report is attached).

    Example:
    >>> report = run_parity("onnx", "none", keras_fn, onnx_fn, ParityCheck(), [(64, 96)])
    """
    from keras_sfnet.layers.image_converter import ImageConverter

    preprocessor = preprocessor if preprocessor is not None else ImageConverter()
    max_abs, max_ref, agree, total, drops, num = 0.0, 0.0, 0, 0, [], 0
    drop_labelled: list[bool] = []
    by_kind: dict[str, list[int]] = {}  # kind -> [equal pixels, pixels]
    any_logits = False
    for size in sizes:
        for index, (image, label) in enumerate(parity_samples(tuple(size), check)):
            x = np.asarray(preprocessor(image[None]), np.float32)
            ref = np.asarray(reference(x), np.float32)
            out = np.asarray(candidate(image[None] if candidate_input == "uint8" else x))
            ref_ids = ref.argmax(-1)
            if out.ndim == ref.ndim:
                any_logits = True
                out = out.astype(np.float32)
                if out.shape != ref.shape:
                    raise ExportParityError(
                        _failed_report(
                            format, quantization, f"output shape {out.shape} != Keras {ref.shape}"
                        )
                    )
                diff = np.abs(out - ref)
                max_abs = max(max_abs, float(np.nan_to_num(diff, nan=np.inf).max()))
                out_ids = out.argmax(-1)
            else:
                out_ids = out.astype(np.int64)
            max_ref = max(max_ref, float(np.abs(ref).max()))
            if out_ids.shape != ref_ids.shape:
                raise ExportParityError(
                    _failed_report(
                        format, quantization, f"class map shape {out_ids.shape} != {ref_ids.shape}"
                    )
                )
            equal = int((out_ids == ref_ids).sum())
            agree += equal
            total += ref_ids.size
            counts = by_kind.setdefault(_sample_kind(index, label, check), [0, 0])
            counts[0] += equal
            counts[1] += ref_ids.size
            num_classes = ref.shape[-1]
            drop_labelled.append(label is not None)
            if label is None:
                drops.append(1.0 - mean_iou(ref_ids, out_ids, num_classes))
            else:
                drops.append(
                    mean_iou(label[None], ref_ids, num_classes)
                    - mean_iou(label[None], out_ids, num_classes)
                )
            num += 1
    max_abs = max_abs if any_logits else float("nan")
    max_rel = max_abs / max(max_ref, 1e-12) if any_logits else float("nan")
    all_agreement = agree / max(total, 1)
    agreement_by_kind = {kind: n / max(t, 1) for kind, (n, t) in by_kind.items()}
    agreement = all_agreement
    # With labelled samples the drop is measured against the labels alone (the
    # unlabelled ones give 1 - mIoU against Keras's class map, another quantity).
    labelled = [d for d, has_label in zip(drops, drop_labelled) if has_label]
    miou_drop = float(np.mean(labelled or drops)) if drops else 0.0

    agreement_samples = "all"
    float_kind = quantization in ("none", "float16")
    if float_kind:
        rtol = check.rtol
        if rtol is None:
            rtol = FLOAT32_RTOL if quantization == "none" else FLOAT16_RTOL
        thresholds = {"rtol": rtol}
        failed_limit = ""
        if any_logits:
            failure = "" if max_rel <= rtol else f"max relative error {max_rel:.3g} > {rtol:g}"
            failed_limit = "rtol" if failure else ""
        else:
            thresholds = {"min_agreement": CLASS_ID_AGREEMENT}
            failure = (
                ""
                if agreement >= CLASS_ID_AGREEMENT
                else f"class agreement {agreement:.4f} < {CLASS_ID_AGREEMENT}"
            )
    else:
        # The acceptance rule: with labelled images, the agreement is measured on them
        # (as the mIoU drop is); noise and the other unlabelled samples are reported.
        if "labelled" in agreement_by_kind:
            agreement, agreement_samples = agreement_by_kind["labelled"], "labelled"
        thresholds = {"min_agreement": check.min_agreement, "max_miou_drop": check.max_miou_drop}
        failure = failed_limit = ""
        if not agreement >= check.min_agreement:
            where = " on the labelled images" if agreement_samples == "labelled" else ""
            failure = f"pixel agreement{where} {agreement:.4f} < {check.min_agreement}"
            failed_limit = "min_agreement"
        elif not miou_drop <= check.max_miou_drop:
            failure = f"mIoU drop {miou_drop:.4f} > {check.max_miou_drop}"
            failed_limit = "max_miou_drop"
    report = ParityReport(
        format=format,
        quantization=quantization,
        passed=not failure,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        pixel_agreement=agreement,
        miou_drop=miou_drop,
        num_samples=num,
        sizes=[tuple(s) for s in sizes],
        thresholds=thresholds,
        failure=failure,
        failed_limit=failed_limit,
        all_agreement=all_agreement,
        agreement_by_kind=agreement_by_kind,
        agreement_samples=agreement_samples,
    )
    if failure:
        raise ExportParityError(report)
    logger.info("%s (%s) parity: %s", format, quantization, report.summary())
    return report


def _sample_kind(index: int, label, check: ParityCheck) -> str:
    """The kind of the ``index``-th sample of :func:`parity_samples` at one size."""
    if label is not None:
        return "labelled"
    if index < check.num_random:
        return "random_noise"
    if index < check.num_random + check.num_images:
        return "rendered_scenes"
    return "images"


def _failed_report(format: str, quantization: str, failure: str) -> ParityReport:
    nan = float("nan")
    return ParityReport(format, quantization, False, nan, nan, 0.0, 1.0, 0, [], {}, failure)
