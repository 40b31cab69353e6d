"""The Futures side of the local Kraken-compatible exchange.

``setup(app, ctx)`` (called by :func:`kraken_ops.exchange.server.create_app`) adds:

* ``/derivatives/api/v3/*`` and ``/derivatives/api/v4/historicalfundingrates`` (:mod:`.rest`),
* ``/api/history/v2/*`` and ``/api/charts/v1/*`` (:mod:`.history`),
* the Futures WebSocket ``/ws/v1`` (:mod:`.ws`),

and a background task that advances the price process once a second
(``ctx.futures_tick_interval`` overrides the period). See ``docs/exchange-futures.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import Any

from aiohttp import web

from kraken_ops.exchange.futures.engine import FuturesEngine
from kraken_ops.exchange.futures.history import FuturesHistory
from kraken_ops.exchange.futures.rest import FuturesRest, Gate
from kraken_ops.exchange.futures.ws import FuturesWS

ENGINE_KEY: web.AppKey[FuturesEngine] = web.AppKey("futures_engine", FuturesEngine)
WS_KEY: web.AppKey[FuturesWS] = web.AppKey("futures_ws", FuturesWS)
TASK_KEY: web.AppKey[asyncio.Task] = web.AppKey("futures_task", asyncio.Task)

__all__ = ["setup", "ENGINE_KEY", "WS_KEY", "FuturesEngine"]


def _absorb_pending_credits(ctx: Any, engine: FuturesEngine) -> None:
    """Move transfers the Spot side parked under wallet ``futures`` into the flex wallet."""
    try:
        rows = ctx.db.query("SELECT account, asset, amount FROM balances WHERE wallet='futures'")
    except Exception:
        return
    for r in rows:
        amount = Decimal(r["amount"])
        if amount > 0:
            engine.deposit_from_spot(r["account"], r["asset"], amount)
        ctx.db.execute("DELETE FROM balances WHERE account=? AND wallet='futures' AND asset=?",
                       (r["account"], r["asset"]))


def setup(app: web.Application, ctx: Any) -> FuturesEngine:
    """Register the Futures routes and background tasks on ``app``; returns the engine."""
    engine = FuturesEngine(ctx)
    gate = Gate(ctx)
    FuturesRest(ctx, engine, gate).routes(app)
    FuturesHistory(ctx, engine, gate).routes(app)
    hub = FuturesWS(ctx, engine)
    app.router.add_get("/ws/v1", hub.handle)
    app[ENGINE_KEY] = engine
    app[WS_KEY] = hub
    ctx.on_futures_credit = engine.deposit_from_spot
    ctx.futures_engine = engine
    pruners = getattr(ctx, "pruners", None)
    if isinstance(pruners, list):  # public market history older than ctx.retention_days goes
        pruners.append(engine.prune_public)
    _absorb_pending_credits(ctx, engine)
    interval = float(getattr(ctx, "futures_tick_interval", 1.0) or 1.0)

    async def ticker() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                engine.tick()
            except Exception:  # keep the market alive; a failed step is retried next second
                import logging
                logging.getLogger(__name__).exception("futures tick failed")

    async def start(_app: web.Application) -> None:
        _app[TASK_KEY] = asyncio.create_task(ticker())

    async def stop(_app: web.Application) -> None:
        task = _app.get(TASK_KEY)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for _acct, (_t, handle) in list(engine.dms.items()):
            if handle is not None:
                handle.cancel()

    async def shutdown(_app: web.Application) -> None:
        await hub.close_all()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.on_shutdown.append(shutdown)
    return engine
