"""Latency statistics over repeated runs, with contenders interleaved."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["TimingStats", "interleaved_timings", "time_function"]


@dataclasses.dataclass(frozen=True)
class TimingStats:
    """Latency of repeated runs of one callable.

    Attributes:
        times_s: the measured run times in seconds (after warm-up).
        batch: images per run, for :attr:`fps`.

    Example:
    >>> TimingStats((1.0, 2.0, 3.0), batch=2).median_s
    2.0
    """

    times_s: tuple[float, ...]
    batch: int = 1

    @property
    def median_s(self) -> float:
        return float(np.median(self.times_s))

    @property
    def p90_s(self) -> float:
        return float(np.percentile(self.times_s, 90))

    @property
    def fps(self) -> float:
        """Images per second at the median latency."""
        return self.batch / self.median_s

    def as_dict(self) -> dict:
        return {
            "median_s": self.median_s,
            "p90_s": self.p90_s,
            "fps": self.fps,
            "runs": len(self.times_s),
        }


def time_function(fn: Callable[[], object], warmup: int = 1, repeats: int = 5, batch: int = 1):
    """Times ``fn()`` ``repeats`` times after ``warmup`` untimed calls.

    ``fn`` must block until its result is ready (return NumPy, not a lazy tensor).

    Example:
    >>> time_function(lambda: None, warmup=0, repeats=3).times_s.__len__()
    3
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return TimingStats(tuple(times), batch)


def interleaved_timings(
    contenders: Mapping[str, Callable[[], object]],
    warmup: int = 1,
    repeats: int = 5,
    batch: int = 1,
    pause_s: float = 0.0,
    prime: bool = False,
) -> dict[str, TimingStats]:
    """Times several callables in alternating rounds (order reversed every round).

    On a shared machine the load drifts; alternating the contenders exposes them to
    the same drift, so their ratios are meaningful even when absolute times are not.

    Args:
        contenders: name -> blocking callable.
        warmup: untimed calls of each before timing.
        repeats: timed rounds.
        batch: images per call.
        pause_s: untimed sleep before each timed call, so that thread pools still
            spinning after the previous contender's run go idle first. Defaults to 0.
        prime: bool, make one untimed call of the same contender right before each
            timed one (after the pause), so that every timed call finds its own
            thread pools awake: steady-state latency, as a frames-per-second loop
            measures, rather than the wake-up after an idle pause (~10 ms on 2 cores
            for TensorFlow, which parks its threads sooner than PyTorch's OpenMP).
            Defaults to False.

    Returns:
        name -> :class:`TimingStats`.

    Example:
    >>> stats = interleaved_timings({"a": lambda: None, "b": lambda: None}, 0, 2)
    >>> sorted(stats)
    ['a', 'b']
    """
    names = list(contenders)
    for name in names:
        for _ in range(warmup):
            contenders[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeats):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            if pause_s:
                time.sleep(pause_s)
            if prime:
                contenders[name]()
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: TimingStats(tuple(times[name]), batch) for name in names}
