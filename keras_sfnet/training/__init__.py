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

from keras_sfnet.training.checkpointing import (
    TrainingCheckpoint,
    read_checkpoint_state,
    restore_checkpoint,
)
from keras_sfnet.training.demo import DemoResult, demo_config, run_demo
from keras_sfnet.training.distribution import get_strategy, is_chief
from keras_sfnet.training.optimizers import CoupledWeightDecaySGD
from keras_sfnet.training.precision import precision_policy, wrap_loss_scale
from keras_sfnet.training.schedules import PolyDecay
from keras_sfnet.training.step_limit import StepLimit
from keras_sfnet.training.sync_batchnorm import convert_to_sync_batchnorm, iter_layers
from keras_sfnet.training.train_config import TrainConfig
from keras_sfnet.training.train_result import TrainResult
from keras_sfnet.training.trainer import (
    build_optimizer,
    build_training_model,
    clear_run,
    compile_for_training,
    resolve_architecture,
    resolve_dataset,
    train,
    validate_training_data,
)
from keras_sfnet.training.training_logs import TrainingLogs

__all__ = [
    "CoupledWeightDecaySGD",
    "DemoResult",
    "PolyDecay",
    "StepLimit",
    "TrainConfig",
    "TrainResult",
    "TrainingCheckpoint",
    "TrainingLogs",
    "build_optimizer",
    "build_training_model",
    "clear_run",
    "compile_for_training",
    "convert_to_sync_batchnorm",
    "demo_config",
    "get_strategy",
    "is_chief",
    "iter_layers",
    "precision_policy",
    "read_checkpoint_state",
    "resolve_architecture",
    "resolve_dataset",
    "restore_checkpoint",
    "run_demo",
    "train",
    "validate_training_data",
    "wrap_loss_scale",
]
