"""`tools/ablate.py` and `keras_sfnet.ablation.run_ablation` on a tiny budget."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

from keras_sfnet.ablation import ABLATION_ROWS, AblationResult, kendall_tau
from keras_sfnet.ablation.study import format_ablation_table, plot_ablation, rank_agreement

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tool():
    spec = importlib.util.spec_from_file_location(
        "ablate_tool", os.path.join(REPO, "tools", "ablate.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_list_and_unknown_row(capsys):
    tool = _tool()
    assert tool.main(["--list", "--rows", "2b"]) == 0
    listed = capsys.readouterr().out
    assert "2b_k1" in listed and "2b_k7" in listed and "1a_fcn" not in listed
    assert tool.main(["--rows", "9z", "--output", "unused"]) == 1
    assert "error: Unknown ablation row '9z'" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_study_trains_every_row_and_writes_the_report(tmp_path):
    tool = _tool()
    output = tmp_path / "ablate"
    argv = [
        "--rows", "1a_fcn", "2c_flownet_c",
        "--steps", "6", "--epochs", "2", "--crop-size", "64", "64", "--batch-size", "2",
        "--val-steps", "2", "--synthetic-images", "8", "--synthetic-size", "64", "128",
        "--cost-size", "64", "64", "--latency-size", "64", "64", "--output", str(output),
    ]  # fmt: skip
    assert tool.main(argv) == 0
    records = json.loads((output / "ablation.json").read_text())
    assert [r["row"]["key"] for r in records] == ["1a_fcn", "2c_flownet_c"]
    for record in records:
        assert record["steps"] == 6
        assert len(record["losses"]) == 2 and record["loss_fell"], record["losses"]
        assert record["miou"] is not None and 0.0 <= record["miou"] <= 1.0
        assert record["gmacs"] > 0 and record["latency_ms"] > 0
    table = (output / "ablation.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert len(rows) == 3 and "`2c_flownet_c`" in rows[2]
    assert "| 71.5 |" in rows[1] and "| 77.2 | +0.6 |" in rows[2]  # the paper's mIoU
    assert "over the 2 trained rows" in table or "undefined" in table
    assert all(r["paper_rank"] in (1, 2) for r in records)
    png = (output / "miou_vs_gmacs.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def _result(key, miou, steps=6):
    return AblationResult(ABLATION_ROWS[key], 1_000_000, 1.0, (64, 64), miou, (2.0, 1.5),
                          steps=steps)  # fmt: skip


def test_table_puts_the_paper_beside_the_measurement_and_ranks_both(tmp_path):
    # Measured here (made up, no training): k1 best, k7 second, k3 third; s33 is not
    # in the paper; 2b_k5 is untrained.
    results = [
        _result("2b_k1", 0.30), _result("2b_k3", 0.10), _result("2b_k5", None),
        _result("2b_k7", 0.20), _result("s33_fusion_fam", 0.25),
    ]  # fmt: skip
    agreement = rank_agreement(results)
    assert agreement.keys == ("2b_k1", "2b_k3", "2b_k7")
    # Paper: k3 78.3 > k7 78.0 > k1 77.8.
    assert agreement.paper_ranks == (3, 1, 2) and agreement.ranks_here == (1, 3, 2)
    assert agreement.tau == pytest.approx(kendall_tau([77.8, 78.3, 78.0], [30, 10, 20]))
    assert agreement.tau == pytest.approx(-1.0)
    table = format_ablation_table(results)
    header, _, *rows = [line for line in table.splitlines() if line.startswith("|")]
    assert "paper mIoU" in header and "mIoU here" in header and "rank: paper / here" in header
    k1, k3, k5, k7, s33 = rows
    assert "| 77.8 | -0.5 | 120.4 |" in k1 and "| 30.00 | 3 / 1 |" in k1
    assert "| 78.3 | - | 123.5 |" in k3 and "| 10.00 | 1 / 3 |" in k3
    assert "| 78.1 |" in k5 and "| - | - |" in k5  # untrained: no mIoU, no rank
    assert "| 2 / 2 |" in k7
    assert "| not in paper |" in s33 and "| 25.00 | - |" in s33
    assert "-1.00 over the 3 trained rows" in table and "6 training step(s)" in table
    png = plot_ablation(results, tmp_path / "plot.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_rank_agreement_is_undefined_below_two_rows():
    agreement = rank_agreement([_result("2b_k1", 0.3), _result("s33_fusion_fam", 0.2)])
    assert agreement.tau is None and agreement.keys == ("2b_k1",)
    assert "undefined" in format_ablation_table([_result("2b_k1", 0.3)])


@pytest.mark.slow
def test_light_backbone_rows_train_and_are_costed(tmp_path):
    # Table 1(d)'s new rows through run_ablation: built, 2 steps, validated, costed.
    from keras_sfnet.ablation import run_ablation

    rows = ["1d_shufflenetv2_fpn_ppm", "1d_df1_fpn_ppm", "1d_df2_sfnet"]
    results = run_ablation(
        rows, tmp_path, steps=2, epochs=1, crop_size=(64, 64), batch_size=2, val_steps=1,
        cost_size=(64, 64), latency_size=None,
        train_overrides={"synthetic_num_train": 4, "synthetic_num_val": 1,
                         "synthetic_image_size": (64, 128)},
    )  # fmt: skip
    assert [r.row.key for r in results] == rows
    for r in results:
        assert r.steps == 2 and r.miou is not None and r.gmacs > 0 and r.params > 0
    assert "| 69.8 |" in format_ablation_table(results)
