"""Fixtures: a real aiohttp server on an ephemeral loopback port serving only the Futures side.

It is built with ``kraken_ops.exchange.futures.setup(app, ctx)`` on the shared
:class:`~kraken_ops.exchange.context.Context` (with no Spot markets attached, so the Futures
index falls back to its own seeded walk), so these tests do not depend on the Spot server.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from kraken_ops.exchange.context import Context
from kraken_ops.exchange.futures import ENGINE_KEY, FuturesEngine, setup
from kraken_ops.exchange.state import State

from .helpers import WS, FuturesAPI

_names = itertools.count()


@dataclass
class FuturesServer:
    url: str
    ws_url: str
    ctx: Context
    engine: FuturesEngine
    session: aiohttp.ClientSession

    def add_account(self, fund: dict[str, Any] | None = None, permissions: list[str] | None = None,
                    nonce_window: int = 0, parent: str | None = None) -> FuturesAPI:
        name = f"acct{next(_names)}"
        acct = self.ctx.db.add_account(name, permissions=permissions, nonce_window=nonce_window, parent=parent)
        for asset, amount in (fund or {}).items():
            wallet, _, a = asset.rpartition(":")
            self.engine.credit(name, wallet or "flex", a, Decimal(str(amount)), info="admin transfer")
        api = FuturesAPI(self.session, self.url, acct.futures_key, acct.futures_secret)
        api.name = name  # type: ignore[attr-defined]
        return api

    def public(self) -> FuturesAPI:
        return FuturesAPI(self.session, self.url)

    async def ws(self) -> WS:
        w = WS(await self.session.ws_connect(self.ws_url))
        info = await w.recv()
        assert info == {"event": "info", "version": 1}
        return w


async def _start(tmp_path: Any, **ctx_attrs: Any) -> tuple[web.AppRunner, FuturesServer]:
    state = State(tmp_path, fresh=True)
    ctx = Context(state, seed=42)
    ctx.futures_tick_interval = ctx_attrs.pop("tick", 3600.0)  # tests drive ticks by hand
    ctx.futures_heartbeat_interval = ctx_attrs.pop("heartbeat", 0.2)
    for k, v in ctx_attrs.items():
        setattr(ctx, k, v)
    app = web.Application()
    engine = setup(app, ctx)
    assert app[ENGINE_KEY] is engine
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    session = aiohttp.ClientSession()
    return runner, FuturesServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws/v1", ctx, engine, session)


@pytest_asyncio.fixture(loop_scope="function")
async def fx(tmp_path: Any) -> AsyncIterator[FuturesServer]:
    runner, server = await _start(tmp_path)
    yield server
    await server.session.close()
    await runner.cleanup()
    server.ctx.db.close()


@pytest_asyncio.fixture(loop_scope="function")
async def fx_factory(tmp_path: Any) -> AsyncIterator[Any]:
    started: list[tuple[web.AppRunner, FuturesServer]] = []

    async def make(**attrs: Any) -> FuturesServer:
        sub = tmp_path / f"s{len(started)}"
        sub.mkdir()
        pair = await _start(sub, **attrs)
        started.append(pair)
        return pair[1]

    yield make
    for runner, server in started:
        await server.session.close()
        await runner.cleanup()
        server.ctx.db.close()

