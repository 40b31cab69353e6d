"""Spot WebSocket v2 ``level3`` channel at ``/ws-l3/v2`` (Kraken: ``wss://ws-l3.kraken.com/v2``).

Kraken serves the authenticated ``level3`` channel on its own host; the local exchange
serves it on its own path of the same port, so a REST URL ``http://HOST:PORT`` maps to
``ws://HOST:PORT/ws-l3/v2`` (as ``/ws/v2`` and ``/ws-auth/v2`` for the other channels).

What a subscriber gets (docs.kraken.com, WebSocket v2 "Orders (Level 3)" and "L3
checksum"): an ack per symbol, a snapshot of every resting order of the top ``depth``
price levels (10, 100 or 1000) in queue order, then updates whose orders carry an
``event`` (``add``, ``modify``, ``delete``), each message with the level3 checksum of the
top 10 levels. Orders come from the engine's real book (:mod:`kraken_ops.exchange.books`).
The connection also answers ``ping`` and sends a heartbeat each second while subscribed.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from kraken_ops.exchange import books
from kraken_ops.exchange.markets import Pair, find_pair
from kraken_ops.exchange.ws_spot import TOKEN_TTL, Conn, Drop, now_iso

PUBLISH_INTERVAL = 0.1
HEARTBEAT_INTERVAL = 1.0
PATH = "/ws-l3/v2"


def _checksum(ctx: Any, pair: Pair, bids: Any, asks: Any) -> int:
    value = books.level3_checksum(pair, asks, bids)
    rate = ctx.faults.get("bad_checksum")
    if rate and ctx.fault_rng.random() < rate:
        value = (value + 1) & 0xFFFFFFFF
    return value


def _side_items(levels: list[tuple[Decimal, list[books.L3Order]]]) -> list[dict[str, Any]]:
    return [books.level3_item(o) for _, orders in levels for o in orders]


def setup(app: web.Application, ctx: Any) -> None:
    if not hasattr(ctx, "ws_tokens"):
        ctx.ws_tokens = {}

    def check_token(conn: Conn, params: dict[str, Any]) -> str:
        """'' when the request's token is good (the connection is then the account's), else the error."""
        token = params.get("token")
        if not token or not isinstance(token, str):  # junk (a list, an object) is no token, as on /ws-auth/v2
            return "EGeneral:Invalid arguments:token"
        entry = ctx.ws_tokens.get(token)
        if entry is None:
            return "EAPI:Invalid token"
        name, created = entry
        if created is not None and ctx.clock() - created > TOKEN_TTL:
            ctx.ws_tokens.pop(token, None)
            return "EAPI:Invalid token"
        acct = ctx.account_by_name(name)
        if acct is None:
            return "EAPI:Invalid key"
        if "websocket" not in acct.permissions:
            return "EGeneral:Permission denied"
        ctx.ws_tokens[token] = (name, None)  # used: valid while the connection lives
        conn.account = name
        return ""

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = Conn(ctx, ws, True)
        publisher: asyncio.Task[Any] | None = None
        try:
            await conn.send({"channel": "status", "type": "update", "data": [{
                "api_version": "v2", "connection_id": ctx.rng.getrandbits(63), "system": ctx.status,
                "version": "2.0.0"}]})
            publisher = asyncio.ensure_future(publish(conn))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                time_in = now_iso(ctx.clock())
                try:
                    req = json.loads(msg.data, parse_float=Decimal)
                    if not isinstance(req, dict):
                        raise ValueError
                except ValueError:
                    await conn.send({"error": "Malformed request", "method": None, "success": False,
                                     "time_in": time_in, "time_out": now_iso(ctx.clock())})
                    continue
                await dispatch(conn, req, time_in)
        except (Drop, ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            if publisher is not None:
                publisher.cancel()
            if not ws.closed:
                await ws.close()
        return ws

    async def dispatch(conn: Conn, req: dict[str, Any], time_in: str) -> None:
        method = req.get("method")
        req_id = req.get("req_id")
        params = req.get("params") or {}
        if method == "ping":
            await conn.send(conn.ack("pong", req_id, time_in))
            return
        if method not in ("subscribe", "unsubscribe") or not isinstance(params, dict):
            await conn.send(conn.ack(str(method), req_id, time_in, error="Method not found"))
            return
        channel = params.get("channel")
        if channel != "level3":
            await conn.send(conn.ack(method, req_id, time_in, error=f"Channel {channel} not found"))
            return
        error = check_token(conn, params)
        if error:
            await conn.send(conn.ack(method, req_id, time_in, error=error))
            return
        depth = params.get("depth", 10)
        if depth not in books.LEVEL3_WS_DEPTHS:
            await conn.send(conn.ack(method, req_id, time_in, error="EGeneral:Invalid arguments:depth"))
            return
        symbols = params.get("symbol")
        if not isinstance(symbols, list) or not symbols:
            await conn.send(conn.ack(method, req_id, time_in, error="EGeneral:Invalid arguments:symbol"))
            return
        snapshot = bool(params.get("snapshot", True))
        for sym in symbols:
            pair = find_pair(str(sym))
            if pair is None:
                await conn.send(conn.ack(method, req_id, time_in, error=f"Currency pair not supported {sym}", symbol=sym))
                continue
            key = ("level3", pair.ws_symbol)
            if method == "unsubscribe":
                if conn.subs.pop(key, None) is None:
                    await conn.send(conn.ack(method, req_id, time_in, error="Subscription Not Found", symbol=sym))
                else:
                    await conn.send(conn.ack(method, req_id, time_in, {"channel": "level3", "depth": depth,
                                                                       "symbol": pair.ws_symbol}))
                continue
            await conn.send(conn.ack(method, req_id, time_in, {"channel": "level3", "depth": depth,
                                                               "snapshot": snapshot, "symbol": pair.ws_symbol}))
            sub = {"pair": pair, "depth": depth}
            book = ctx.engine.books[pair.id]
            sub["version"] = ctx.engine.book_version[pair.id]
            sub["bids"] = books.level3_levels(pair, book, "buy", depth)
            sub["asks"] = books.level3_levels(pair, book, "sell", depth)
            conn.subs[key] = sub
            if snapshot:
                await conn.send({"channel": "level3", "type": "snapshot", "data": [{
                    "symbol": pair.ws_symbol, "bids": _side_items(sub["bids"]), "asks": _side_items(sub["asks"]),
                    "checksum": _checksum(ctx, pair, sub["bids"], sub["asks"]), "timestamp": now_iso(ctx.clock())}]})

    async def publish(conn: Conn) -> None:
        loop = asyncio.get_running_loop()
        last_heartbeat = loop.time()
        try:
            while not conn.ws.closed:
                await asyncio.sleep(PUBLISH_INTERVAL)
                for sub in list(conn.subs.values()):
                    await update(conn, sub)
                if conn.subs and loop.time() - last_heartbeat >= HEARTBEAT_INTERVAL:
                    last_heartbeat = loop.time()
                    await conn.send({"channel": "heartbeat"})
        except (Drop, ConnectionResetError, RuntimeError):
            pass

    async def update(conn: Conn, sub: dict[str, Any]) -> None:
        pair: Pair = sub["pair"]
        version = ctx.engine.book_version[pair.id]
        if version == sub["version"]:
            return
        sub["version"] = version
        book = ctx.engine.books[pair.id]
        depth = sub["depth"]
        bids = books.level3_levels(pair, book, "buy", depth)
        asks = books.level3_levels(pair, book, "sell", depth)
        bid_events = books.level3_side_update(sub["bids"], bids, depth, True)
        ask_events = books.level3_side_update(sub["asks"], asks, depth, False)
        sub["bids"], sub["asks"] = bids, asks
        if not bid_events and not ask_events:
            return
        await conn.send({"channel": "level3", "type": "update", "data": [{
            "symbol": pair.ws_symbol, "bids": bid_events, "asks": ask_events,
            "checksum": _checksum(ctx, pair, bids, asks), "timestamp": now_iso(ctx.clock())}]})

    app.router.add_get(PATH, handle)
