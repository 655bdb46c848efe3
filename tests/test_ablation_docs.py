"""The ablation configs build and are costed; docs/ablations.md's generated tables are
current (`tools/ablation_docs.py`)."""

from __future__ import annotations

import importlib.util
import os

import keras
import pytest

from keras_sfnet.ablation import ABLATION_ROWS, row_cost
from keras_sfnet.ablation.paper_table import (
    COST_KEY,
    format_rows_table,
    load_costs,
    replace_section,
)
from keras_sfnet.training import TrainConfig
from keras_sfnet.training.trainer import build_training_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COSTS = os.path.join(REPO, "benchmarks", "ablation_costs.json")
# The rows this issue added that are new configurations (the others repeat one).
NEW_CONFIGURATIONS = {
    "1d_shufflenetv2_fpn_ppm", "1d_df1_fpn_ppm", "1d_df2_fpn_ppm", "1d_df2_sfnet",
    "2c_flownet_c", "2d_dcn_p5",
}  # fmt: skip


def _tool():
    path = os.path.join(REPO, "tools", "ablation_docs.py")
    spec = importlib.util.spec_from_file_location("ablation_docs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_costs_cover_every_row_and_the_docs_are_current(capsys):
    costs = load_costs(COSTS)
    assert list(costs) == list(ABLATION_ROWS)
    assert all(c["params"] > 0 and c[COST_KEY] > 0 for c in costs.values())
    assert _tool().main(["--check"]) == 0, capsys.readouterr().out
    doc = open(os.path.join(REPO, "docs", "ablations.md"), encoding="utf-8").read()
    assert "unknown" not in doc.split("<!-- ablation-rows:begin -->")[1].split("end -->")[0]
    # Every row is a line of the docs' table, with its paper mIoU.
    for key, row in ABLATION_ROWS.items():
        line = next(
            x for x in doc.splitlines()
            if x.startswith("| ") and x.split(" | ")[1].endswith(f"(`{key}`)")
        )  # fmt: skip
        expected = "not in paper" if row.paper_miou is None else f"{row.paper_miou:.1f}"
        assert f"| {expected} |" in line, line


def test_rows_table_refuses_a_missing_cost_and_sections_need_markers():
    with pytest.raises(ValueError, match="No cost for rows"):
        format_rows_table({}, ["1a_fcn"])
    with pytest.raises(ValueError, match="markers"):
        replace_section("no markers", "ablation-rows", "x")


def _config_params(key):
    config = TrainConfig.from_file(
        os.path.join(REPO, "configs", "ablations", f"{key}.json"), data_root="/unused"
    )
    keras.backend.clear_session()
    model = build_training_model(config, num_classes=19)
    return row_cost(ABLATION_ROWS[key], (64, 64), model=model)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(k, marks=() if k in NEW_CONFIGURATIONS else pytest.mark.slow)
        for k in ABLATION_ROWS
    ],
)
def test_every_config_builds_and_is_costed_as_in_the_costs_file(key):
    # The config file (not the row object) builds the network whose parameters the
    # costs file holds, and its GMACs are counted.
    params, gmacs = _config_params(key)
    assert params == load_costs(COSTS)[key]["params"]
    assert 0 < gmacs < load_costs(COSTS)[key][COST_KEY]
