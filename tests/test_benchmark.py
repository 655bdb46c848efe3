"""The benchmark harness: FLOP counts, report fields and the CLI (never timings)."""

from __future__ import annotations

import math
import time

import keras
import numpy as np
import pytest

from keras_sfnet.benchmark import (
    BenchmarkConfig,
    count_macs,
    format_report,
    interleaved_timings,
    run_benchmark,
)
from keras_sfnet.benchmark.memory import PeakMemory
from keras_sfnet.benchmark.timing import TimingStats
from keras_sfnet.benchmark.warp_profile import fam_warp_shapes
from keras_sfnet.models.sfnet import SFNet


@pytest.mark.slow
def test_resnet18_macs_match_the_torch_counter():
    # Reference: the torch flop counter gives 121.5 GMACs for the authors' network at
    # 1024x1024 (the paper's "123.5 GFLOPs" counts MACs too).
    macs = count_macs(SFNet(backbone="resnet18", num_classes=19), (1, 1024, 1024, 3))
    assert abs(macs.gmacs - 121.5) / 121.5 < 0.03
    assert math.isclose(macs.gflops, 2 * macs.gmacs)


@pytest.mark.slow
def test_resnet50_counts_strided_dilated_convs_once():
    # The stride-2 dilated 3x3 convs run at stride 1 then subsample; counted strided.
    # (Tight: the split inference convs once hid that and counted 338.9.)
    macs = count_macs(SFNet(backbone="resnet50", num_classes=19), (1, 1024, 1024, 3))
    assert abs(macs.gmacs - 331.7) < 0.1


def test_split_wide_dilated_strided_conv_is_counted_as_the_strided_conv():
    # A 3x3 stride-2 dilation-2 conv on 512 channels: stride-1 dilated conv + subsample,
    # which SplitInputConv2D computes as a sum of 256-channel slices on CPU inference.
    from keras_sfnet.backbones.resnet import _conv
    from keras_sfnet.ops import implementation_scope

    inputs = keras.Input((16, 16, 512))
    model = keras.Model(inputs, _conv(inputs, 8, 3, 2, 2, "wide"))
    expected = 8 * 8 * 3 * 3 * 512 * 8  # output pixels x taps x in x out
    for conv in ("split", "plain", "auto"):
        with implementation_scope(conv=conv):
            assert count_macs(model, (1, 16, 16, 512)).conv == expected, conv


def test_macs_scale_with_batch_and_size():
    model = SFNet(num_classes=3, decoder_filters=8)
    one = count_macs(model, (1, 64, 64, 3))
    two = count_macs(model, (2, 64, 64, 3))
    big = count_macs(model, (1, 128, 128, 3))
    assert math.isclose(one.gmacs, two.gmacs)
    assert 3.5 < big.gmacs / one.gmacs < 4.5
    assert one.interpolation > 0


def test_timing_stats_and_interleaving():
    stats = TimingStats((0.1, 0.2, 0.3, 0.4), batch=2)
    assert stats.median_s == pytest.approx(0.25)
    assert stats.p90_s == pytest.approx(np.percentile([0.1, 0.2, 0.3, 0.4], 90))
    assert stats.fps == pytest.approx(8.0)
    calls = []
    result = interleaved_timings(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, warmup=1, repeats=2
    )
    assert calls == ["a", "b", "a", "b", "b", "a"]
    assert len(result["a"].times_s) == 2
    # Primed: each timed call right after an untimed one of the same contender.
    calls.clear()
    slow = {"n": 0}

    def first_call_slow():
        slow["n"] += 1
        calls.append("s")
        time.sleep(0.02 if slow["n"] % 2 else 0.0)  # the untimed call pays the wake-up

    result = interleaved_timings({"s": first_call_slow}, warmup=0, repeats=3, prime=True)
    assert calls == ["s"] * 6
    assert max(result["s"].times_s) < 0.015


def test_peak_memory_sees_an_allocation():
    with PeakMemory(interval_s=0.001) as memory:
        block = np.ones(50_000_000 // 8)  # 50 MB, written: resident
        block += 1
        time.sleep(0.05)  # several samples while it is resident
        del block  # freed before exit: only the sampling thread can have seen it
    assert memory.delta_bytes >= 40_000_000, memory.delta_bytes
    with PeakMemory(interval_s=0.001) as idle:
        time.sleep(0.01)
    assert idle.delta_bytes < 40_000_000, idle.delta_bytes


def test_fam_warp_shapes():
    assert fam_warp_shapes((2, 256, 512, 3), 128) == [
        ((2, 8, 16, 128), (2, 16, 32, 2)),
        ((2, 16, 32, 128), (2, 32, 64, 2)),
        ((2, 32, 64, 128), (2, 64, 128, 2)),
    ]


def test_config_validation():
    with pytest.raises(ValueError, match="runtimes"):
        BenchmarkConfig(runtimes=("keras-graph", "tensorrt"))


@pytest.mark.slow
def test_harness_end_to_end_tiny():
    config = BenchmarkConfig(
        input_size=(64, 128),
        runtimes=("keras-graph", "keras-graph-gather", "tflite-float32", "onnxruntime"),
        warmup=0,
        repeats=1,
        pause_s=0.0,
        train_batch=2,
        pipeline=False,
        flops_size=(128, 128),
    )
    report = run_benchmark(config)
    assert report["params"] == 12_869_715  # the authors' count (trainable parameters)
    assert report["matmul_gflops"] > 0
    rows = {row["runtime"]: row for row in report["rows"]}
    assert "keras-graph" in rows and "tflite-float32" in rows and "onnxruntime" in rows
    for row in rows.values():
        assert row["median_s"] > 0 and row["p90_s"] >= row["median_s"] * 0.999
        assert row["fps"] == pytest.approx(1 / row["median_s"])
        assert row["gflops_achieved"] > 0 and row["peak_memory_mib"] >= 0
        assert row["ratio_vs_torch"] is None
    assert report["training"]["keras_step_s"] > 0
    assert "forward_s" in report["warp"] and report["warp"]["share_of_keras_graph"] > 0
    text = format_report(report)
    assert "| keras-graph |" in text and "matmul ceiling" in text


def test_cli_parses_quick():
    from keras_sfnet_cli.benchmark import build_parser

    args = build_parser().parse_args(["--quick", "--runtimes", "keras-graph", "--no-train"])
    assert args.quick and args.runtimes == ["keras-graph"] and args.no_train


def test_configuration_the_authors_lack_is_timed_without_reference(tmp_path):
    config = BenchmarkConfig(
        backbone="shufflenetv2",
        input_size=(64, 64),
        runtimes=("keras-graph",),
        repeats=1,
        pause_s=0.0,
        train=False,
        pipeline=False,
        warp=False,
        flops_size=(64, 64),
        torch_reference=str(tmp_path),  # never opened: the authors have no ShuffleNetV2 SFNet
    )
    report = run_benchmark(config)
    assert [row["runtime"] for row in report["rows"]] == ["keras-graph"]
    assert "no authors' network" in report["errors"]["authors-pytorch"]


@pytest.mark.slow
def test_cli_compares_backends_at_a_tiny_size(tmp_path, capsys):
    """`sfnet-benchmark --backend ...`: one worker per backend, ratios to TensorFlow."""
    import json

    pytest.importorskip("jax")
    from keras_sfnet_cli.benchmark import main

    report = tmp_path / "backends.json"
    argv = ["--backend", "tensorflow", "jax", "--models", "sfnet_dfv1", "--size", "64", "128",
            "--repeats", "2", "--train-size", "64", "64", "--train-batch", "1",
            "--json", str(report)]  # fmt: skip
    assert main(argv) == 0
    results = json.loads(report.read_text())
    assert [r["backend"] for r in results] == ["tensorflow", "jax"]
    for result in results:
        assert result["inference"]["median_s"] > 0 and result["inference"]["first_call_s"] > 0
        assert result["train"]["per_second"] > 0 and result["train"]["train_size"] == [64, 64]
    table = capsys.readouterr().out
    assert "| sfnet_dfv1 | jax | float32 |" in table and "| 1.00 |" in table


def test_cli_backend_choices_are_checked():
    from keras_sfnet_cli.benchmark import build_parser

    args = build_parser().parse_args(["--backend", "jax", "torch", "--models", "sfnet_r18"])
    assert args.compare == ["jax", "torch"] and args.models == ["sfnet_r18"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--backend", "mxnet"])
