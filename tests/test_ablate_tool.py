"""`tools/ablate.py` and `keras_sfnet.ablation.run_ablation` on a tiny budget."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

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
    assert table.count("\n") == 4 and "`2c_flownet_c`" in table and "unknown" in table
    png = (output / "miou_vs_gmacs.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
