"""A rate-limit counter shared by every kraken-ops process that uses one API key.

Kraken counts calls per API key, not per process: eight bots (or eight shell
commands) on one key that each keep their own in-process
:class:`~kraken_ops._core.ratelimit.CallCounter` can together go over the limit
and get ``EAPI:Rate limit exceeded``. :class:`SharedCallCounter` keeps the
counter's state -- its level, when it was last updated and the calls in flight --
in a small file next to the key's nonce store (``<state>/nonces/<id>.rate``) and
changes it under an exclusive ``flock``, so all processes book their calls on the
same counter and wait instead of tripping the limit.

The arithmetic is :class:`~kraken_ops._core.ratelimit.CounterModel`'s (calls count
undecayed while in flight and decay from their answer; a margin of half a second
of decay stays free). The clock is the wall clock (``time.time``), which all
processes share; a clock that steps back counts as no time passing. A call in
flight whose process died is taken as answered when another process notices.

The file is repaired, with a warning, when it is damaged (garbage, a level above
the maximum, times in the future): the level is capped at the tier's maximum and
future times are clamped to now, so a damaged file never makes anyone wait without end.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path
from typing import Callable

from kraken_ops._core.notice import notify
from kraken_ops._core.ratelimit import MARGIN_SECONDS, CounterModel, CounterState


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


class SharedCallCounter:
    """A decaying call counter whose state is shared through a locked file.

    >>> counter = SharedCallCounter(15.0, 0.33, Path("/tmp/k.rate"))   # doctest: +SKIP
    >>> while (wait := counter.acquire(1)) > 0: time.sleep(wait)       # doctest: +SKIP
    >>> ...  # send the call                                           # doctest: +SKIP
    >>> counter.release(1)                                              # doctest: +SKIP
    """

    def __init__(
        self,
        maximum: float,
        decay_per_second: float,
        path: Path,
        *,
        margin_seconds: float = MARGIN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.model = CounterModel(maximum, decay_per_second, margin_seconds=margin_seconds)
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._fd: int | None = None

    maximum = property(lambda self: self.model.maximum)
    decay_per_second = property(lambda self: self.model.decay_per_second)
    headroom = property(lambda self: self.model.headroom)

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

    def _read(self, fd: int, now: float) -> CounterState:
        raw = os.pread(fd, 65536, 0)
        state, problem = _parse(raw, now)
        problems = ([problem] if problem else []) + self.model.repair(state, now)
        if problems:
            notify(
                f"warning: repaired the damaged rate-limit file {self.path} ({'; '.join(problems)}); "
                "the counter is capped at the tier's maximum"
            )
        return state

    def _write(self, fd: int, state: CounterState) -> None:
        record = json.dumps(
            {"level": round(state.level, 6), "at": round(state.at, 6), "in_flight": [[c, round(s, 6), o] for c, s, o in state.in_flight]},
            separators=(",", ":"),
        ).encode("ascii") + b"\n"
        os.pwrite(fd, record, 0)
        os.ftruncate(fd, len(record))

    def _update(self, change: Callable[[CounterState, float], float | None]) -> float | None:
        with self._lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                now = self.clock()
                state = self._read(fd, now)
                self.model.expire(state, now, _alive)
                result = change(state, now)
                self._write(fd, state)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        return result

    # --- counter -------------------------------------------------------------------
    def acquire(self, cost: float) -> float:
        """Book ``cost`` as in flight (0.0), or return the seconds to wait before asking again."""
        if cost <= 0:
            return 0.0
        pid = os.getpid()
        return self._update(lambda state, now: self.model.acquire(state, cost, now, pid)) or 0.0

    def release(self, cost: float) -> None:
        """The call booked with :meth:`acquire` has its answer (or failed)."""
        if cost > 0:
            pid = os.getpid()
            self._update(lambda state, now: self.model.release(state, cost, now, pid))

    def saturate(self) -> None:
        """Kraken said the limit is exceeded: every process waits for the decay from now on."""
        self._update(self.model.saturate)

    def reset(self) -> None:
        """Empty the counter (for every process); e.g. after the key was idle at Kraken for long."""

        def empty(state: CounterState, now: float) -> None:
            state.level, state.at, state.in_flight = 0.0, now, []

        self._update(empty)

    @property
    def level(self) -> float:
        """The most Kraken's counter can be now (for diagnostics)."""
        with self._lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                now = self.clock()
                state, _ = _parse(os.pread(fd, 65536, 0), now)
                self.model.repair(state, now)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        return self.model.level(state, now)


def _parse(raw: bytes, now: float) -> tuple[CounterState, str | None]:
    """The state in a record, and what was wrong with it (None: nothing, or a new file)."""
    text = raw.strip(b"\x00 \t\r\n")
    if not text:
        return CounterState(at=now), None
    try:
        if text.startswith(b"{"):
            data = json.loads(text)
            entries = [(float(c), float(s), int(o)) for c, s, o in data.get("in_flight") or []]
            return CounterState(float(data["level"]), float(data["at"]), entries), None
        level, at = (float(x) for x in text.decode("ascii").split())  # the older "<level> <at>" record
        return CounterState(level, at), None
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError, OverflowError):
        return CounterState(at=now), "unreadable record"


_counters_lock = threading.Lock()
_counters: dict[tuple[str, float, float], SharedCallCounter] = {}


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
            counter = _counters[ident] = SharedCallCounter(maximum, decay, path)
        return counter


def _reinit_after_fork() -> None:
    global _counters_lock
    _counters_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)


__all__ = ["SharedCallCounter", "shared_counter_for", "limits_for"]
