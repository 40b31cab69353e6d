"""Nonce generation: strictly increasing per API key, thread-safe.

A :class:`NonceSource` hands out nonces for one key. The in-process default,
:class:`MonotonicNonce`, is based on the clock (1e8 ticks a second, like the
reference SDK, so that keys moved between the two keep working) and never repeats
or decreases, even when the clock steps back or many threads ask at once.

The profiles layer supplies a cross-process source (a lock file and the last
nonce per key under the user state dir) through the same interface: anything with
``next() -> str`` and, optionally, a context manager ``in_flight()`` that keeps two
private requests of one key from overlapping.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator, Protocol

TICKS_PER_SECOND = 100_000_000


class NonceSource(Protocol):
    def next(self) -> str: ...

    def in_flight(self) -> contextlib.AbstractContextManager[None]: ...


class MonotonicNonce:
    """Clock-based nonces that strictly increase within this process."""

    __slots__ = ("_lock", "_last")

    def __init__(self, floor: int = 0) -> None:
        self._lock = threading.Lock()
        self._last = floor

    def next(self) -> str:
        candidate = int(time.time() * TICKS_PER_SECOND)
        with self._lock:
            if candidate <= self._last:
                candidate = self._last + 1
            self._last = candidate
        return str(candidate)

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        yield


_registry_lock = threading.Lock()
_registry: dict[str, MonotonicNonce] = {}


def nonce_for_key(key: str) -> MonotonicNonce:
    """The process-wide nonce source of ``key``: every client of one key shares it."""
    with _registry_lock:
        source = _registry.get(key)
        if source is None:
            source = _registry[key] = MonotonicNonce()
        return source
