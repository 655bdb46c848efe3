"""keras_sfnet.benchmark: latency, throughput, FLOPs and memory of SFNet per runtime.

Example:
>>> from keras_sfnet.benchmark import BenchmarkConfig, format_report, run_benchmark
>>> report = run_benchmark(BenchmarkConfig(input_size=(64, 128), runtimes=("keras-graph",),
...                                        train=False, pipeline=False, warp=False))
>>> print(format_report(report))  # doctest: +SKIP
"""

from keras_sfnet.benchmark.ceiling import matmul_gflops
from keras_sfnet.benchmark.flops import MacCount, count_macs
from keras_sfnet.benchmark.harness import (
    ALL_RUNTIMES,
    BenchmarkConfig,
    configure_threads,
    run_benchmark,
)
from keras_sfnet.benchmark.report_table import format_report
from keras_sfnet.benchmark.timing import TimingStats, interleaved_timings, time_function

__all__ = [
    "ALL_RUNTIMES",
    "BenchmarkConfig",
    "MacCount",
    "TimingStats",
    "configure_threads",
    "count_macs",
    "format_report",
    "interleaved_timings",
    "matmul_gflops",
    "run_benchmark",
    "time_function",
]
