"""The local exchange in a background thread, for tests and benchmarks (no pytest needed).

``ExchangeServer(state_dir, seed=7, ...)`` starts the exchange on an ephemeral loopback port;
see tests/conftest.py for its attributes and the ``exchange`` fixtures built on it. The
benchmarks import it from here (``sys.path`` gets ``tests/``), so they run after a plain
``pip install .`` without the test dependencies.
"""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any


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
