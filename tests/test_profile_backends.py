"""`benchmarks/profile_backends.py`: HLO fusion labels and the Markdown tables (no profiling)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "profile_backends.py"


def _script():
    spec = importlib.util.spec_from_file_location("profile_backends", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HLO = """%fused_computation (param_0: f32[4,8]) -> f32[4,8] {
  %param_0 = f32[4,8]{1,0} parameter(0)
  ROOT %gather.3 = f32[4,8]{1,0} gather(%param_0, %param_0), offset_dims={1}
}

%fused_computation.1 (param_0.1: f32[1,8,8,4], param_1: f32[3,3,4,4]) -> f32[1,8,8,4] {
  %param_0.1 = f32[1,8,8,4]{3,2,1,0} parameter(0)
  %param_1 = f32[3,3,4,4]{3,2,1,0} parameter(1)
  ROOT %conv.1 = f32[1,8,8,4]{3,2,1,0} convolution(%param_0.1, %param_1), window={size=3x3}
}

ENTRY %main.5 (x.1: f32[1,8,8,4], w.1: f32[3,3,4,4]) -> f32[4,8] {
  %x.1 = f32[1,8,8,4]{3,2,1,0} parameter(0)
  %w.1 = f32[3,3,4,4]{3,2,1,0} parameter(1)
  %ynn_fusion.2 = f32[1,8,8,4]{3,2,1,0} fusion(%x.1, %w.1), kind=kCustom, calls=%fused_computation.1
  %bitcast.1 = f32[4,8]{1,0} bitcast(%ynn_fusion.2)
  ROOT %multiply_add_fusion = f32[4,8]{1,0} fusion(%bitcast.1), kind=kLoop, calls=%fused_computation
}
"""


def test_fusions_are_labelled_by_their_heaviest_opcode():
    labels = _script().hlo_labels(HLO)
    assert labels["ynn_fusion.2"] == "ynn_fusion: convolution"
    assert labels["multiply_add_fusion"] == "multiply_add_fusion: gather"
    assert labels["bitcast.1"] == "bitcast"


def test_markdown_lists_the_top_ops_and_errors():
    result = {"backend": "jax", "model": "sfnet_r18", "median_ms": 10.0, "profiled_op_ms": 9.0,
              "ops": [{"op": "ynn_fusion: convolution", "ms_per_call": 8.0, "share": 0.9,
                       "calls_per_inference": 45}]}  # fmt: skip
    failed = {"backend": "torch", "model": "sfnet_r18", "error": "No module named 'torch'"}
    table = _script().format_markdown([result, failed])
    assert "| `ynn_fusion: convolution` | 8.0 | 90.0% | 45 |" in table
    assert "sfnet_r18 on torch: error: No module named 'torch'" in table
