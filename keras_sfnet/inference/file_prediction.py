"""Predicting image files, folders, globs and videos, writing pictures as it goes."""

from __future__ import annotations

import dataclasses
import glob
import json
import logging
import os
from collections.abc import Iterator, Sequence

import cv2
import keras
import numpy as np

from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.inference.flow_pictures import flow_pictures
from keras_sfnet.names import IMAGE_EXTENSIONS, OUTPUT_KINDS, VIDEO_EXTENSIONS  # noqa: F401 (re-exported)
from keras_sfnet.visualize import colorize, legend, overlay

__all__ = [
    "IMAGE_EXTENSIONS",
    "OUTPUT_KINDS",
    "VIDEO_EXTENSIONS",
    "PredictionReport",
    "list_inputs",
    "predict_files",
]

logger = logging.getLogger(__name__)




@dataclasses.dataclass
class PredictionReport:
    """What `predict_files` did.

    Attributes:
        written: paths of every file written.
        failures: `(input, reason)` for each input (or video frame) that failed.
        num_predicted: images and video frames predicted.
    """

    written: list[str] = dataclasses.field(default_factory=list)
    failures: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    num_predicted: int = 0

    @property
    def ok(self) -> bool:
        """`True` when nothing failed."""
        return not self.failures


def _is_video(path: str) -> bool:
    return path.lower().endswith(VIDEO_EXTENSIONS)


def list_inputs(source: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """Expands an image file, a video file, a folder or a glob into sorted file paths.

    A folder gives its image and video files (not recursive); a pattern with
    `*`, `?` or `[` is a glob (`**` recursive). A list is expanded item by item.

    Args:
        source: str, path, or a sequence of them.

    Returns:
        The list of files.

    Raises:
        FileNotFoundError: nothing matches, or a named file does not exist.

    Example:
    >>> list_inputs("frames/*.jpg")  # doctest: +SKIP
    ['frames/0001.jpg', 'frames/0002.jpg']
    """
    if isinstance(source, (list, tuple)):
        return [p for item in source for p in list_inputs(item)]
    source = os.fspath(source)
    if os.path.isdir(source):
        names = sorted(os.listdir(source))
        files = [
            os.path.join(source, n)
            for n in names
            if n.lower().endswith(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)
            and os.path.isfile(os.path.join(source, n))
        ]
        if not files:
            raise FileNotFoundError(
                f"Folder '{source}' holds no image ({', '.join(IMAGE_EXTENSIONS)}) or video "
                f"({', '.join(VIDEO_EXTENSIONS)}) files."
            )
        return files
    if any(c in source for c in "*?["):
        files = sorted(p for p in glob.glob(source, recursive=True) if os.path.isfile(p))
        if not files:
            raise FileNotFoundError(f"No files match the pattern '{source}'.")
        return files
    if not os.path.isfile(source):
        raise FileNotFoundError(f"Input '{source}' does not exist (not a file, folder or glob).")
    return [source]


def _video_frames(
    path: str, every: int, max_frames: int | None
) -> Iterator[tuple[int, np.ndarray]]:
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise ValueError(f"OpenCV could not open video '{path}'.")
    try:
        index = kept = 0
        while max_frames is None or kept < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            if index % every == 0:
                yield index, frame
                kept += 1
            index += 1
    finally:
        capture.release()


def _frame_count(path: str, every: int, max_frames: int | None) -> int | None:
    capture = cv2.VideoCapture(path)
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    capture.release()
    if count <= 0:
        return max_frames
    count = -(-count // every)
    return count if max_frames is None else min(count, max_frames)


class _Writer:
    def __init__(self, segmenter, info: DatasetInfo, outputs, show_flow, alpha, flow_step, report):
        self.segmenter = segmenter
        self.info = info
        self.outputs = outputs
        self.show_flow = show_flow
        self.alpha = alpha
        self.flow_step = flow_step
        self.report = report

    def _write(self, path: str, image: np.ndarray) -> None:
        if image.ndim == 3:
            image = image[..., ::-1]  # RGB -> BGR for OpenCV
        if not cv2.imwrite(path, np.ascontiguousarray(image)):
            raise OSError(f"Could not write '{path}'.")
        self.report.written.append(path)

    def __call__(self, bgr_image: np.ndarray, folder: str, stem: str) -> np.ndarray:
        """Writes the pictures of one image; returns its overlay (RGB)."""
        os.makedirs(folder, exist_ok=True)
        if self.show_flow:
            result = self.segmenter.predict_flows(bgr_image, bgr=True)
            class_map = result.pop("class_map")
        else:
            class_map = self.segmenter.predict(bgr_image, bgr=True)
        self.report.num_predicted += 1
        rgb = np.ascontiguousarray(bgr_image[..., ::-1])
        base = os.path.join(folder, stem)
        if "classes" in self.outputs:
            dtype = np.uint8 if self.info.num_classes <= 256 else np.uint16
            self._write(f"{base}_classes.png", class_map.astype(dtype))
        if "color" in self.outputs:
            self._write(f"{base}_color.png", colorize(class_map, self.info.palette))
        blended = overlay(rgb, class_map, self.info.palette, alpha=self.alpha)
        if "overlay" in self.outputs:
            self._write(f"{base}_overlay.png", blended)
        if self.show_flow:
            for name, picture in flow_pictures(
                rgb, result, step=self.flow_step, arrow_scale=None, titles=True
            ).items():
                self._write(f"{base}_{name}.png", picture)
        return blended


def _video_fps(path: str, every: int) -> float:
    capture = cv2.VideoCapture(path)
    fps = float(capture.get(cv2.CAP_PROP_FPS)) if capture.isOpened() else 0.0
    capture.release()
    return (fps if fps > 0 else 25.0) / every


def predict_files(
    segmenter,
    source,
    output_dir: str | os.PathLike,
    *,
    info: DatasetInfo | None = None,
    outputs: Sequence[str] = OUTPUT_KINDS,
    show_flow: bool = False,
    alpha: float = 0.5,
    flow_step: int = 16,
    every: int = 1,
    max_frames: int | None = None,
    write_legend: bool = True,
    verbose: int = 1,
) -> PredictionReport:
    """Predicts images and videos and writes class maps, colour masks and overlays.

    For an input `name.ext`, writes into `output_dir`: `name_classes.png`
    (class indices, uint8), `name_color.png` (the dataset palette),
    `name_overlay.png` (colours blended over the image), and with `show_flow`
    `name_flow_p{4,3,2}_color.png` / `name_flow_p{4,3,2}_arrows.png` (the
    semantic flow of each Flow Alignment Module, see `flow_pictures`). Video
    frames go to `output_dir/<video name>/<video name>_<frame:06d>_*.png`, and
    the overlays of all predicted frames to `output_dir/<video name>_overlay.mp4`
    (MPEG-4, at the source frame rate divided by `every`).
    `legend.png` shows the class names and colours, and `classes.json` lists
    them (index order) with the palette.

    An unreadable or undecodable input does not stop the run: it is logged,
    recorded in the report's `failures`, and the remaining inputs are predicted
    (outputs already written stay).

    Args:
        segmenter: `keras_sfnet.inference.Segmenter`. Files are read with
            OpenCV (BGR); the segmenter is called with `bgr=True`.
        source: image file, video file, folder, glob pattern, or a list of them
            (see `list_inputs`).
        output_dir: str or path. Created if needed.
        info: `DatasetInfo` or `None`. Palette and class names (defaults to a
            generic one with the model's class count).
        outputs: subset of `("classes", "color", "overlay")`.
        show_flow: bool, defaults to `False`. Also write flow pictures (needs a
            `keras_sfnet.SFNet`).
        alpha: float, defaults to 0.5. Overlay colour weight.
        flow_step: int, defaults to 16. Arrow spacing in pixels.
        every: int, defaults to 1. Predict every `every`-th video frame.
        max_frames: int or `None`. At most this many frames per video.
        write_legend: bool, defaults to `True`.
        verbose: int, defaults to 1. 1 shows a progress bar (folders, globs,
            videos).

    Returns:
        A `PredictionReport`.

    Example:
    >>> from keras_sfnet.inference import Segmenter
    >>> report = predict_files(Segmenter(model), "street/*.jpg", "out/")  # doctest: +SKIP
    >>> report.failures  # doctest: +SKIP
    []
    """
    outputs = tuple(outputs)
    unknown = [o for o in outputs if o not in OUTPUT_KINDS]
    if unknown:
        raise ValueError(
            f"`outputs` must be a subset of {list(OUTPUT_KINDS)}. Received: {list(outputs)}"
        )
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"`every` must be an integer >= 1. Received: every={every!r}")
    if info is None:
        info = DatasetInfo(name="predictions", num_classes=segmenter.num_classes)
    elif info.num_classes != segmenter.num_classes:
        raise ValueError(
            f"The model predicts {segmenter.num_classes} classes but dataset '{info.name}' "
            f"has {info.num_classes}."
        )
    files = list_inputs(source)
    output_dir = os.fspath(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    report = PredictionReport()
    writer = _Writer(segmenter, info, outputs, show_flow, alpha, flow_step, report)
    if write_legend:
        writer._write(
            os.path.join(output_dir, "legend.png"), legend(info.class_names, info.palette)
        )
        classes_path = os.path.join(output_dir, "classes.json")
        with open(classes_path, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "dataset": info.name,
                    "class_names": list(info.class_names),
                    "palette": np.asarray(info.palette, dtype=int).tolist(),
                },
                f,
                indent=2,
            )
        report.written.append(classes_path)

    def fail(path: str, error: Exception) -> None:
        message = f"{type(error).__name__}: {error}"
        logger.warning("Skipping '%s': %s", path, message)
        report.failures.append((path, message))

    images = [p for p in files if not _is_video(p)]
    videos = [p for p in files if _is_video(p)]
    progbar = keras.utils.Progbar(
        len(images), verbose=verbose if len(images) > 1 else 0, unit_name="image"
    )
    for i, path in enumerate(images):
        try:
            data = np.fromfile(path, np.uint8)
            image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
            if image is None:
                raise ValueError(f"OpenCV could not decode '{path}' as an image.")
            writer(image, output_dir, os.path.splitext(os.path.basename(path))[0])
        except (OSError, ValueError, cv2.error) as error:
            fail(path, error)
        progbar.update(i + 1)

    for path in videos:
        stem = os.path.splitext(os.path.basename(path))[0]
        folder = os.path.join(output_dir, stem)
        progbar = keras.utils.Progbar(
            _frame_count(path, every, max_frames), verbose=verbose, unit_name="frame"
        )
        done = 0
        video_path = os.path.join(output_dir, f"{stem}_overlay.mp4")
        video = None
        try:
            for index, frame in _video_frames(path, every, max_frames):
                blended = writer(frame, folder, f"{stem}_{index:06d}")
                if video is None:
                    video = cv2.VideoWriter(
                        video_path, cv2.VideoWriter_fourcc(*"mp4v"), _video_fps(path, every),
                        (blended.shape[1], blended.shape[0]),
                    )  # fmt: skip
                    if not video.isOpened():
                        raise OSError(f"OpenCV could not write the video '{video_path}'.")
                video.write(np.ascontiguousarray(blended[..., ::-1]))
                done += 1
                progbar.update(done)
        except (OSError, ValueError, cv2.error) as error:
            fail(path, error)
        finally:
            if video is not None:
                video.release()
                report.written.append(video_path)
        if done == 0 and not any(p == path for p, _ in report.failures):
            fail(path, ValueError(f"No frames could be read from video '{path}'."))
    logger.info(
        "Predicted %d images/frames, wrote %d files to %s, %d failures.",
        report.num_predicted,
        len(report.written),
        output_dir,
        len(report.failures),
    )
    return report
