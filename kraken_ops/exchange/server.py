"""The aiohttp shell of the local exchange.

``create_app(ctx)`` builds the application (Spot REST, Spot WS v2, the Futures side
when ``kraken_ops.exchange.futures`` is importable, fault injection); ``run(...)``
serves it, prints ``listening on http://HOST:PORT`` to stderr and records the URL in
``STATE_DIR/server.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from kraken_ops.exchange.context import DEFAULT_RETENTION_DAYS, STATUSES, Context
from kraken_ops.exchange.engine import Engine
from kraken_ops.exchange.markets import Markets
from kraken_ops.exchange.prices import PriceFeed, make_feed
from kraken_ops.exchange.simulation import Simulation
from kraken_ops.exchange.state import State

CTX_KEY: web.AppKey[Any] = web.AppKey("ctx", object)

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


def parse_faults(items: list[str] | None) -> dict[str, Any]:
    """``["latency=50", "http-502=0.1", "ws-drop=20", "bad-checksum=0.2"]`` -> ctx.faults."""
    out: dict[str, Any] = {"ws_drop": None, "latency_ms": None, "http_502": None, "bad_checksum": None}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep:
            raise ValueError(f"fault {item!r} needs a value (NAME=VALUE)")
        try:
            if name == "ws-drop":
                out["ws_drop"] = int(value)
                if out["ws_drop"] < 1:
                    raise ValueError
            elif name == "latency":
                out["latency_ms"] = int(value)
                if out["latency_ms"] < 0:
                    raise ValueError
            elif name in ("http-502", "bad-checksum"):
                rate = float(value)
                if not 0 <= rate <= 1:
                    raise ValueError
                out["http_502" if name == "http-502" else "bad_checksum"] = rate
            else:
                raise KeyError(name)
        except KeyError:
            raise ValueError(f"unknown fault {name!r} (known: ws-drop, latency, http-502, bad-checksum)") from None
        except ValueError:
            raise ValueError(f"bad value for fault {name!r}: {value!r}") from None
    return out


def make_context(state_dir: str | os.PathLike[str] | None = None, *, seed: int = 0, fresh: bool = False,
                 status: str = "online", faults: dict[str, Any] | None = None,
                 clock: Callable[[], float] | None = None, prices: str | PriceFeed | None = None,
                 prices_url: str | None = None, retention_days: float = DEFAULT_RETENTION_DAYS) -> Context:
    """The exchange's context. ``prices``: ``synthetic`` (default), ``live``, ``replay:FILE``
    or a :class:`~kraken_ops.exchange.prices.PriceFeed`; the feed starts with the server.
    ``retention_days``: days of public market data kept in the state database (0: forever)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r} (use one of {', '.join(STATUSES)})")
    feed = make_feed(prices, prices_url)
    db = State(state_dir, fresh=fresh)
    ctx = Context(db, seed=seed, status=status, faults=faults, clock=clock, retention_days=retention_days)
    ctx.markets = Markets(ctx.rng, ctx.clock())
    ctx.engine = Engine(db, ctx.markets, ctx.clock, ctx)
    ctx.simulation = Simulation(ctx, feed=feed)
    # a few steps so that books and trades exist before the first request
    for _ in range(3):
        ctx.simulation.step()
    return ctx


@web.middleware
async def _faults_middleware(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    ctx: Context = request.app[CTX_KEY]
    faults = ctx.faults
    if faults.get("latency_ms"):
        ms = faults["latency_ms"] * ctx.fault_rng.uniform(0.5, 1.5)
        await asyncio.sleep(ms / 1000)
    is_ws = request.headers.get("Upgrade", "").lower() == "websocket"
    if faults.get("http_502") and not is_ws and ctx.fault_rng.random() < faults["http_502"]:
        return web.Response(status=502, text=BAD_GATEWAY_HTML, content_type="text/html")
    return await handler(request)


@web.middleware
async def _inflight_middleware(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    """``EService:Throttled: <ts>`` past ``ctx.max_inflight_per_key`` Spot private requests in
    flight on one ``API-Key`` (outermost middleware, so injected latency counts as in flight)."""
    key = request.headers.get("API-Key", "")
    if not key or not request.path.startswith("/0/private/"):
        return await handler(request)
    ctx: Context = request.app[CTX_KEY]
    inflight = ctx.inflight
    limit = ctx.max_inflight_per_key
    if inflight.get(key, 0) >= limit:
        from kraken_ops.exchange.rest_spot import err

        return err(f"EService:Throttled: {int(ctx.clock()) + 1}")
    inflight[key] = inflight.get(key, 0) + 1
    try:
        return await handler(request)
    finally:
        left = inflight[key] - 1
        if left:
            inflight[key] = left
        else:
            del inflight[key]


async def _prune_periodically(ctx: Context, poll: float = 1.0) -> None:
    """Prune public market data at start and then every ``ctx.prune_interval`` seconds of the
    exchange clock (polled each second, so a test's ``ctx.clock.advance`` is noticed at once)."""
    import logging

    due = 0.0
    while True:
        now = ctx.clock()
        if now >= due:
            due = now + ctx.prune_interval
            try:
                ctx.prune_public_data(now)
            except Exception:  # keep serving; the next pass retries
                logging.getLogger(__name__).exception("pruning public market data failed")
        await asyncio.sleep(poll)


def create_app(ctx: Context) -> web.Application:
    """The aiohttp application serving ``ctx``."""
    from kraken_ops.exchange import rest_spot, ws_level3, ws_spot

    app = web.Application(middlewares=[_inflight_middleware, _faults_middleware])
    app[CTX_KEY] = ctx
    rest_spot.setup(app, ctx)
    ws_spot.setup(app, ctx)
    ws_level3.setup(app, ctx)
    try:
        from kraken_ops.exchange import futures  # type: ignore[attr-defined]
    except ImportError:
        futures = None
    if futures is not None and hasattr(futures, "setup"):
        futures.setup(app, ctx)

    async def _start(app: web.Application) -> None:
        # before the site listens: an unreachable live feed fails the start (PriceFeedError)
        await ctx.simulation.feed.start()
        ctx.on_shutdown.append(ctx.simulation.feed.stop)
        ctx.tasks.append(asyncio.ensure_future(ctx.simulation.run()))
        ctx.tasks.append(asyncio.ensure_future(_prune_periodically(ctx)))

    async def _stop(app: web.Application) -> None:
        for fn in ctx.on_shutdown:
            try:
                res = fn()
                if asyncio.iscoroutine(res):
                    await res
            except Exception:
                pass
        for t in ctx.tasks:
            t.cancel()
        for t in ctx.tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass

    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)
    return app


def write_server_json(state_dir: Path, url: str) -> None:
    path = Path(state_dir) / "server.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    tmp.replace(path)


async def start(ctx: Context, host: str = "127.0.0.1", port: int = 8787) -> tuple[web.AppRunner, str]:
    """Start serving ``ctx``; returns the runner and the URL (real port when port=0)."""
    app = create_app(ctx)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    server = site._server  # noqa: SLF001 - aiohttp exposes bound sockets only here
    bound = port
    if server is not None and getattr(server, "sockets", None):
        bound = server.sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}"
    write_server_json(ctx.state_dir, url)
    return runner, url


def run(host: str = "127.0.0.1", port: int = 8787, state_dir: str | os.PathLike[str] | None = None, seed: int = 0,
        fresh: bool = False, status: str = "online", faults: list[str] | dict[str, Any] | None = None,
        prices: str | PriceFeed | None = None, prices_url: str | None = None,
        retention_days: float = DEFAULT_RETENTION_DAYS) -> None:
    """Serve until interrupted (``kraken-ops exchange serve``).

    Nonce windows are per account (``exchange account add --nonce-window N``), as at Kraken
    where the window is a setting of each API key; there is no server-wide default.
    ``prices`` picks the market maker's price source (see :mod:`kraken_ops.exchange.prices`);
    a live feed that cannot be reached raises ``PriceFeedError`` before anything listens.
    """
    fault_dict = faults if isinstance(faults, dict) else parse_faults(faults)
    ctx = make_context(state_dir, seed=seed, fresh=fresh, status=status, faults=fault_dict, prices=prices,
                       retention_days=retention_days,
                       prices_url=prices_url)

    async def main() -> None:
        runner, url = await start(ctx, host, port)
        print(f"listening on {url}", file=sys.stderr, flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
