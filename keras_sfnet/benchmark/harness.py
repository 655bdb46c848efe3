"""`run_benchmark`: every runtime of one configuration timed in one process, with ratios."""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
from collections.abc import Sequence

import numpy as np

from keras_sfnet.benchmark.memory import PeakMemory

__all__ = ["ALL_RUNTIMES", "BenchmarkConfig", "configure_threads", "run_benchmark"]

logger = logging.getLogger(__name__)

ALL_RUNTIMES = (
    "keras-graph",
    "keras-graph-gather",
    "keras-xla",
    "tflite-float32",
    "tflite-float16",
    "tflite-int8",
    "onnxruntime",
)


@dataclasses.dataclass
class BenchmarkConfig:
    """What to benchmark.

    Args:
        backbone: ``"resnet18"``, ``"resnet50"`` or ``"resnet101"``.
        input_size: ``(height, width)`` of the timed inputs. Defaults to ``(512, 1024)``.
        batch: images per inference call. Defaults to 1.
        threads: CPU threads for every runtime (TF intra-op, LiteRT, ORT, torch).
        warmup: further untimed runs per runtime before the timed rounds (each
            runtime already ran twice: a first call, then one measuring memory).
            Defaults to 0.
        repeats: timed rounds (all runtimes interleaved). Defaults to 5.
        runtimes: subset of :data:`ALL_RUNTIMES`. ``"keras-graph-gather"`` (the
            pure-TF warp, for the kernel's end-to-end effect) runs only when the fused
            kernel is loaded.
        num_classes: int. Defaults to 19.
        head: ``"v1"`` or ``"lite"`` (SFNet-Lite). Defaults to ``"v1"``.
        decoder_filters: int or None (the authors' width).
        torch_reference: path of the user's SFSegNets checkout, or None.
        train: bool, time the training step (batch ``train_batch``).
        train_batch: images per training step (>= 2: the authors' BatchNorm refuses
            one image at the 1x1 pyramid bin). Defaults to 2.
        pipeline: bool, measure the tf.data pipeline's images/second.
        pipeline_size: source image size for the pipeline. Defaults to (1024, 2048).
        pipeline_crop: crop size for the pipeline. Defaults to (1024, 1024).
        warp: bool, time the warp alone (gather vs fused, forward and backward).
        flops_size: size for the reported MAC count. Defaults to (1024, 1024).
        pause_s: idle pause before each timed run, so that the previous runtime's
            spinning threads release the cores. Defaults to 0.5.
        prime: bool, one untimed call of the same runtime right before each timed
            inference call (after the pause): steady-state latency. Defaults to True.

    Example:
    >>> config = BenchmarkConfig(input_size=(64, 128), runtimes=("keras-graph",))
    """

    backbone: str = "resnet18"
    head: str = "v1"
    input_size: tuple[int, int] = (512, 1024)
    batch: int = 1
    threads: int = 2
    warmup: int = 0
    repeats: int = 5
    runtimes: Sequence[str] = ALL_RUNTIMES
    num_classes: int = 19
    decoder_filters: int | None = None
    torch_reference: str | None = None
    train: bool = True
    train_batch: int = 2
    pipeline: bool = True
    pipeline_size: tuple[int, int] = (1024, 2048)
    pipeline_crop: tuple[int, int] = (1024, 1024)
    warp: bool = True
    flops_size: tuple[int, int] = (1024, 1024)
    pause_s: float = 0.5
    prime: bool = True

    def __post_init__(self):
        unknown = [r for r in self.runtimes if r not in ALL_RUNTIMES]
        if unknown:
            raise ValueError(
                f"`runtimes` must be a subset of {list(ALL_RUNTIMES)}. Received: {unknown}"
            )
        if self.batch < 1 or self.threads < 1 or self.repeats < 1:
            raise ValueError(
                "`batch`, `threads` and `repeats` must be >= 1. Received: "
                f"batch={self.batch}, threads={self.threads}, repeats={self.repeats}"
            )


def configure_threads(threads: int) -> None:
    """Sets TensorFlow's intra-op threads (and 1 inter-op thread) before it starts.

    Must run before TensorFlow executes its first op; later calls log a warning.

    Example:
    >>> configure_threads(2)  # doctest: +SKIP
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as error:
        logger.warning("TensorFlow threads already fixed (%s); timings use those", error)


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    versions = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
    for module in ("torch", "onnxruntime", "ai_edge_litert", "tf2onnx"):
        try:
            versions[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            pass
    return versions


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _build_runtime(name, model, shape, config):
    from keras_sfnet.benchmark import runtimes

    if name == "keras-graph":
        return runtimes.keras_runtime(model, shape)
    if name == "keras-graph-gather":
        return runtimes.keras_runtime(model, shape, warp="gather", name=name)
    if name == "keras-xla":
        return runtimes.keras_runtime(model, shape, jit_compile=True)
    if name.startswith("tflite-"):
        return runtimes.tflite_runtime(
            model, shape, quantization=name.split("-", 1)[1], threads=config.threads
        )
    return runtimes.onnx_runtime(model, shape, threads=config.threads)


def run_benchmark(config: BenchmarkConfig) -> dict:
    """Runs the benchmark and returns the report as a dict (see ``benchmarks/README.md``).

    All inference runtimes (and the authors' torch network when
    ``config.torch_reference`` is set) are built first, then timed in interleaved
    rounds in this process, so their ratios share the machine's load. Per runtime:
    median and p90 latency, images/s, the peak resident memory one inference adds
    (measured on its second run, after the first call's one-off initialisation), achieved GFLOP/s (model FLOPs / median
    latency) and its fraction of the machine's matmul ceiling, and the ratio to the
    torch network's median latency.

    Example:
    >>> config = BenchmarkConfig(input_size=(64, 128), runtimes=("keras-graph",),
    ...                          train=False, pipeline=False, warp=False, repeats=1)
    >>> report = run_benchmark(config)
    >>> report["rows"][0]["runtime"]
    'keras-graph'
    """
    from keras_sfnet import kernels
    from keras_sfnet.benchmark.ceiling import matmul_contenders
    from keras_sfnet.benchmark.flops import count_macs
    from keras_sfnet.benchmark.timing import interleaved_timings
    from keras_sfnet.models.sfnet import SFNet

    height, width = config.input_size
    shape = (config.batch, height, width, 3)
    keras_model = SFNet(
        backbone=config.backbone,
        head=config.head,
        num_classes=config.num_classes,
        decoder_filters=config.decoder_filters,
    )
    params = int(sum(np.prod(w.shape) for w in keras_model.trainable_weights))
    macs_ref = count_macs(keras_model, (1, *config.flops_size, 3))
    macs_run = count_macs(keras_model, shape)
    report: dict = {
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "threads": config.threads},
        "versions": _versions(),
        "config": dataclasses.asdict(config),
        "fused_kernel": str(kernels.library_path()) if kernels.is_loaded() else None,
        "params": params,
        "gmacs_at_flops_size": macs_ref.gmacs,
        "gflops_at_flops_size": macs_ref.gflops,
        "gmacs_per_image": macs_run.gmacs,
    }

    rng = np.random.default_rng(0)
    images = rng.normal(size=shape).astype(np.float32)
    contenders, notes, memory, errors = {}, {}, {}, {}
    names = [n for n in config.runtimes if n != "keras-graph-gather" or kernels.is_loaded()]
    for name in names:
        logger.info("building %s", name)
        try:
            runtime = _build_runtime(name, keras_model, shape, config)
            runtime.predict(images)  # first call: one-off initialisation
            with PeakMemory() as peak:
                runtime.predict(images)
        except Exception as error:  # a converter failing must not stop the others
            logger.warning("%s failed: %s", name, error)
            errors[name] = f"{type(error).__name__}: {str(error)[:200]}"
            continue
        contenders[name] = lambda r=runtime: r.predict(images)
        notes[name] = runtime.note
        memory[name] = peak.delta_bytes

    torch_net = None
    has_reference = False
    if config.torch_reference:
        from keras_sfnet.benchmark.torch_reference import BUILDERS

        has_reference = (config.backbone, config.head, False) in BUILDERS
        if not has_reference:
            # e.g. ShuffleNetV2 (the paper's Table 1(d)): timed alone, no ratio column.
            logger.warning(
                "The authors' code has no network for backbone=%r, head=%r: "
                "no authors-pytorch row",
                config.backbone,
                config.head,
            )
            errors["authors-pytorch"] = (
                f"no authors' network for backbone={config.backbone!r}, head={config.head!r}"
            )
    if has_reference:
        from keras_sfnet.benchmark.torch_reference import load_authors_network, torch_runtime

        torch_net = load_authors_network(
            config.torch_reference, config.backbone, config.num_classes, head=config.head
        )
        predict = torch_runtime(torch_net, config.threads)
        predict(images)
        with PeakMemory() as peak:
            predict(images)
        contenders["authors-pytorch"] = lambda: predict(images)
        notes["authors-pytorch"] = f"torch {report['versions'].get('torch')}, eval"
        memory["authors-pytorch"] = peak.delta_bytes

    # The hardware reference is timed in the same interleaved rounds as the model.
    matmuls = matmul_contenders(threads=config.threads)
    for name, (fn, _) in matmuls.items():
        contenders[name] = fn
    logger.info("timing %s", list(contenders))
    stats = interleaved_timings(
        contenders,
        config.warmup,
        config.repeats,
        config.batch,
        pause_s=config.pause_s,
        prime=config.prime,
    )
    torch_median = stats["authors-pytorch"].median_s if "authors-pytorch" in stats else None
    matmul_rates = {n: flops / stats.pop(n).median_s / 1e9 for n, (_, flops) in matmuls.items()}
    ceiling = max(matmul_rates.values())
    report["matmul_gflops"] = ceiling
    report["matmul_gflops_by_library"] = matmul_rates
    rows = []
    for name, s in stats.items():
        achieved = macs_run.gflops * config.batch / s.median_s
        # The ceiling is a float32 matmul: it bounds float rows only. Integer kernels
        # (VNNI / AMX int8) have another peak, so int8 rows get no percentage.
        integer = "int8" in name
        rows.append(
            {
                "runtime": name,
                "note": notes[name],
                **s.as_dict(),
                "peak_memory_mib": memory[name] / 2**20,
                "gflops_achieved": achieved,
                "precision": "int8" if integer else "float",
                "fraction_of_matmul": None if integer else achieved / ceiling,
                "ratio_vs_torch": s.median_s / torch_median if torch_median else None,
            }
        )
    report["rows"] = rows
    report["errors"] = errors

    if config.warp:
        report["warp"] = _warp_section(config, stats, kernels.is_loaded())
    if config.train:
        report["training"] = _training_section(config, keras_model, torch_net)
    if config.pipeline:
        from keras_sfnet.benchmark.input_pipeline import input_pipeline_images_per_second

        try:
            report["pipeline_images_per_s"] = input_pipeline_images_per_second(
                config.pipeline_size, config.pipeline_crop
            )
        except Exception as error:
            logger.warning("input pipeline failed: %s", error)
            report["errors"]["pipeline"] = f"{type(error).__name__}: {str(error)[:200]}"
    return report


def _warp_section(config, stats, fused_loaded: bool) -> dict:
    from keras_sfnet.benchmark.warp_profile import warp_timings
    from keras_sfnet.models.sfnet import DEFAULT_DECODER_FILTERS, LITE_DECODER_FILTERS

    default = LITE_DECODER_FILTERS if config.head == "lite" else None
    filters = (
        config.decoder_filters or default or DEFAULT_DECODER_FILTERS.get(config.backbone, 128)
    )
    shape = (config.batch, *config.input_size, 3)
    implementations = ("gather", "fused") if fused_loaded else ("gather",)
    forward = warp_timings(shape, filters, implementations, repeats=max(5, config.repeats))
    backward = warp_timings(
        shape, filters, implementations, gradient=True, repeats=max(3, config.repeats)
    )
    section = {
        "forward_s": {k: v.median_s for k, v in forward.items()},
        "forward_backward_s": {k: v.median_s for k, v in backward.items()},
    }
    used = "fused" if fused_loaded else "gather"
    if "keras-graph" in stats:
        section["share_of_keras_graph"] = forward[used].median_s / stats["keras-graph"].median_s
        section["gather_share_of_keras_graph"] = (
            forward["gather"].median_s / stats["keras-graph"].median_s
        )
    if fused_loaded:
        section["speedup_forward"] = forward["gather"].median_s / forward["fused"].median_s
        section["speedup_forward_backward"] = (
            backward["gather"].median_s / backward["fused"].median_s
        )
        if "keras-graph" in stats and "keras-graph-gather" in stats:
            section["end_to_end_speedup"] = (
                stats["keras-graph-gather"].median_s / stats["keras-graph"].median_s
            )
    return section


def _training_section(config, keras_model, torch_net) -> dict:
    from keras_sfnet.benchmark.timing import interleaved_timings
    from keras_sfnet.benchmark.training_step import keras_train_step

    shape = (config.train_batch, *config.input_size, 3)
    contenders = {"keras": keras_train_step(keras_model, shape, config.num_classes)}
    if torch_net is not None:
        from keras_sfnet.benchmark.torch_reference import torch_train_step

        contenders["authors-pytorch"] = torch_train_step(
            torch_net, shape, config.threads, config.num_classes
        )
    repeats = max(2, min(config.repeats, 3))
    stats = interleaved_timings(
        contenders, warmup=1, repeats=repeats, batch=config.train_batch, pause_s=config.pause_s
    )
    section = {"batch": config.train_batch, **{f"{k}_step_s": v.median_s for k, v in stats.items()}}
    if "authors-pytorch" in stats:
        section["ratio_vs_torch"] = stats["keras"].median_s / stats["authors-pytorch"].median_s
    return section
