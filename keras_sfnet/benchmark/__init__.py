"""keras_sfnet.benchmark: latency, throughput, FLOPs and memory of SFNet per runtime.

Example:
>>> from keras_sfnet.benchmark import BenchmarkConfig, format_report, run_benchmark
>>> report = run_benchmark(BenchmarkConfig(input_size=(64, 128), runtimes=("keras-graph",),
...                                        train=False, pipeline=False, warp=False))
>>> print(format_report(report))  # doctest: +SKIP
"""

from keras_sfnet.lazy_exports import lazy_exports

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "matmul_gflops": "keras_sfnet.benchmark.ceiling",
    "MacCount": "keras_sfnet.benchmark.flops",
    "count_macs": "keras_sfnet.benchmark.flops",
    "ALL_RUNTIMES": "keras_sfnet.benchmark.harness",
    "BenchmarkConfig": "keras_sfnet.benchmark.harness",
    "configure_threads": "keras_sfnet.benchmark.harness",
    "run_benchmark": "keras_sfnet.benchmark.harness",
    "format_report": "keras_sfnet.benchmark.report_table",
    "TimingStats": "keras_sfnet.benchmark.timing",
    "interleaved_timings": "keras_sfnet.benchmark.timing",
    "time_function": "keras_sfnet.benchmark.timing",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
