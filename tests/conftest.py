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

import itertools
import tempfile
from typing import Any, Iterator

import pytest
from exchange_server import ExchangeServer  # tests/exchange_server.py (pytest puts tests/ on sys.path)

__all__ = ["ExchangeServer"]  # also imported from here: `from tests.conftest import ExchangeServer`

_names = itertools.count(1)


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
