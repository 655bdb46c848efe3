"""`run_demo`: synthetic data -> train SFNet-R18 on CPU -> mIoU -> coloured prediction."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from typing import Any

import cv2
import numpy as np

from keras_sfnet.training.train_config import TrainConfig
from keras_sfnet.training.train_result import TrainResult
from keras_sfnet.training.trainer import clear_run, train

__all__ = ["DEMO_SETTINGS", "DemoResult", "demo_config", "run_demo"]

logger = logging.getLogger(__name__)

# Sized for 10 minutes of 2 idle CPU cores, from scratch (no ImageNet weights):
# ResNet-18 without the dilations (plain 3x3 convs, which TensorFlow runs faster on
# CPU than its space-to-batch dilated ones), a 64-wide decoder, whole 128x256 images
# (no crops: the validation images' context), OHEM for the thin classes, AdamW
# (converges in a few hundred steps from scratch, where SGD needs thousands).
# Measured on 2 idle cores: 600 steps, val mIoU 0.467, 9 min 15 s in all
# (~0.85 s/step; 981 CPU-seconds).
DEMO_SETTINGS: dict[str, Any] = {
    "dataset": "synthetic",
    "synthetic_num_train": 160,
    "synthetic_num_val": 40,
    "synthetic_image_size": (128, 256),
    "backbone": "resnet18",
    "dilated": False,
    "decoder_filters": 64,
    "crop_size": (128, 256),
    "batch_size": 8,
    "steps": 600,
    "steps_per_epoch": 50,
    "checkpoint_every": 50,
    "validate_every": 2,
    "optimizer": "adamw",
    "learning_rate": 0.002,
    "warmup_steps": 20,
    "weight_decay": 5e-4,
    "loss": "ohem",
    "ohem_min_kept": 40000,
    "augmentation": {
        "scale_range": (0.75, 1.5),
        "brightness": 0.1,
        "contrast": 0.1,
        "saturation": 0.1,
        "hue": 0.0,
        "blur_prob": 0.0,
    },
    "resume": True,
}

PREDICTION_FILE = "prediction.png"
EVALUATION_FILE = "evaluation.json"


@dataclasses.dataclass
class DemoResult:
    """The outcome of `run_demo`.

    Args:
        training: the `TrainResult`.
        miou: float, mean IoU on the synthetic validation split (whole
            images, single scale).
        pixel_accuracy: float.
        per_class_iou: dict of class name -> IoU (classes present only).
        prediction_path: str, the figure PNG (`prediction_figure`: per
            validation image, ground truth, prediction, overlay, errors, flow).
        evaluation_path: str, the JSON of the scores.
        wall_time: float, seconds of the whole call.

    Example:
    >>> result = run_demo("runs/demo")  # doctest: +SKIP
    >>> round(result.miou, 2)  # doctest: +SKIP
    """

    training: TrainResult
    miou: float
    pixel_accuracy: float
    per_class_iou: dict[str, float]
    prediction_path: str
    evaluation_path: str
    wall_time: float

    def summary(self) -> str:
        """What the call did, as lines for a terminal.

        A call that found the run finished says that nothing was trained
        (instead of reporting the old steps as this call's work).

        Example:
        >>> print(run_demo("runs/demo").summary())  # doctest: +SKIP
        """
        training = self.training
        done = training.step - training.initial_step
        if done <= 0:
            lines = [
                f"Nothing trained in this call: {training.output} already holds the finished "
                f"run ({training.step} steps; --fresh starts over)."
            ]
        elif training.initial_step:
            lines = [
                f"Resumed at step {training.initial_step}, trained {done} more steps to "
                f"{training.step} in {training.wall_time:.0f} s."
            ]
        else:
            lines = [
                f"Trained {training.step} steps in {training.wall_time:.0f} s "
                f"({training.wall_time / done:.2f} s/step with start-up)."
            ]
        lines.append(f"Validation mIoU {self.miou:.3f}, pixel accuracy {self.pixel_accuracy:.3f}")
        for name, iou in sorted(self.per_class_iou.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {name:>14s} {iou:.3f}")
        lines.append(f"Prediction: {self.prediction_path}; model: {training.model_path}")
        lines.append(f"Total {self.wall_time:.0f} s")
        return "\n".join(lines)


def demo_config(output: str | os.PathLike = "runs/demo", **overrides: Any) -> TrainConfig:
    """The demo's `TrainConfig` (`DEMO_SETTINGS`), with `output` and overrides.

    Example:
    >>> demo_config("runs/demo", steps=100).steps
    100
    """
    values = dict(DEMO_SETTINGS, output=os.fspath(output))
    values.update(overrides)
    return TrainConfig(**values)


def _write_prediction(model, root: str, path: str, num_images: int = 3, title: str = "") -> None:
    from keras_sfnet.data import get_dataset_info, list_files, load_pair
    from keras_sfnet.inference import Segmenter
    from keras_sfnet.visualize import prediction_figure

    info = get_dataset_info("cityscapes")
    files = list_files("cityscapes", root, "val")
    # Spread over the split: a few different scenes.
    picks = sorted(
        {round(i * (len(files) - 1) / max(num_images - 1, 1)) for i in range(num_images)}
    )
    segmenter = Segmenter(model)
    images, truths, predictions, flows = [], [], [], []
    for index in picks:
        image, label = (np.asarray(t) for t in load_pair(*files[index], info))
        result = segmenter.predict_flows(image)
        images.append(image)
        truths.append(label)
        predictions.append(result["class_map"])
        # The finest semantic flow the network has: P2 for SFNet and SFNet-Lite, P4 for
        # DFNet and for FAMs on coarse levels only; none for the FCN ablation rows.
        levels = [value for key, value in result.items() if key.startswith("flow_")]
        if levels:
            finest = max(levels, key=lambda flow: flow.shape[0])
            flows.append((finest, round(image.shape[0] / finest.shape[0])))
    figure = prediction_figure(
        images, truths, predictions, info.class_names, info.palette, flows=flows or None,
        ignore_index=info.ignore_index, title=title,
    )  # fmt: skip
    if not cv2.imwrite(path, figure[..., ::-1]):
        raise OSError(f"Could not write '{path}'.")


def run_demo(
    output: str | os.PathLike = "runs/demo",
    fresh: bool = False,
    **overrides: Any,
) -> DemoResult:
    """Generates synthetic street scenes, trains SFNet-R18, evaluates, draws.

    Steps: (1) a synthetic Cityscapes-layout dataset in `{output}/data`
    (`keras_sfnet.data.synthetic`), (2) `keras_sfnet.training.train` with
    `DEMO_SETTINGS` (ResNet-18 from scratch on whole 128x256 images, on
    whatever device TensorFlow finds; sized for 10 minutes on 2 idle CPU cores), (3) the mean
    IoU of the final model on the validation split (whole images,
    `keras_sfnet.evaluation.evaluate`), (4) `{output}/prediction.png`: three
    validation images with their ground truth, prediction, overlay, error map
    and semantic flow, titled, with a legend (`keras_sfnet.visualize.prediction_figure`).

    Re-running continues from the checkpoints (a finished run only
    re-evaluates); `fresh=True` starts over (the dataset is kept).

    Args:
        output: str, the run folder. Defaults to `"runs/demo"`.
        fresh: bool, delete the previous run first. Defaults to `False`.
        **overrides: `TrainConfig` settings replacing `DEMO_SETTINGS`.

    Returns:
        A `DemoResult`.

    Example:
    >>> from keras_sfnet.training.demo import run_demo
    >>> result = run_demo("runs/demo")  # doctest: +SKIP
    >>> print(f"mIoU {result.miou:.3f}")  # doctest: +SKIP
    """
    from keras_sfnet.evaluation import evaluate

    start = time.time()
    output = os.fspath(output)
    if fresh:
        clear_run(output)
    config = demo_config(output, **overrides)
    training = train(config)
    root = config.data_root or os.path.join(output, "data")
    model = training.model
    if config.deep_supervision:
        model = model.inference_model()
    evaluation = evaluate(model, dataset="cityscapes", data_root=root, split="val", verbose=0)
    evaluation_path = os.path.join(output, EVALUATION_FILE)
    evaluation.save_json(evaluation_path)
    prediction_path = os.path.join(output, PREDICTION_FILE)
    _write_prediction(
        training.model, root, prediction_path,
        title=f"SFNet {config.backbone}, {training.step} steps on synthetic scenes: "
        f"validation mIoU {evaluation.miou:.3f}",
    )  # fmt: skip
    per_class = {
        name: float(value)
        for name, value in evaluation.per_class_iou.items()
        if value is not None and np.isfinite(value)
    }
    result = DemoResult(
        training=training,
        miou=float(evaluation.miou),
        pixel_accuracy=float(evaluation.pixel_accuracy),
        per_class_iou=per_class,
        prediction_path=prediction_path,
        evaluation_path=evaluation_path,
        wall_time=time.time() - start,
    )
    with open(os.path.join(output, "demo.json"), "w", encoding="utf-8") as f:
        json.dump(
            {
                "miou": result.miou,
                "pixel_accuracy": result.pixel_accuracy,
                "steps": training.step,
                "train_seconds_this_call": training.wall_time,
                "demo_seconds_this_call": result.wall_time,
            },
            f,
            indent=2,
        )
    return result
