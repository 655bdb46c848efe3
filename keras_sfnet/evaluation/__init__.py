"""keras_sfnet.evaluation: mIoU in the paper's modes, Cityscapes benchmark output."""

from keras_sfnet.lazy_exports import lazy_exports

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "TRAIN_ID_TO_LABEL_ID": "keras_sfnet.evaluation.cityscapes_submission",
    "check_cityscapes_submission": "keras_sfnet.evaluation.cityscapes_submission",
    "cityscapes_prediction_name": "keras_sfnet.evaluation.cityscapes_submission",
    "predict_cityscapes_submission": "keras_sfnet.evaluation.cityscapes_submission",
    "train_ids_to_label_ids": "keras_sfnet.evaluation.cityscapes_submission",
    "write_cityscapes_prediction": "keras_sfnet.evaluation.cityscapes_submission",
    "write_cityscapes_submission_zip": "keras_sfnet.evaluation.cityscapes_submission",
    "evaluate": "keras_sfnet.evaluation.evaluation_loop",
    "EvaluationResult": "keras_sfnet.evaluation.evaluation_result",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
