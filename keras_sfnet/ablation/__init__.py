"""The SFNet paper's ablation study as configurations (issue 12)."""

from keras_sfnet.ablation.rows import (
    ABLATION_ROWS,
    AblationRow,
    ablation_config,
    get_rows,
    write_ablation_configs,
)
from keras_sfnet.ablation.study import (
    AblationResult,
    build_row_model,
    format_ablation_table,
    plot_ablation,
    row_cost,
    run_ablation,
    write_ablation_report,
)

__all__ = [
    "ABLATION_ROWS",
    "AblationResult",
    "AblationRow",
    "ablation_config",
    "build_row_model",
    "format_ablation_table",
    "get_rows",
    "plot_ablation",
    "row_cost",
    "run_ablation",
    "write_ablation_configs",
    "write_ablation_report",
]
