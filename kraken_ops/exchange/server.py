"""The aiohttp shell of the local exchange.

``create_app(ctx)`` builds the application (Spot REST, Spot WS v2, the Futures side
when ``kraken_ops.exchange.futures`` is importable, fault injection); ``run(...)``
serves it, prints ``listening on http://HOST:PORT`` to stderr and records the URL in
``STATE_DIR/server.json``.

One exchange per state directory: ``run`` and ``start`` hold the lock of
:mod:`kraken_ops.exchange.lock` while serving, and a second server on the same directory
raises :class:`~kraken_ops.exchange.lock.StateLocked` (naming the first one's URL and PID)
before it opens the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from kraken_ops.exchange.context import DEFAULT_MAX_PUBLIC_ROWS, DEFAULT_RETENTION_DAYS, STATUSES, Context
from kraken_ops.exchange.engine import Engine
from kraken_ops.exchange.lock import StateLock
from kraken_ops.exchange.markets import Markets
from kraken_ops.exchange.prices import PriceFeed, make_feed
from kraken_ops.exchange.simulation import Simulation
from kraken_ops.exchange.state import State

CTX_KEY: web.AppKey[Any] = web.AppKey("ctx", object)

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


FAULT_NAMES = "ws-drop, latency, http-502, bad-checksum, lost-response, slow-response"


def parse_faults(items: list[str] | None) -> dict[str, Any]:
    """``["latency=50", "http-502=0.1", "ws-drop=20", "bad-checksum=0.2", "lost-response=0.3",
    "slow-response=2000"]`` -> ctx.faults.

    ``lost-response=RATE``: that share of REST requests is handled and committed, then the
    connection is dropped without an answer (an order is placed, its answer is lost).
    ``slow-response=MS``: every REST answer is held back MS milliseconds after handling
    (a client with a shorter timeout gives up on a request that did take effect).
    """
    out: dict[str, Any] = {"ws_drop": None, "latency_ms": None, "http_502": None, "bad_checksum": None,
                           "lost_response": None, "slow_response_ms": None}
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
            elif name in ("latency", "slow-response"):
                ms = int(value)
                if ms < 0:
                    raise ValueError
                out["latency_ms" if name == "latency" else "slow_response_ms"] = ms
            elif name in ("http-502", "bad-checksum", "lost-response"):
                rate = float(value)
                if not 0 <= rate <= 1:
                    raise ValueError
                out[{"http-502": "http_502", "bad-checksum": "bad_checksum", "lost-response": "lost_response"}[name]] = rate
            else:
                raise KeyError(name)
        except KeyError:
            raise ValueError(f"unknown fault {name!r} (known: {FAULT_NAMES})") from None
        except ValueError:
            raise ValueError(f"bad value for fault {name!r}: {value!r}") from None
    return out


def make_context(state_dir: str | os.PathLike[str] | None = None, *, seed: int = 0, fresh: bool = False,
                 status: str = "online", faults: dict[str, Any] | None = None,
                 clock: Callable[[], float] | None = None, prices: str | PriceFeed | None = None,
                 prices_url: str | None = None, retention_days: float = DEFAULT_RETENTION_DAYS,
                 max_public_rows: int = DEFAULT_MAX_PUBLIC_ROWS) -> Context:
    """The exchange's context. ``prices``: ``synthetic`` (default), ``live``, ``replay:FILE``
    or a :class:`~kraken_ops.exchange.prices.PriceFeed`; the feed starts with the server.
    ``retention_days``: days of public market data kept in the state database (0: forever);
    ``max_public_rows``: rows of it kept at most (0: no cap)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r} (use one of {', '.join(STATUSES)})")
    feed = make_feed(prices, prices_url)
    db = State(state_dir, fresh=fresh)
    ctx = Context(db, seed=seed, status=status, faults=faults, clock=clock, retention_days=retention_days,
                  max_public_rows=max_public_rows)
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
    if is_ws or not (faults.get("lost_response") or faults.get("slow_response_ms")):
        return await handler(request)
    try:
        response = await handler(request)  # handled and committed
    except web.HTTPException as exc:  # aiohttp's own answers (404, 405) are answers too
        response = exc
    if faults.get("slow_response_ms"):
        await asyncio.sleep(faults["slow_response_ms"] / 1000)
    if faults.get("lost_response") and ctx.fault_rng.random() < faults["lost_response"]:
        raise _LostResponse
    return response


class _LostResponse(Exception):
    """Drop the connection without an answer (the lost-response fault)."""


@web.middleware
async def _lost_response_middleware(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    """Outermost: close the connection on the floor when the lost-response fault fires."""
    try:
        return await handler(request)
    except _LostResponse:
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError from None


#: the answer to a request that failed inside the exchange: Kraken's own "internal error"
#: strings (Spot: kraken-protocol.md §1.6; Futures: its error enum, §3.3), never an HTTP 500
SPOT_INTERNAL_ERROR = "EGeneral:Internal error"
FUTURES_INTERNAL_ERROR = "Server Error"


@web.middleware
async def _internal_error_middleware(request: web.Request,
                                     handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    """Last line of defence: an exception escaping a handler is a bug (every bad input has its
    Kraken error at the boundary); it is logged and counted (``ctx.internal_error``) and
    answered in the Kraken envelope of the path, so that the exchange never answers 500."""
    try:
        return await handler(request)
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception:
        ctx: Context = request.app[CTX_KEY]
        ctx.internal_error(f"{request.method} {request.path}")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            raise  # a WebSocket already prepared cannot be answered here (the WS loops catch their own)
        if request.path.startswith("/0/"):
            from kraken_ops.exchange.rest_spot import err

            return err(SPOT_INTERNAL_ERROR)
        from kraken_ops.exchange.futures.util import error

        return error(ctx.clock(), FUTURES_INTERNAL_ERROR)


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

    app = web.Application(middlewares=[_lost_response_middleware, _inflight_middleware, _faults_middleware, _internal_error_middleware])
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
    """Start serving ``ctx``; returns the runner and the URL (real port when port=0).

    Takes the state directory's lock unless ``ctx.state_lock`` already holds it (``run``
    takes it before the database is opened); raises ``StateLocked`` when another server
    holds it. A lock taken here is released when the runner is cleaned up."""
    own_lock = None
    if getattr(ctx, "state_lock", None) is None or not ctx.state_lock.held:
        own_lock = ctx.state_lock = StateLock.acquire(ctx.state_dir)
    app = create_app(ctx)
    if own_lock is not None:
        async def _release(_app: web.Application) -> None:
            own_lock.release()

        app.on_cleanup.append(_release)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
    except BaseException:
        await runner.cleanup()
        if own_lock is not None:
            own_lock.release()
        raise
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
        retention_days: float = DEFAULT_RETENTION_DAYS, max_public_rows: int = DEFAULT_MAX_PUBLIC_ROWS) -> None:
    """Serve until interrupted (``kraken-ops exchange serve``).

    Nonce windows are per account (``exchange account add --nonce-window N``), as at Kraken
    where the window is a setting of each API key; there is no server-wide default.
    ``prices`` picks the market maker's price source (see :mod:`kraken_ops.exchange.prices`);
    a live feed that cannot be reached raises ``PriceFeedError`` before anything listens.
    """
    fault_dict = faults if isinstance(faults, dict) else parse_faults(faults)
    from kraken_ops.exchange.state import default_state_dir

    # the lock first: a second server must not even open (or, with --fresh, delete) the database
    lock = StateLock.acquire(state_dir if state_dir else default_state_dir())
    try:
        ctx = make_context(state_dir, seed=seed, fresh=fresh, status=status, faults=fault_dict, prices=prices,
                           retention_days=retention_days, max_public_rows=max_public_rows,
                           prices_url=prices_url)
        ctx.state_lock = lock

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
    finally:
        lock.release()
