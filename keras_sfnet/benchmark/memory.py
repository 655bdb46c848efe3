"""Peak resident memory of a piece of work, sampled from /proc."""

from __future__ import annotations

import os
import threading
import time

__all__ = ["PeakMemory", "current_rss_bytes"]


def current_rss_bytes() -> int:
    """This process's resident set size in bytes (0 where /proc is missing).

    Example:
    >>> current_rss_bytes() >= 0
    True
    """
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


class PeakMemory:
    """Context manager sampling the process's RSS every ``interval_s`` in a thread.

    ``peak_bytes`` is the highest RSS seen, ``delta_bytes`` that peak minus the RSS
    on entry: the working memory the enclosed work needed on top of what was already
    resident (weights loaded before entry are not counted).

    Example:
    >>> with PeakMemory() as memory:
    ...     data = bytearray(10_000_000)
    >>> memory.peak_bytes >= memory.start_bytes
    True
    """

    def __init__(self, interval_s: float = 0.005):
        self.interval_s = interval_s
        self.start_bytes = 0
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, current_rss_bytes())
            time.sleep(self.interval_s)

    def __enter__(self) -> PeakMemory:
        self.start_bytes = self.peak_bytes = current_rss_bytes()
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_bytes = max(self.peak_bytes, current_rss_bytes())

    @property
    def delta_bytes(self) -> int:
        return self.peak_bytes - self.start_bytes
