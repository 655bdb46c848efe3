"""keras_sfnet.evaluation: mIoU in the paper's modes, Cityscapes benchmark output."""

from keras_sfnet.lazy_exports import lazy_exports

#: Module -> the public names it gives this package (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    ".cityscapes_submission": (
        "TRAIN_ID_TO_LABEL_ID", "check_cityscapes_submission", "cityscapes_prediction_name",
        "predict_cityscapes_submission", "train_ids_to_label_ids",
        "write_cityscapes_prediction", "write_cityscapes_submission_zip",
    ),
    ".evaluation_loop": ("evaluate",),
    ".evaluation_result": ("EvaluationResult",),
})
