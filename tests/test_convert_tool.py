"""tools/convert_checkpoint.py end to end on the golden checkpoint."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import keras
import numpy as np

TOOL = Path(__file__).resolve().parents[1] / "tools" / "convert_checkpoint.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("convert_checkpoint", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_writes_a_model_that_gives_the_golden_logits(tmp_path, reference_dir, capsys):
    tool = load_tool()
    out = tmp_path / "sfnet_r18"
    assert tool.main([str(reference_dir / "golden_sfnet_r18_fp16.pth"), "--output", str(out)]) == 0
    assert "resnet18 SFNet, 19 classes" in capsys.readouterr().out
    model = keras.models.load_model(out.with_suffix(".keras"))
    io = np.load(reference_dir / "golden_sfnet_r18_io.npz")
    logits = model.predict(io["input_nchw"].transpose(0, 2, 3, 1), verbose=0)
    expected = io["logits_nchw"].transpose(0, 2, 3, 1)
    assert np.linalg.norm(logits - expected) / np.linalg.norm(expected) < 1e-4
    assert out.with_suffix(".weights.h5").stat().st_size > 40_000_000


def test_tool_reports_mismatch_and_missing_file(tmp_path, reference_dir, capsys):
    tool = load_tool()
    code = tool.main(
        [
            str(reference_dir / "golden_sfnet_r18_fp16.pth"),
            "--output",
            str(tmp_path / "m"),
            "--num-classes",
            "21",
        ]
    )
    assert code == 1
    assert "the checkpoint has 19 classes, not 21 (tensor 'head.conv_last.1.weight')" in (
        capsys.readouterr().err
    )
    assert tool.main([str(tmp_path / "nope.pth"), "--output", str(tmp_path / "m")]) == 2
    assert "nope.pth' does not exist" in capsys.readouterr().err
