"""keras_sfnet.training: the authors' optimizer and schedule, and `train`.

`train(TrainConfig(...))` runs a whole SFNet training with `model.fit`: mixed
precision, tf.distribute strategies (optionally with synchronised batch norm),
"last" and "best" checkpoints with exact resume, CSV and TensorBoard logs.
The pieces (`CoupledWeightDecaySGD`, `PolyDecay`, `TrainingCheckpoint`,
`convert_to_sync_batchnorm`, ...) also work on their own with `model.fit`.

Example:
>>> from keras_sfnet.training import TrainConfig, train
>>> config = TrainConfig(dataset="synthetic", crop_size=(128, 128), batch_size=8,
...                      steps=300, loss="cross_entropy", output="runs/demo")
>>> result = train(config)  # doctest: +SKIP
"""

from keras_sfnet.lazy_exports import lazy_exports

#: Module -> the public names it gives this package (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    ".array_training": ("train_with_arrays", "use_array_pipeline"),
    ".checkpointing": ("TrainingCheckpoint", "read_checkpoint_state", "restore_checkpoint"),
    ".demo": ("DemoResult", "demo_config", "run_demo"),
    ".distribution": ("get_strategy", "is_chief"),
    ".precision": ("precision_policy", "wrap_loss_scale"),
    ".step_limit": ("StepLimit",),
    ".sync_batchnorm": ("convert_to_sync_batchnorm", "iter_layers"),
    ".train_config": ("TrainConfig",),
    ".train_result": ("TrainResult",),
    ".trainer": ("clear_run", "resolve_architecture", "train"),
    ".training_data": ("resolve_dataset", "validate_training_data"),
    ".training_model": ("build_optimizer", "build_training_model", "compile_for_training"),
    ".training_logs": ("TrainingLogs",),
    "keras_sfnet.optimizers": ("CoupledWeightDecaySGD", "PolyDecay"),
})
