"""Shared fixtures: the local Kraken-compatible exchange on an ephemeral loopback port.

``exchange`` (session scope)
    A running exchange (background thread, port 0, temporary ``--state`` dir, seed 7).
    Attributes:

    - ``url``: ``"http://127.0.0.1:PORT"`` (Spot and Futures REST base URL)
    - ``state_dir``: the ``--state`` directory (``pathlib.Path``)
    - ``ws_spot_public``: ``"ws://127.0.0.1:PORT/ws/v2"``
    - ``ws_spot_private``: ``"ws://127.0.0.1:PORT/ws-auth/v2"``
    - ``ws_futures``: ``"ws://127.0.0.1:PORT/ws/v1"``
    - ``ctx``: the server's :class:`kraken_ops.exchange.context.Context` (e.g.
      ``exchange.ctx.clock.advance(60)`` to move the exchange's clock forward)
    - ``add_account(name, fund: dict[str, str] | None = None, permissions=None, tier="pro",
      nonce_window=0) -> Account`` — creates the account through the state database (as
      ``kraken-ops exchange account add`` does) and funds it (asset names as Kraken ids or
      altnames: ``{"USD": "100000", "XBT": "2"}``). ``Account`` has ``name``, ``spot_key``,
      ``spot_secret``, ``futures_key``, ``futures_secret`` (and ``permissions``, ``tier``,
      ``nonce_window``). Names must be unique within the session: use a unique suffix.
    - ``deposit(name, asset, amount)``.

``exchange_factory(**server_options)`` (function scope)
    Starts a separate exchange with options ``seed``, ``status``
    (``online|maintenance|cancel_only|post_only``), ``faults`` (list like
    ``["latency=50", "http-502=0.5"]`` or a ctx.faults dict), ``fresh`` and ``prices``
    (``"synthetic"``, ``"replay:FILE"`` or a ``PriceFeed``; see ``kraken_ops.exchange.prices``); returns the
    same kind of object as ``exchange``. Servers are stopped at the end of the test.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

_names = itertools.count(1)


class ExchangeServer:
    """A local exchange running on its own event loop in a background thread."""

    def __init__(self, state_dir: str | Path, seed: int = 7, status: str = "online",
                 faults: list[str] | dict[str, Any] | None = None, fresh: bool = False, prices: Any = None) -> None:
        from kraken_ops.exchange.server import make_context, parse_faults, start

        self.state_dir = Path(state_dir)
        fault_dict = faults if isinstance(faults, dict) else parse_faults(faults)
        self.ctx = make_context(self.state_dir, seed=seed, status=status, faults=fault_dict, fresh=fresh, prices=prices)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="kraken-exchange", daemon=True)
        self.thread.start()
        self.runner, self.url = asyncio.run_coroutine_threadsafe(start(self.ctx, "127.0.0.1", 0), self.loop).result(30)
        ws = self.url.replace("http://", "ws://")
        self.ws_spot_public = ws + "/ws/v2"
        self.ws_spot_private = ws + "/ws-auth/v2"
        self.ws_futures = ws + "/ws/v1"
        self._lock = threading.Lock()
        self._db: Any = None

    @property
    def db(self) -> Any:
        from kraken_ops.exchange.state import State

        if self._db is None:
            self._db = State(self.state_dir)
        return self._db

    def add_account(self, name: str, fund: dict[str, str] | None = None, permissions: Any = None,
                    tier: str = "pro", nonce_window: int = 0) -> Any:
        with self._lock:
            acct = self.db.add_account(name, permissions=permissions, tier=tier, nonce_window=nonce_window)
            for asset, amount in (fund or {}).items():
                self._deposit(name, asset, amount)
        return acct

    def _deposit(self, name: str, asset: str, amount: str) -> None:
        from kraken_ops.exchange.markets import normalize_asset

        aid = normalize_asset(asset) or asset
        self.db.deposit(name, aid, Decimal(str(amount)))

    def deposit(self, name: str, asset: str, amount: str) -> None:
        with self._lock:
            self._deposit(name, asset, amount)

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` on the server's loop thread (to poke the engine safely)."""
        async def _run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(_run(), self.loop).result(30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if self._db is not None:
            self._db.close()


@pytest.fixture(scope="session")
def exchange() -> Iterator[ExchangeServer]:
    with tempfile.TemporaryDirectory(prefix="kraken-exchange-") as tmp:
        server = ExchangeServer(tmp, seed=7)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def exchange_factory() -> Iterator[Any]:
    servers: list[ExchangeServer] = []
    dirs: list[tempfile.TemporaryDirectory[str]] = []

    def factory(**options: Any) -> ExchangeServer:
        d = tempfile.TemporaryDirectory(prefix="kraken-exchange-")
        dirs.append(d)
        options.setdefault("seed", 7)
        server = ExchangeServer(d.name, **options)
        servers.append(server)
        return server

    yield factory
    for s in servers:
        s.stop()
    for d in dirs:
        d.cleanup()


@pytest.fixture
def unique_name() -> str:
    """A unique account name for this session."""
    return f"acct{next(_names)}"


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """No background exchange outlives the tests: `profile add --paper` and `setup --paper` start one
    (detached, like a user's) when nothing listens on their URL; stop every one this process started."""
    import sys

    paper = sys.modules.get("kraken_ops.profiles.paper")
    if paper is None:
        return
    for proc in list(getattr(paper, "_started", [])):
        if proc.poll() is None:
            paper.stop_exchange(proc.pid, timeout=5)
