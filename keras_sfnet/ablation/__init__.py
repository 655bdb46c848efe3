"""The SFNet paper's ablation study as configurations (issues 12, 21)."""

from keras_sfnet.ablation.paper import (
    PAPER_INCONSISTENCIES,
    PAPER_RESULTS,
    PaperResult,
    baseline_of,
    paper_delta,
)
from keras_sfnet.ablation.ranking import kendall_tau, rank_descending
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
    "PAPER_INCONSISTENCIES",
    "PAPER_RESULTS",
    "PaperResult",
    "ablation_config",
    "baseline_of",
    "build_row_model",
    "format_ablation_table",
    "get_rows",
    "kendall_tau",
    "paper_delta",
    "plot_ablation",
    "rank_descending",
    "row_cost",
    "run_ablation",
    "write_ablation_configs",
    "write_ablation_report",
]
