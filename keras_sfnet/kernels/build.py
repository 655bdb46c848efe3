"""Builds the fused flow-warp TensorFlow op (`python -m keras_sfnet.kernels.build`).

Compiles ``flow_warp_op.cc`` (CPU kernel) with the C++ compiler TensorFlow was built
for, into ``_flow_warp_op.so`` next to this file (or ``output_dir``). When ``nvcc`` is
found and ``cuda`` is not False it also compiles ``flow_warp_op_gpu.cu.cc`` and links
the CUDA kernel in; if that fails, the CPU-only library is built and the failure is
logged. The library is machine-specific (never committed: ``*.so`` is gitignored).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from keras_sfnet.kernels.locations import KERNEL_DIR, LIBRARY_NAME

__all__ = ["KERNEL_DIR", "LIBRARY_NAME", "build_kernels", "compiler_available", "main"]

logger = logging.getLogger(__name__)

CPU_SOURCE = "flow_warp_op.cc"
GPU_SOURCE = "flow_warp_op_gpu.cu.cc"
# -ffp-contract=off: no fused multiply-add, so the float32 coordinates equal the
# pure-TF graph's bit for bit.
PORTABLE_FLAGS = (
    "-O3",
    "-ffp-contract=off",
    "-fPIC",
    "-shared",
    "-std=c++17",
    "-Wno-deprecated-declarations",
)


def _tf_flags() -> tuple[list[str], list[str]]:
    import tensorflow as tf

    compile_flags = [f for f in tf.sysconfig.get_compile_flags() if not f.startswith("--std")]
    return compile_flags, list(tf.sysconfig.get_link_flags())


def _compiler() -> str | None:
    return os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")


def compiler_available() -> bool:
    """Whether a C++ compiler is on the PATH (or named by ``$CXX``).

    Example:
    >>> isinstance(compiler_available(), bool)
    True
    """
    return _compiler() is not None


def _run(command: list[str]) -> None:
    logger.info("running: %s", " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"command failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-4000:]}"
        )


def _cuda_home() -> Path:
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        raise RuntimeError("nvcc not found")
    candidates = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH")]
    candidates += [str(Path(nvcc).resolve().parent.parent), "/usr/local/cuda"]
    candidates += sorted(str(p) for p in Path("/usr/local").glob("cuda-*"))[::-1]
    for candidate in candidates:
        if candidate and (Path(candidate) / "include" / "cuda_runtime.h").is_file():
            return Path(candidate)
    raise RuntimeError("CUDA headers not found (set $CUDA_HOME)")


def _build_cuda_object(workdir: Path, compile_flags: list[str]) -> Path:
    nvcc = shutil.which("nvcc")
    cuda_home = _cuda_home()
    obj = workdir / "flow_warp_op_gpu.o"
    _run(
        [
            nvcc,
            "-std=c++17",
            "-O3",
            "-c",
            "-x",
            "cu",
            "-Xcompiler",
            "-fPIC",
            "--expt-relaxed-constexpr",
            "-DSFNET_WITH_CUDA=1",
            f"-I{KERNEL_DIR}",
            f"-I{cuda_home / 'include'}",
            *[f for f in compile_flags if f.startswith(("-I", "-D"))],
            str(KERNEL_DIR / GPU_SOURCE),
            "-o",
            str(obj),
        ]
    )
    return obj


def _native_flags(cxx: str) -> list[str]:
    """``-march=native``, without AVX512-FP16 where the compiler can turn it off.

    TensorFlow's bundled Eigen (2.18-2.20) does not compile its AVX512-FP16 packet
    code with g++ 12 (``predux_half_dowto4``); the warp kernel is float32 and gains
    nothing from FP16 vectors, so they are switched off on CPUs that have them.
    """
    flags = ["-march=native"]
    probe = subprocess.run(
        [cxx, "-mno-avx512fp16", "-x", "c++", "-E", "-o", os.devnull, os.devnull],
        capture_output=True,
        check=False,
    )
    if probe.returncode == 0:
        flags.append("-mno-avx512fp16")
    return flags


def build_kernels(
    output_dir: str | os.PathLike | None = None,
    *,
    native: bool = False,
    cuda: bool | None = None,
) -> Path:
    """Compiles the fused flow-warp op and returns the path of the shared library.

    Args:
        output_dir: folder for the library. Defaults to the package folder, where
            :mod:`keras_sfnet.kernels` loads it from at import.
        native: bool, add ``-march=native`` (faster, but the library then runs only on
            CPUs like this one). Defaults to False (portable).
        cuda: True (require the CUDA kernel), False (CPU only) or None (build the CUDA
            kernel when ``nvcc`` is found, fall back to CPU only if that fails).
            Defaults to None.

    Returns:
        Path of the built library.

    Raises:
        RuntimeError: no C++ compiler, or the compilation failed.

    Example:
    >>> path = build_kernels("/tmp/sfnet_kernels")  # doctest: +SKIP
    """
    cxx = _compiler()
    if cxx is None:
        raise RuntimeError("No C++ compiler found (set $CXX or install g++).")
    out_dir = Path(output_dir) if output_dir is not None else KERNEL_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / LIBRARY_NAME
    compile_flags, link_flags = _tf_flags()
    flags = list(PORTABLE_FLAGS) + (_native_flags(cxx) if native else [])
    with tempfile.TemporaryDirectory() as tmp:
        tmp_target = Path(tmp) / LIBRARY_NAME
        extra: list[str] = []
        want_cuda = cuda if cuda is not None else shutil.which("nvcc") is not None
        if want_cuda:
            try:
                obj = _build_cuda_object(Path(tmp), compile_flags)
                cuda_home = _cuda_home()
                libs = [
                    d
                    for d in ("lib64", "lib", "targets/x86_64-linux/lib")
                    if (cuda_home / d).is_dir()
                ]
                extra = ["-DSFNET_WITH_CUDA=1", str(obj)]
                extra += [f"-L{cuda_home / d}" for d in libs]
                extra += [f"-Wl,-rpath,{cuda_home / d}" for d in libs] + ["-lcudart"]
            except RuntimeError as error:
                if cuda:
                    raise
                logger.warning("CUDA kernel not built, CPU kernel only: %s", error)
        command = [
            cxx,
            *flags,
            f"-I{KERNEL_DIR}",
            *compile_flags,
            str(KERNEL_DIR / CPU_SOURCE),
            *extra,
            "-o",
            str(tmp_target),
            *link_flags,
        ]
        try:
            _run(command)
        except RuntimeError:
            if not extra or cuda:
                raise
            logger.warning("linking the CUDA kernel failed; building the CPU kernel only")
            command = [c for c in command if c not in extra]
            _run(command)
        # Replace atomically so that a process that already loaded the old one is safe.
        shutil.copy2(tmp_target, out_dir / (LIBRARY_NAME + ".tmp"))
        os.replace(out_dir / (LIBRARY_NAME + ".tmp"), target)
    logger.info("built %s", target)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m keras_sfnet.kernels.build [--native] [--cpu-only]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=None, help="defaults to the package folder")
    parser.add_argument("--native", action="store_true", help="compile with -march=native")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--cpu-only", action="store_true", help="never build the CUDA kernel")
    group.add_argument("--cuda", action="store_true", help="fail if the CUDA kernel fails")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cuda = False if args.cpu_only else (True if args.cuda else None)
    try:
        path = build_kernels(args.output_dir, native=args.native, cuda=cuda)
    except RuntimeError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
