"""The SFNet paper's ablation study as configurations (issue 12)."""

from keras_sfnet.ablation.rows import (
    ABLATION_ROWS,
    AblationRow,
    ablation_config,
    get_rows,
    write_ablation_configs,
)

__all__ = [
    "ABLATION_ROWS",
    "AblationRow",
    "ablation_config",
    "get_rows",
    "write_ablation_configs",
]
