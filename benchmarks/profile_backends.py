"""Where SFNet's CPU inference time goes on each Keras backend, op type by op type.

One worker process per (backend, model), as in ``sfnet-benchmark --backend``: the model
runs the way ``keras_sfnet.benchmark.backend_speed`` times it (a ``tf.function`` on
TensorFlow, ``jax.jit`` of ``stateless_call`` on JAX, eager ``torch.no_grad`` calls on
PyTorch), a few calls are timed without the profiler, then the same number of calls
runs under the backend's own profiler, and the ops' self times are summed per op type:

- TensorFlow: ``tf.profiler.experimental`` (the executor's per-kernel events,
  ``node/name:OpType``), grouped by kernel type (``_MklNativeFusedConv2D``, ...);
- JAX: ``jax.profiler`` (XLA CPU's per-thunk events), grouped by HLO instruction
  name without its number (``convolution``, ``gather_fusion``, ...);
- PyTorch: ``torch.profiler``, ``key_averages()`` by self CPU time (``aten::...``).

Both trace files are read with ``jax.profiler.ProfileData`` (so JAX must be installed
to profile TensorFlow). Shares are of the summed op time, which on two cores can
differ from the wall time (overlapping ops, framework overhead between ops).

Example::

    python benchmarks/profile_backends.py --backend tensorflow jax torch \\
        --models sfnet_r18 sfnet_dfv1 --size 512 1024 --repeats 3 --threads 2 \\
        --json benchmarks/profile_backends_512x1024.json \\
        --markdown benchmarks/profile_backends_512x1024.md
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _build(model_name, size):
    """``(run() -> ready logits, compiled HLO text or None)``, as backend_speed times it."""
    import keras_sfnet
    from keras_sfnet.benchmark.backend_speed import inference_function

    model = keras_sfnet.SFNet.from_name(model_name, num_classes=19)
    run, to_device, sync = inference_function(model)
    x = to_device(np.random.default_rng(0).normal(size=(1, *size, 3)).astype("float32"))
    hlo = run.hlo_text(x) if hasattr(run, "hlo_text") else None
    return lambda: sync(run(x)), hlo


#: HLO opcodes that name a fusion's kind of work (the first one found wins).
_HEAVY = ("convolution", "dot", "gather", "scatter", "reduce-window", "transpose", "reduce")


def hlo_labels(hlo_text):
    """{HLO instruction name: label} of a compiled module's text (``.as_text()``).

    A fusion is labelled by its name without the number and the heaviest opcode it
    calls (``ynn_fusion: convolution``); any other instruction by its opcode.

    Example:
    >>> text = "%f (p: f32[2]) -> f32[2] {\\n  ROOT %c.1 = f32[2] convolution(%p)\\n}\\n"
    >>> text += "ENTRY %m (a: f32[2]) -> f32[2] {\\n  ROOT %ynn_fusion.3 = f32[2] fusion(%a), calls=%f\\n}"
    >>> hlo_labels(text)["ynn_fusion.3"]
    'ynn_fusion: convolution'
    """
    opcodes, calls, computation = collections.defaultdict(set), {}, None
    labels = {}
    for line in hlo_text.splitlines():
        header = re.match(r"^(?:ENTRY )?%?([\w.\-]+) \(.*\{\s*$", line)
        if header:
            computation = header.group(1)
            continue
        instruction = re.match(r"^\s*(?:ROOT )?%([\w.\-]+) = .*? ([a-z][\w\-]*)\(", line)
        if not instruction or computation is None:
            continue
        name, opcode = instruction.groups()
        opcodes[computation].add(opcode)
        labels[name] = opcode
        called = re.search(r"calls=%([\w.\-]+)", line)
        if called:
            calls[name] = called.group(1)
    for name, computation in calls.items():
        heavy = [op for op in _HEAVY if op in opcodes[computation]]
        prefix = re.sub(r"\.\d+$", "", name)
        labels[name] = f"{prefix}: {heavy[0]}" if heavy else prefix
    return labels


def _xplane_events(folder):
    """(thread name, event name, duration ns, stats dict) of every event in the trace."""
    from jax.profiler import ProfileData

    (path,) = glob.glob(os.path.join(folder, "**", "*.xplane.pb"), recursive=True)
    for plane in ProfileData.from_file(path).planes:
        for line in plane.lines:
            for event in line.events:
                yield line.name, event.name, event.duration_ns, dict(event.stats)


def _op_times(backend, run, repeats, hlo_text=None):
    """{op type: summed self seconds over ``repeats`` calls} from the backend's profiler."""
    times = collections.Counter()
    counts = collections.Counter()
    if backend == "torch":
        import torch

        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            for _ in range(repeats):
                run()
        for row in prof.key_averages():
            if row.self_cpu_time_total > 0:
                times[row.key] += row.self_cpu_time_total * 1e-6
                counts[row.key] += row.count
        return times, counts
    with tempfile.TemporaryDirectory() as folder:
        if backend == "jax":
            import jax

            jax.profiler.start_trace(folder)
            for _ in range(repeats):
                run()
            jax.profiler.stop_trace()
        else:
            import tensorflow as tf

            tf.profiler.experimental.start(folder)
            for _ in range(repeats):
                run()
            tf.profiler.experimental.stop()
        labels = hlo_labels(hlo_text) if hlo_text else {}
        for thread, name, duration, stats in _xplane_events(folder):
            if backend == "jax":
                if "hlo_op" not in stats:
                    continue
                hlo_op = str(stats["hlo_op"])
                op = labels.get(hlo_op) or re.sub(r"\.\d+$", "", hlo_op)
            else:
                if not thread.startswith("tf_Compute") or ":" not in name or "::" in name:
                    continue
                op = name.rsplit(":", 1)[1]
            times[op] += duration * 1e-9
            counts[op] += 1
    return times, counts


def profile_worker(model_name, size, repeats):
    """Profiles one model on the backend of ``KERAS_BACKEND``; returns a JSON-ready dict."""
    import keras

    from keras_sfnet.benchmark.timing import time_function

    backend = keras.config.backend()
    run, hlo_text = _build(model_name, size)
    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    wall = list(time_function(run, warmup=1, repeats=repeats).times_s)
    times, counts = _op_times(backend, run, repeats, hlo_text)
    total = sum(times.values())
    ops = [
        {
            "op": op,
            "ms_per_call": 1000 * seconds / repeats,
            "share": seconds / total,
            "calls_per_inference": counts[op] / repeats,
        }
        for op, seconds in times.most_common()
    ]
    return {
        "backend": backend,
        "model": model_name,
        "input_size": list(size),
        "first_call_s": first,
        "median_ms": 1000 * statistics.median(wall),
        "profiled_op_ms": 1000 * total / repeats,
        "ops": ops,
    }


def profile_backends(backends, models, size, repeats, threads):
    """One worker per (model, backend); a failed worker gives an ``error`` entry."""
    results = []
    for model_name in models:
        for backend in backends:
            env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
            env.setdefault("OMP_NUM_THREADS", str(threads))
            env.setdefault("TF_NUM_INTRAOP_THREADS", str(threads))
            env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as sfnet-benchmark --backend
            env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
            command = [sys.executable, __file__, "--worker", model_name,
                       "--size", *map(str, size), "--repeats", str(repeats)]  # fmt: skip
            print(f"profiling {model_name} on {backend}", file=sys.stderr, flush=True)
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode or not lines:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                results.append({"backend": backend, "model": model_name, "error": tail[0]})
            else:
                results.append(json.loads(lines[-1]))
    return results


def format_markdown(results, top=8):
    """One table per (model, backend): the ``top`` op types by self time."""
    out = []
    for r in results:
        if "error" in r:
            out.append(f"### {r['model']} on {r['backend']}: error: {r['error']}\n")
            continue
        out.append(
            f"### {r['model']} on {r['backend']}: {r['median_ms']:.0f} ms per call "
            f"(profiled ops sum to {r['profiled_op_ms']:.0f} ms)\n"
        )
        out.append("| op | ms per call | share | calls per inference |")
        out.append("|---|---|---|---|")
        for op in r["ops"][:top]:
            out.append(
                f"| `{op['op']}` | {op['ms_per_call']:.1f} | {100 * op['share']:.1f}% "
                f"| {op['calls_per_inference']:.0f} |"
            )
        out.append("")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--models", nargs="+", default=["sfnet_r18", "sfnet_dfv1"])
    parser.add_argument("--size", nargs=2, type=int, default=[512, 1024])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("--markdown", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(profile_worker(args.worker, tuple(args.size), args.repeats)))
        return 0
    results = profile_backends(args.backend, args.models, args.size, args.repeats, args.threads)
    table = format_markdown(results)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
