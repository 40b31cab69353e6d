"""The shared context of one running exchange (Spot side and Futures side).

``ctx`` is created by :func:`kraken_ops.exchange.server.create_app` and handed to
``kraken_ops.exchange.futures.setup(app, ctx)``. Attributes (contract with the Futures
side; names are stable):

- ``ctx.db``: the :class:`~kraken_ops.exchange.state.State` (``ctx.db.conn`` is a
  sqlite3 connection usable from the event loop thread; ``ctx.db.execute(sql, params)``
  and ``ctx.db.query(sql, params)`` are helpers).
- ``ctx.clock()``: seconds since the epoch (float), injectable; tests move it with
  ``ctx.clock.advance(seconds)``.
- ``ctx.rng``: ``random.Random(seed)``, for market data only; ``ctx.seed``.
- ``ctx.faults``: dict with ``ws_drop`` (int|None), ``latency_ms`` (int|None),
  ``http_502`` (float|None), ``bad_checksum`` (float|None).
- ``ctx.status``: ``online|maintenance|cancel_only|post_only``.
- ``ctx.state_dir``: the state directory (Path).
- ``ctx.account_by_futures_key(key) -> Account|None`` (also ``account_by_spot_key``,
  ``account_by_name``). ``Account`` is :class:`kraken_ops.exchange.state.Account`
  (name, spot_key, spot_secret, futures_key, futures_secret, permissions: set[str],
  tier: str, nonce_window: int).
- ``ctx.check_and_store_nonce(key, nonce, window) -> bool``: strictly increasing per key,
  tolerating up to ``window`` below the highest seen nonce (never a repeat).
- ``ctx.index_price(base) -> Decimal``: current mid of the spot market base/USD
  (``"XBT"``, ``"BTC"``, ``"ETH"``, ``"SOL"``, ``"DOT"``).
- ``ctx.wallet_transfer_to_futures(account_name, asset, amount)``: called by the Spot
  ``WalletTransfer``; forwards to ``ctx.on_futures_credit(account_name, asset, amount)``
  when the Futures side has registered it (otherwise the amount is recorded in the
  ``balances`` table under wallet ``futures``).

Retention: ``ctx.retention_days`` (``serve --retention-days``, default 7; 0 keeps everything),
``ctx.max_public_rows`` (``serve --max-public-rows``, default 400,000; 0: no cap),
``ctx.pruners`` (each side appends ``fn(cutoff_seconds | None, max_rows | None) -> {table: rows
deleted}``) and ``ctx.prune_public_data()``, run by the server every ``ctx.prune_interval``
seconds of ``ctx.clock``.

Bugs: ``ctx.internal_error(where)`` (call it in an ``except`` block) logs the traceback and counts
it in ``ctx.internal_error_count`` / ``ctx.internal_errors``; the request is answered with a
Kraken error envelope, never an HTTP 500.

One server per state directory: ``ctx.state_lock`` is the
:class:`~kraken_ops.exchange.lock.StateLock` the server holds while it serves.

Extra attributes (Spot side, also usable by Futures): ``ctx.inflight`` and
``ctx.max_inflight_per_key`` (concurrent Spot private requests per key), ``ctx.markets``
(:class:`~kraken_ops.exchange.markets.Markets`), ``ctx.engine``
(:class:`~kraken_ops.exchange.engine.Engine`), ``ctx.tasks`` (background asyncio tasks
cancelled on shutdown), ``ctx.on_shutdown`` (list of callables).
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from kraken_ops.exchange.state import Account, State

STATUSES = ("online", "maintenance", "cancel_only", "post_only")

#: Spot private requests one API key may have in flight at once; one more is answered
#: ``EService:Throttled: <unix ts>`` (kraken-protocol.md §1.7: "too many concurrent
#: requests"). Kraken does not publish its number. Per context: ``ctx.max_inflight_per_key``.
MAX_INFLIGHT_PER_KEY = 10

#: days of public market data the state database keeps (``exchange serve --retention-days``)
DEFAULT_RETENTION_DAYS = 7.0
#: at most this many rows of public market data (``exchange serve --max-public-rows``): an idle
#: market writes 1.76 a second (Futures background trades, ~130 bytes each with its index entry),
#: so the cap is reached after ~2.6 days, at ~52 MB (docs/exchange.md, "State growth")
DEFAULT_MAX_PUBLIC_ROWS = 400_000
#: seconds of the exchange clock between two pruning passes
PRUNE_INTERVAL = 600.0


class Clock:
    """Wall clock with an adjustable offset, so tests can jump forward."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def default_faults() -> dict[str, Any]:
    return {"ws_drop": None, "latency_ms": None, "http_502": None, "bad_checksum": None}


class Context:
    """Everything both halves of the exchange share."""

    def __init__(
        self,
        db: State,
        *,
        seed: int = 0,
        status: str = "online",
        faults: dict[str, Any] | None = None,
        clock: Callable[[], float] | None = None,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        max_public_rows: int = DEFAULT_MAX_PUBLIC_ROWS,
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if retention_days < 0:
            raise ValueError("retention_days must be >= 0 (0 keeps public market data forever)")
        if max_public_rows < 0:
            raise ValueError("max_public_rows must be >= 0 (0: no cap)")
        self.db = db
        self.state_dir: Path = db.state_dir
        self.seed = seed
        self.rng = random.Random(seed)
        self.fault_rng = random.Random(seed + 1)
        self.status = status
        self.faults = default_faults()
        self.faults.update(faults or {})
        self.clock = clock or Clock()
        self.markets: Any = None
        self.engine: Any = None
        self.tasks: list[Any] = []
        self.on_shutdown: list[Callable[[], Any]] = []
        self.on_futures_credit: Callable[[str, str, Decimal], Any] | None = None
        #: public market data (executions, anonymous order events) older than this many days is
        #: pruned from the state database every ``prune_interval`` seconds of ``clock``; 0 = never.
        #: Users' own accounts, balances, orders, trades, ledgers and history are never pruned.
        self.retention_days = float(retention_days)
        #: ... and at most this many rows of it are kept (the oldest go first); 0 = no cap
        self.max_public_rows = int(max_public_rows)
        self.prune_interval = PRUNE_INTERVAL
        #: ``fn(cutoff_seconds | None, max_rows | None) -> {table: rows deleted}``, registered by
        #: each side (Futures: fut_events)
        self.pruners: list[Callable[[float | None, int | None], dict[str, int]]] = []
        self._recent_nonces: dict[str, deque[int]] = {}
        #: Spot private requests in flight per API key, and the most allowed at once
        self.inflight: dict[str, int] = {}
        self.max_inflight_per_key = MAX_INFLIGHT_PER_KEY
        #: the state directory's :class:`~kraken_ops.exchange.lock.StateLock` while serving
        self.state_lock: Any = None
        #: requests that failed inside the exchange (a bug: every bad input has a Kraken error);
        #: answered with ``EGeneral:Internal error`` / ``Server Error`` instead of an HTTP 500
        self.internal_error_count = 0
        self.internal_errors: deque[str] = deque(maxlen=50)

    # -- bugs ------------------------------------------------------------------
    def internal_error(self, where: str) -> None:
        """Record the exception being handled: the traceback goes to the server log, ``where``
        and the exception to ``internal_errors``. Call from an ``except`` block."""
        import sys

        exc = sys.exc_info()[1]
        self.internal_error_count += 1
        self.internal_errors.append(f"{where}: {exc!r}")
        logging.getLogger("kraken_ops.exchange").exception("internal error in %s", where)

    # -- retention ---------------------------------------------------------
    def prune_public_data(self, now: float | None = None) -> dict[str, int]:
        """Delete public market data older than ``retention_days`` and the oldest beyond
        ``max_public_rows``; returns rows deleted per table ({} when both are off)."""
        if self.retention_days <= 0 and self.max_public_rows <= 0:
            return {}
        cutoff = None
        if self.retention_days > 0:
            cutoff = (self.clock() if now is None else now) - self.retention_days * 86400
        cap = self.max_public_rows if self.max_public_rows > 0 else None
        out: dict[str, int] = {}
        for fn in list(self.pruners):
            for table, n in fn(cutoff, cap).items():
                out[table] = out.get(table, 0) + n
        return out

    # -- accounts ----------------------------------------------------------
    def account_by_futures_key(self, key: str) -> Account | None:
        return self.db.account_by_futures_key(key)

    def account_by_spot_key(self, key: str) -> Account | None:
        return self.db.account_by_spot_key(key)

    def account_by_name(self, name: str) -> Account | None:
        return self.db.account(name)

    # -- nonces ----------------------------------------------------------------
    def check_and_store_nonce(self, key: str, nonce: int, window: int) -> bool:
        """Accept ``nonce`` if above the last one, or within ``window`` below it and unseen."""
        if nonce < 0 or nonce >= 2**64:
            return False
        last = self.db.last_nonce(key)
        recent = self._recent_nonces.setdefault(key, deque(maxlen=256))
        if last is None or nonce > last:
            self.db.store_nonce(key, nonce)
            recent.append(nonce)
            return True
        if window > 0 and last - nonce <= window and nonce not in recent:
            recent.append(nonce)
            return True
        return False

    # -- prices ------------------------------------------------------------------
    def index_price(self, base: str) -> Decimal:
        return self.markets.index_price(base)

    # -- wallets ---------------------------------------------------------------
    def wallet_transfer_to_futures(self, account_name: str, asset: str, amount: Decimal) -> None:
        if self.on_futures_credit is not None:
            self.on_futures_credit(account_name, asset, amount)
        else:
            self.db.credit(account_name, asset, amount, type="transfer", subtype="spottofutures",
                           refid="futures", wallet="futures", now=self.clock())
