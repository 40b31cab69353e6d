"""Client-side rate limiting: wait instead of tripping Kraken's limits.

:class:`CallCounter` models a decaying counter (Kraken's Spot REST call counter,
kraken-protocol.md §1.7, and the Futures cost budget, §3.5). ``reserve(cost)``
books the cost at once and returns how long the caller must wait before sending,
so sync callers ``time.sleep`` and async callers ``asyncio.sleep`` on the same
object. Counters are shared per API key within the process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

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


def spot_cost(path: str) -> int:
    return SPOT_COSTS.get(path.rsplit("/", 1)[-1], 1)


def futures_cost(path: str) -> int:
    if not path.startswith("/derivatives"):
        return 0
    return FUTURES_COSTS.get(path.rstrip("/").rsplit("/", 1)[-1], 1)


@dataclass
class CallCounter:
    """A counter that rises by each call's cost and decays continuously."""

    maximum: float
    decay_per_second: float
    clock: object = time.monotonic

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._level = 0.0
        self._at = self.clock()  # type: ignore[operator]

    def reserve(self, cost: float) -> float:
        """Book ``cost`` and return the seconds to wait before the call may be sent."""
        if cost <= 0:
            return 0.0
        with self._lock:
            now = self.clock()  # type: ignore[operator]
            self._level = max(0.0, self._level - (now - self._at) * self.decay_per_second)
            self._at = now
            self._level += cost
            excess = self._level - self.maximum
            return excess / self.decay_per_second if excess > 0 else 0.0

    @property
    def level(self) -> float:
        with self._lock:
            now = self.clock()  # type: ignore[operator]
            return max(0.0, self._level - (now - self._at) * self.decay_per_second)


_lock = threading.Lock()
_counters: dict[tuple[str, str], CallCounter] = {}


def counter_for(kind: str, key: str, tier: str = "starter") -> CallCounter:
    """The process-wide counter of one API key (``kind`` is ``spot`` or ``futures``)."""
    with _lock:
        counter = _counters.get((kind, key))
        if counter is None:
            maximum, decay = FUTURES_BUDGET if kind == "futures" else SPOT_TIERS.get(tier, SPOT_TIERS["starter"])
            counter = _counters[(kind, key)] = CallCounter(maximum, decay)
        return counter
