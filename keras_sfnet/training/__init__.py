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

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "train_with_arrays": "keras_sfnet.training.array_training",
    "use_array_pipeline": "keras_sfnet.training.array_training",
    "TrainingCheckpoint": "keras_sfnet.training.checkpointing",
    "read_checkpoint_state": "keras_sfnet.training.checkpointing",
    "restore_checkpoint": "keras_sfnet.training.checkpointing",
    "DemoResult": "keras_sfnet.training.demo",
    "demo_config": "keras_sfnet.training.demo",
    "run_demo": "keras_sfnet.training.demo",
    "get_strategy": "keras_sfnet.training.distribution",
    "is_chief": "keras_sfnet.training.distribution",
    "CoupledWeightDecaySGD": "keras_sfnet.optimizers.coupled_weight_decay_sgd",
    "precision_policy": "keras_sfnet.training.precision",
    "wrap_loss_scale": "keras_sfnet.training.precision",
    "PolyDecay": "keras_sfnet.optimizers.poly_decay",
    "StepLimit": "keras_sfnet.training.step_limit",
    "convert_to_sync_batchnorm": "keras_sfnet.training.sync_batchnorm",
    "iter_layers": "keras_sfnet.training.sync_batchnorm",
    "TrainConfig": "keras_sfnet.training.train_config",
    "TrainResult": "keras_sfnet.training.train_result",
    "build_optimizer": "keras_sfnet.training.trainer",
    "build_training_model": "keras_sfnet.training.trainer",
    "clear_run": "keras_sfnet.training.trainer",
    "compile_for_training": "keras_sfnet.training.trainer",
    "resolve_architecture": "keras_sfnet.training.trainer",
    "resolve_dataset": "keras_sfnet.training.training_data",
    "train": "keras_sfnet.training.trainer",
    "validate_training_data": "keras_sfnet.training.training_data",
    "TrainingLogs": "keras_sfnet.training.training_logs",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
