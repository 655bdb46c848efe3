"""keras_sfnet.benchmark: latency, throughput, FLOPs and memory of SFNet per runtime.

Example:
>>> from keras_sfnet.benchmark import BenchmarkConfig, format_report, run_benchmark
>>> report = run_benchmark(BenchmarkConfig(input_size=(64, 128), runtimes=("keras-graph",),
...                                        train=False, pipeline=False, warp=False))
>>> print(format_report(report))  # doctest: +SKIP
"""

from keras_sfnet.lazy_exports import lazy_exports

#: Module -> the public names it gives this package (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    ".ceiling": ("matmul_gflops",),
    ".flops": ("MacCount", "count_macs"),
    ".harness": ("ALL_RUNTIMES", "BenchmarkConfig", "configure_threads", "run_benchmark"),
    ".report_table": ("format_report",),
    ".timing": ("TimingStats", "interleaved_timings", "time_function"),
})
