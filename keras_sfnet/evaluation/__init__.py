"""keras_sfnet.evaluation: mIoU in the paper's modes, Cityscapes benchmark output."""

from keras_sfnet.evaluation.cityscapes_submission import (
    TRAIN_ID_TO_LABEL_ID,
    check_cityscapes_submission,
    cityscapes_prediction_name,
    predict_cityscapes_submission,
    train_ids_to_label_ids,
    write_cityscapes_prediction,
    write_cityscapes_submission_zip,
)
from keras_sfnet.evaluation.evaluation_loop import evaluate
from keras_sfnet.evaluation.evaluation_result import EvaluationResult

__all__ = [
    "EvaluationResult",
    "TRAIN_ID_TO_LABEL_ID",
    "check_cityscapes_submission",
    "cityscapes_prediction_name",
    "evaluate",
    "predict_cityscapes_submission",
    "train_ids_to_label_ids",
    "write_cityscapes_prediction",
    "write_cityscapes_submission_zip",
]
