"""A rate-limit counter shared by every kraken-ops process that uses one API key.

Kraken counts calls per API key, not per process: eight bots (or eight shell
commands) on one key that each keep their own in-process
:class:`~kraken_ops._core.ratelimit.CallCounter` can together go over the limit
and get ``EAPI:Rate limit exceeded``. :class:`SharedCallCounter` keeps the
counter's state -- its level and when it was last updated -- in a small file next
to the key's nonce store (``<state>/nonces/<id>.rate``) and changes it under an
exclusive ``flock``, so all processes book their calls on the same counter and
wait instead of tripping the limit.

The arithmetic is :class:`~kraken_ops._core.ratelimit.CallCounter`'s: the level
decays continuously at ``decay_per_second``; ``reserve(cost)`` decays it to now,
adds ``cost`` and returns how long the caller must wait before sending (the time
the counter needs to decay back to ``maximum - headroom``). The headroom (one
call's worth on Spot, one order's on Futures, for counters built by
:func:`shared_counter_for`) covers the lag between booking a call here and Kraken
charging it: Kraken's counter starts decaying at its first charge, a little later
than ours at the first booking, so without it the call right at the limit can be
refused. The clock is the wall clock
(``time.time``), which all processes share; a clock that steps back counts as no
time passing.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Callable


_WIDTH = 48  # fixed-width record "<level> <at>", rewritten in place


class SharedCallCounter:
    """A decaying call counter whose state is shared through a locked file.

    >>> counter = SharedCallCounter(15.0, 0.33, Path("/tmp/k.rate"))  # doctest: +SKIP
    >>> time.sleep(counter.reserve(1))                                # doctest: +SKIP
    """

    def __init__(
        self, maximum: float, decay_per_second: float, path: Path, *, headroom: float = 0.0, clock: Callable[[], float] = time.time
    ) -> None:
        if maximum <= 0 or decay_per_second <= 0 or not 0 <= headroom < maximum:
            raise ValueError("maximum and decay_per_second must be positive, headroom between 0 and the maximum")
        self.maximum = float(maximum)
        self.headroom = float(headroom)
        self.decay_per_second = float(decay_per_second)
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"SharedCallCounter(maximum={self.maximum}, decay_per_second={self.decay_per_second}, path={str(self.path)!r})"

    # --- file ----------------------------------------------------------------------
    def _file(self) -> int:
        if self._pid != os.getpid():  # after fork: the parent's descriptor is not ours to lock
            self._pid, self._fd, self._lock = os.getpid(), None, threading.Lock()
        if self._fd is None:
            from kraken_ops.profiles.state_files import open_state_file

            self._fd = open_state_file(self.path, "rate-limit store")
        return self._fd

    def _read(self, fd: int, now: float) -> tuple[float, float]:
        raw = os.pread(fd, _WIDTH + 1, 0).decode("ascii", "replace").split()
        try:
            level, at = float(raw[0]), float(raw[1])
        except (IndexError, ValueError):  # new or damaged record: an empty counter
            return 0.0, now
        if not (level >= 0 and at > 0):  # NaN or nonsense
            return 0.0, now
        return level, at

    def _decayed(self, level: float, at: float, now: float) -> float:
        return max(0.0, level - max(0.0, now - at) * self.decay_per_second)

    # --- counter -------------------------------------------------------------------
    def reserve(self, cost: float) -> float:
        """Book ``cost`` and return the seconds to wait before the call may be sent."""
        if cost <= 0:
            return 0.0
        with self._lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                now = self.clock()
                level, at = self._read(fd, now)
                level = self._decayed(level, at, now) + cost
                record = f"{level:.6f} {now:.6f}".ljust(_WIDTH).encode("ascii") + b"\n"
                os.pwrite(fd, record, 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        excess = level - (self.maximum - self.headroom)
        return excess / self.decay_per_second if excess > 0 else 0.0

    def reset(self) -> None:
        """Empty the counter (for every process); e.g. after the key was idle at Kraken for long."""
        with self._lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                os.pwrite(fd, f"{0.0:.6f} {self.clock():.6f}".ljust(_WIDTH).encode("ascii") + b"\n", 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @property
    def level(self) -> float:
        """The counter's level now (for diagnostics)."""
        with self._lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                now = self.clock()
                level, at = self._read(fd, now)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        return self._decayed(level, at, now)


_counters_lock = threading.Lock()
_counters: dict[tuple[str, float, float], SharedCallCounter] = {}


HEADROOM = {"spot": 1.0, "futures": 10.0}


def limits_for(market: str, tier: str | None) -> tuple[float, float]:
    """``(maximum, decay per second)`` of ``market``'s counter for ``tier``."""
    from kraken_ops._core import ratelimit

    if market == "futures":
        return ratelimit.FUTURES_BUDGET
    return ratelimit.SPOT_TIERS.get(tier or "starter", ratelimit.SPOT_TIERS["starter"])


def shared_counter_for(market: str, key: str, tier: str | None = "starter", *, directory: Path | None = None) -> SharedCallCounter:
    """The cross-process counter of one key (one object per key and limits in this process)."""
    from kraken_ops.profiles.nonce_store import key_id

    if directory is None:
        from kraken_ops.profiles.config import state_dir

        directory = state_dir() / "nonces"
    maximum, decay = limits_for(market, tier)
    path = Path(directory) / f"{key_id(market, key)}.rate"
    ident = (str(path), maximum, decay)
    with _counters_lock:
        counter = _counters.get(ident)
        if counter is None:
            counter = _counters[ident] = SharedCallCounter(maximum, decay, path, headroom=HEADROOM.get(market, 1.0))
        return counter


def _reinit_after_fork() -> None:
    global _counters_lock
    _counters_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)


__all__ = ["SharedCallCounter", "shared_counter_for", "limits_for"]
