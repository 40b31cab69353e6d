"""Client-side rate limiting: wait instead of tripping Kraken's limits.

Kraken keeps a decaying counter per API key (the Spot REST call counter,
kraken-protocol.md §1.7, and the Futures cost budget, §3.5): each call adds its
cost when Kraken *receives* it, the counter decays continuously, and a call that
would take it over the maximum is refused (``EAPI:Rate limit exceeded``).

The client cannot see when Kraken receives a call, only when it sends it and when
the answer comes back; a limiter that books a call when it is sent and lets its
cost decay from then on is a little ahead of Kraken's counter whenever a request
takes longer to arrive than the one before it (the first request of a connection,
which also opens the connection, is the usual culprit), and the call right at the
limit is refused. :class:`CounterModel` is exact instead of hopeful:

* a call is *in flight* from :meth:`CounterModel.acquire` until
  :meth:`CounterModel.release` (its answer or its failure); while it is in flight
  its whole cost counts, undecayed, since Kraken may charge it at any moment;
* at release its cost joins the decaying level *as of that moment*, the latest
  time Kraken can have charged it, so the level never decays faster than Kraken's;
* a call may be sent when the decayed level, everything in flight and its own cost
  fit under the maximum less a margin of :data:`MARGIN_SECONDS` of decay (for
  Kraken's own bookkeeping and rounding); otherwise ``acquire`` books nothing and
  returns how long to wait before asking again.

When Kraken refuses a call anyway (another program on the key, a process that
started with an empty counter), :meth:`CounterModel.saturate` sets the level to
the maximum, so that the next calls wait for the decay.

:class:`CallCounter` keeps the model's state in the process (shared by every
client of one key); :class:`kraken_ops.profiles.rate_store.SharedCallCounter`
keeps it in a locked file shared by every process that uses the key. Sync callers
``time.sleep`` the returned wait and async callers ``asyncio.sleep`` it, on the
same object.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

# Spot REST call counter per tier: (maximum, decay per second).
SPOT_TIERS: dict[str, tuple[float, float]] = {
    "starter": (15.0, 0.33),
    "intermediate": (20.0, 0.5),
    "pro": (20.0, 1.0),
}

# Endpoints that cost 2 on the Spot REST counter; order placement and cancels cost 0
# here (they are limited by the matching engine's per-pair counter instead).
SPOT_COSTS: dict[str, int] = {
    "Ledgers": 2,
    "QueryLedgers": 2,
    "TradesHistory": 2,
    "QueryTrades": 2,
    "AddOrder": 0,
    "AddOrderBatch": 0,
    "AmendOrder": 0,
    "EditOrder": 0,
    "CancelOrder": 0,
    "CancelOrderBatch": 0,
    "CancelAll": 0,
    "CancelAllOrdersAfter": 0,
}

# Futures /derivatives budget: 500 units per 10 s (kraken-protocol.md §3.5).
FUTURES_BUDGET = (500.0, 50.0)
FUTURES_COSTS: dict[str, int] = {
    "sendorder": 10,
    "editorder": 10,
    "cancelorder": 10,
    "batchorder": 9,
    "accounts": 2,
    "openpositions": 2,
    "fills": 2,
    "cancelallorders": 25,
    "cancelallordersafter": 25,
    "withdrawal": 100,
    "openorders": 2,
    "status": 1,
    "unwindqueue": 200,
}

#: Seconds of decay kept free below the maximum (Kraken's bookkeeping, rounding).
MARGIN_SECONDS = 0.5
#: How long to wait before asking again when only calls in flight stand in the way.
POLL_IN_FLIGHT = 0.05
#: A call in flight longer than this is taken as answered (its process died, or its
#: answer will never come); its cost then decays from that moment.
IN_FLIGHT_EXPIRY = 120.0


def spot_cost(path: str) -> int:
    return SPOT_COSTS.get(path.rsplit("/", 1)[-1], 1)


def futures_cost(path: str) -> int:
    if not path.startswith("/derivatives"):
        return 0
    return FUTURES_COSTS.get(path.rstrip("/").rsplit("/", 1)[-1], 1)


@dataclass
class CounterState:
    """The counter as the client knows it: a decaying level and the calls in flight.

    ``in_flight`` holds ``(cost, since, owner)`` per call, ``owner`` being the
    process id for a counter shared between processes (0 otherwise).
    """

    level: float = 0.0
    at: float = 0.0
    in_flight: list[tuple[float, float, int]] = field(default_factory=list)


class CounterModel:
    """The arithmetic of one decaying counter (no locking, no clock: callers pass ``now``)."""

    def __init__(self, maximum: float, decay_per_second: float, *, margin_seconds: float = MARGIN_SECONDS) -> None:
        if maximum <= 0 or decay_per_second <= 0 or margin_seconds < 0:
            raise ValueError("maximum and decay_per_second must be positive, margin_seconds not negative")
        self.maximum = float(maximum)
        self.decay_per_second = float(decay_per_second)
        self.headroom = min(self.decay_per_second * margin_seconds, self.maximum / 2)

    def decayed(self, state: CounterState, now: float) -> float:
        """The level at ``now`` (a clock that stepped back counts as no time passing)."""
        return max(0.0, state.level - max(0.0, now - state.at) * self.decay_per_second)

    def level(self, state: CounterState, now: float) -> float:
        """What Kraken's counter may be at most at ``now``: the decayed level and every call in flight."""
        return self.decayed(state, now) + sum(cost for cost, _, _ in state.in_flight)

    def _settle(self, state: CounterState, now: float) -> None:
        state.level, state.at = self.decayed(state, now), now

    def expire(self, state: CounterState, now: float, alive: Callable[[int], bool] | None = None) -> None:
        """Take calls in flight for too long (or of a process that died) as answered now."""
        keep = []
        for entry in state.in_flight:
            cost, since, owner = entry
            if now - since > IN_FLIGHT_EXPIRY or (alive is not None and owner and not alive(owner)):
                self._settle(state, now)
                state.level += cost
            else:
                keep.append(entry)
        state.in_flight = keep

    def acquire(self, state: CounterState, cost: float, now: float, owner: int = 0) -> float:
        """Book ``cost`` as in flight and return 0.0, or book nothing and return the seconds to wait."""
        if cost <= 0:
            return 0.0
        level = self.decayed(state, now)
        pending = sum(c for c, _, _ in state.in_flight)
        room = self.maximum - self.headroom - pending - cost
        if level <= room or (level == 0.0 and pending == 0.0):  # an empty counter always lets one call through
            self._settle(state, now)
            state.in_flight.append((float(cost), now, owner))
            return 0.0
        if room < 0:  # only calls in flight can make room: ask again soon
            return POLL_IN_FLIGHT if pending else level / self.decay_per_second
        return max((level - room) / self.decay_per_second, 1e-3)

    def release(self, state: CounterState, cost: float, now: float, owner: int = 0) -> None:
        """The answer of a call booked with :meth:`acquire` arrived (or the call failed)."""
        if cost <= 0:
            return
        for i, (c, _, o) in enumerate(state.in_flight):
            if c == cost and o == owner:
                del state.in_flight[i]
                break
        else:  # already taken as answered by expire()
            return
        self._settle(state, now)
        state.level += cost

    def saturate(self, state: CounterState, now: float) -> None:
        """Kraken refused a call for the rate limit: its counter is full, so is ours."""
        self._settle(state, now)
        state.level = max(state.level, self.maximum)

    def repair(self, state: CounterState, now: float) -> list[str]:
        """Make a state read from disk usable; return what was wrong (empty when nothing was).

        The level is capped at the maximum, times in the future are clamped to now,
        so no damaged record can make a caller wait without end.
        """
        problems = []
        if not (0.0 <= state.level < float("inf")):
            problems.append(f"level {state.level!r}")
            state.level = 0.0
        elif state.level > self.maximum:
            if state.level > 2 * self.maximum:
                problems.append(f"level {state.level:g} above the maximum {self.maximum:g}")
            state.level = self.maximum
        if not (0.0 <= state.at < float("inf")) or state.at > now + 1.0:
            problems.append("a time in the future" if state.at > now else f"time {state.at!r}")
            state.at = now
        entries = []
        for cost, since, owner in state.in_flight:
            if not (0.0 < cost <= self.maximum) or not (0.0 <= since < float("inf")):
                problems.append("a damaged call in flight")
                continue
            if since > now + 1.0:
                problems.append("a call in flight from the future")
                since = now
            entries.append((cost, since, owner))
        state.in_flight = entries
        return problems


class CallCounter:
    """The counter of one key within this process, safe under threads.

    >>> counter = CallCounter(20.0, 1.0)
    >>> counter.acquire(2), counter.level > 0
    (0.0, True)
    >>> counter.release(2)
    """

    def __init__(self, maximum: float, decay_per_second: float, clock: Callable[[], float] = time.monotonic, *, margin_seconds: float = MARGIN_SECONDS) -> None:
        self.model = CounterModel(maximum, decay_per_second, margin_seconds=margin_seconds)
        self.clock = clock
        self._lock = threading.Lock()
        self._state = CounterState(at=clock())

    maximum = property(lambda self: self.model.maximum)
    decay_per_second = property(lambda self: self.model.decay_per_second)
    headroom = property(lambda self: self.model.headroom)

    def __repr__(self) -> str:
        return f"CallCounter(maximum={self.maximum}, decay_per_second={self.decay_per_second})"

    def acquire(self, cost: float) -> float:
        """Book ``cost`` as in flight (0.0), or return the seconds to wait before asking again."""
        with self._lock:
            self.model.expire(self._state, self.clock())
            return self.model.acquire(self._state, cost, self.clock())

    def release(self, cost: float) -> None:
        """The call booked with :meth:`acquire` has its answer (or failed)."""
        with self._lock:
            self.model.release(self._state, cost, self.clock())

    def saturate(self) -> None:
        """Kraken said the limit is exceeded: wait for the full decay from now on."""
        with self._lock:
            self.model.saturate(self._state, self.clock())

    @property
    def level(self) -> float:
        """The most Kraken's counter can be now (decayed level plus calls in flight)."""
        with self._lock:
            return self.model.level(self._state, self.clock())


_lock = threading.Lock()
_counters: dict[tuple[str, str], CallCounter] = {}


def counter_for(kind: str, key: str, tier: str = "starter") -> CallCounter:
    """The process-wide counter of one API key (``kind`` is ``spot`` or ``futures``), sized by the first tier asked."""
    with _lock:
        counter = _counters.get((kind, key))
        if counter is None:
            maximum, decay = FUTURES_BUDGET if kind == "futures" else SPOT_TIERS.get(tier, SPOT_TIERS["starter"])
            counter = _counters[(kind, key)] = CallCounter(maximum, decay)
        return counter


__all__ = [
    "CallCounter",
    "CounterModel",
    "CounterState",
    "counter_for",
    "spot_cost",
    "futures_cost",
    "SPOT_TIERS",
    "SPOT_COSTS",
    "FUTURES_BUDGET",
    "FUTURES_COSTS",
    "MARGIN_SECONDS",
]
