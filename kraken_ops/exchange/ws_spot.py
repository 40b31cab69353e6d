"""Spot WebSocket v2 at ``/ws/v2`` (public) and ``/ws-auth/v2`` (private), per
kraken-protocol.md §4: status on connect, heartbeat, ping/pong, per-symbol acks,
channels ticker, book (with the CRC32 checksum of §4.6), trade, ohlc, instrument,
executions and balances, and the trading methods (sharing the engine with REST).

Numbers are sent as JSON numbers written from the Decimal's text (never via float).
"""

from __future__ import annotations

import asyncio
import json
import zlib
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from kraken_ops.exchange.engine import TRIGGERED, KrakenError, Order, parse_bool
from kraken_ops.exchange.markets import ASSETS, INTERVALS, PAIRS, Pair, find_pair

D = Decimal
DEPTHS = (10, 25, 100, 500, 1000)
PUBLIC_CHANNELS = ("ticker", "book", "trade", "ohlc", "instrument")
PRIVATE_CHANNELS = ("executions", "balances")
TRADING_METHODS = ("add_order", "amend_order", "edit_order", "cancel_order", "cancel_all",
                   "cancel_all_orders_after", "batch_add", "batch_cancel")
TOKEN_TTL = 900.0
PUBLISH_INTERVAL = 0.1
HEARTBEAT_INTERVAL = 1.0


# ------------------------------------------------------------------ JSON with exact decimals
def _num(d: Decimal) -> str:
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    return text


def dumps(obj: Any) -> str:
    """JSON text where Decimals become numbers with their exact digits."""
    if isinstance(obj, Decimal):
        return _num(obj)
    if isinstance(obj, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + dumps(v) for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in obj) + "]"
    return json.dumps(obj)


# ------------------------------------------------------------------ checksum (§4.6)
def _token(value: Decimal, decimals: int) -> str:
    return format(D(value), f".{decimals}f").replace(".", "").lstrip("0")


def book_checksum(asks: list[tuple[Decimal, Decimal]], bids: list[tuple[Decimal, Decimal]], price_decimals: int,
                  qty_decimals: int) -> int:
    """CRC32 of the top 10 asks (low to high) then top 10 bids (high to low)."""
    a = sorted(asks, key=lambda lv: lv[0])[:10]
    b = sorted(bids, key=lambda lv: lv[0], reverse=True)[:10]
    payload = "".join(_token(p, price_decimals) + _token(q, qty_decimals) for p, q in a)
    payload += "".join(_token(p, price_decimals) + _token(q, qty_decimals) for p, q in b)
    return zlib.crc32(payload.encode()) & 0xFFFFFFFF


def ws_asset(asset_id: str) -> str:
    alt = ASSETS[asset_id].altname if asset_id in ASSETS else asset_id
    return "BTC" if alt == "XBT" else alt


def now_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ------------------------------------------------------------------ connection
class Drop(Exception):
    """The ws-drop fault closed the connection."""


class Conn:
    def __init__(self, ctx: Any, ws: web.WebSocketResponse, private: bool) -> None:
        self.ctx = ctx
        self.ws = ws
        self.private = private
        self.sent = 0
        self.subs: dict[tuple[str, str], dict[str, Any]] = {}
        self.account: str | None = None
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sequence = {"executions": 0, "balances": 0}
        self.last_sent_at = 0.0
        self.lock = asyncio.Lock()

    async def send(self, msg: dict[str, Any]) -> None:
        if self.ws.closed:
            raise Drop()
        limit = self.ctx.faults.get("ws_drop")
        async with self.lock:
            if limit and self.sent >= limit:
                await self.ws.close(code=1011, message=b"fault injection: ws-drop")
                raise Drop()
            self.sent += 1
            self.last_sent_at = asyncio.get_running_loop().time()
            await self.ws.send_str(dumps(msg))

    # -- helpers -------------------------------------------------------------
    def ack(self, method: str, req_id: Any, time_in: str, result: Any = None, error: str | None = None,
            **extra: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {"method": method}
        if req_id is not None:
            msg["req_id"] = req_id
        if error is not None:
            msg["error"] = error
            msg["success"] = False
            msg.update(extra)
        else:
            if result is not None:
                msg["result"] = result
            msg["success"] = True
        msg["time_in"] = time_in
        msg["time_out"] = now_iso(self.ctx.clock())
        return msg

    def not_subscribed(self, req_id: Any, time_in: str, **extra: Any) -> dict[str, Any]:
        """Kraken's answer to unsubscribing what is not subscribed, as Kraken sends it (recorded by
        python-kraken-sdk's tests against Kraken, kraken-protocol.md §4.2): ``{"error":
        "Subscription Not Found", "method": "subscribe", "req_id": .., "success": false,
        "symbol": .., "time_in": .., "time_out": ..}`` - keys in Kraken's (alphabetical)
        order, and ``method`` is "subscribe" although the request was an unsubscribe."""
        msg: dict[str, Any] = {"error": "Subscription Not Found", "method": "subscribe"}
        if req_id is not None:
            msg["req_id"] = req_id
        msg["success"] = False
        msg.update(extra)
        msg["time_in"] = time_in
        msg["time_out"] = now_iso(self.ctx.clock())
        return msg


def _ticker_item(ctx: Any, pair: Pair) -> dict[str, Any]:
    pd = ctx.markets.data[pair.id]
    book = ctx.engine.books[pair.id]
    bid = book.levels("buy", 1) or [(pd.mid, D(0), 0)]
    ask = book.levels("sell", 1) or [(pd.mid, D(0), 0)]
    st = ctx.markets.stats(pair.id, ctx.clock())
    vol, vwap, _, low, high = st["day"]
    change = pd.last - st["open_24h"]
    pct = (change / st["open_24h"] * 100).quantize(D("0.01")) if st["open_24h"] else D(0)
    q = lambda v: D(pair.fmt_price(v))  # noqa: E731
    qv = lambda v: D(pair.fmt_vol(v))  # noqa: E731
    return {"symbol": pair.ws_symbol, "bid": q(bid[0][0]), "bid_qty": qv(bid[0][1]), "ask": q(ask[0][0]),
            "ask_qty": qv(ask[0][1]), "last": q(pd.last), "volume": qv(vol), "vwap": q(vwap), "low": q(low),
            "high": q(high), "change": q(change), "change_pct": pct, "timestamp": now_iso(ctx.clock())}


def _levels(ctx: Any, pair: Pair, depth: int) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    book = ctx.engine.books[pair.id]
    bids = {D(pair.fmt_price(p)): D(pair.fmt_vol(q)) for p, q, _ in book.levels("buy", depth)}
    asks = {D(pair.fmt_price(p)): D(pair.fmt_vol(q)) for p, q, _ in book.levels("sell", depth)}
    return bids, asks


def _checksum(ctx: Any, pair: Pair, bids: dict[Decimal, Decimal], asks: dict[Decimal, Decimal]) -> int:
    value = book_checksum(list(asks.items()), list(bids.items()), pair.pair_decimals, pair.lot_decimals)
    rate = ctx.faults.get("bad_checksum")
    if rate and ctx.fault_rng.random() < rate:
        value = (value + 1) & 0xFFFFFFFF
    return value


def _side_list(levels: dict[Decimal, Decimal], reverse: bool) -> list[dict[str, Decimal]]:
    return [{"price": p, "qty": q} for p, q in sorted(levels.items(), key=lambda kv: kv[0], reverse=reverse)]


def _side_update(old: dict[Decimal, Decimal], new: dict[Decimal, Decimal], depth: int,
                 reverse: bool) -> list[dict[str, Decimal]]:
    """One side of a book update, as Kraken sends it (kraken-protocol.md §4.6).

    ``old`` is what the subscriber holds (the previous top ``depth``), ``new`` the current
    top ``depth``. Levels that left the book are sent first with qty 0, then new and
    changed levels best first. A level that merely fell below the subscribed depth is not
    sent (the subscriber truncates it), and one that comes back into scope is sent again.
    With deletions first, a client that truncates after every level (python-kraken-sdk)
    and one that truncates after every message end with the same book: while levels
    are being added, the worst level held is always one that is out of scope.
    """
    if new:
        worst = min(new) if reverse else max(new)
        full = len(new) >= depth
    else:
        worst, full = None, False
    removed = [p for p in old if p not in new
               and not (full and (p < worst if reverse else p > worst))]  # type: ignore[operator]
    removed.sort(reverse=reverse)
    changed = sorted((p for p, q in new.items() if old.get(p) != q), reverse=reverse)
    return [{"price": p, "qty": D(0)} for p in removed] + [{"price": p, "qty": new[p]} for p in changed]


def book_update(old_bids: dict[Decimal, Decimal], old_asks: dict[Decimal, Decimal], bids: dict[Decimal, Decimal],
                asks: dict[Decimal, Decimal], depth: int) -> tuple[list[dict[str, Decimal]], list[dict[str, Decimal]]]:
    """The ``bids`` and ``asks`` lists of the update that takes a depth-``depth`` subscriber
    from (``old_bids``, ``old_asks``) to (``bids``, ``asks``); both empty when nothing changed."""
    return _side_update(old_bids, bids, depth, True), _side_update(old_asks, asks, depth, False)


def _trade_item(pair: Pair, t: tuple[Any, ...]) -> dict[str, Any]:
    price, vol, ts, side, kind, _, tid = t
    return {"symbol": pair.ws_symbol, "side": "buy" if side == "b" else "sell", "price": D(pair.fmt_price(price)),
            "qty": D(pair.fmt_vol(vol)), "ord_type": "market" if kind == "m" else "limit", "trade_id": tid,
            "timestamp": now_iso(ts)}


def _ohlc_items(ctx: Any, pair: Pair, interval: int, count: int) -> list[dict[str, Any]]:
    rows, _ = ctx.markets.ohlc(pair.id, interval, None, ctx.clock())
    out = []
    for r in rows[-count:]:
        start = r[0]
        out.append({"symbol": pair.ws_symbol, "open": D(r[1]), "high": D(r[2]), "low": D(r[3]), "close": D(r[4]),
                    "vwap": D(r[5]), "trades": r[7], "volume": D(r[6]), "interval_begin": now_iso(start),
                    "interval": interval, "timestamp": now_iso(start + interval * 60)})
    return out


def order_exec_item(o: Order, exec_type: str, fill: Any = None, ts: float | None = None) -> dict[str, Any]:
    """An ``executions`` channel item for order ``o``."""
    p = o.pair
    status = {"open": "partially_filled" if o.vol_exec > 0 else "new", "closed": "filled",
              "canceled": "canceled", "expired": "expired"}.get(o.status, o.status)
    if o.ordertype in TRIGGERED and not o.triggered and o.status == "open":
        status = "new"
    item: dict[str, Any] = {
        "order_id": o.txid, "symbol": p.ws_symbol, "order_qty": D(p.fmt_vol(o.volume)),
        "cum_cost": D(p.fmt_cost(o.cost)), "cum_qty": D(p.fmt_vol(o.vol_exec)),
        "time_in_force": o.timeinforce.lower(), "exec_type": exec_type, "side": o.side, "order_type": o.ordertype,
        "order_status": status, "timestamp": now_iso(ts or o.closetm or o.opentm), "fee_usd_equiv": D(0),
        "avg_price": D(p.fmt_price(o.avg_price)), "fee_ccy_pref": "fees_in_base" if o.fee_in_base else
        "fees_in_quote", "post_only": "post" in o.oflags,
    }
    if o.userref is not None:
        item["order_userref"] = o.userref
    else:
        item["order_userref"] = 0
    if o.cl_ord_id is not None:
        item["cl_ord_id"] = o.cl_ord_id
    if o.ordertype == "limit":
        item["limit_price"] = D(p.fmt_price(o.price))
        item["limit_price_type"] = "static"
    elif o.ordertype.endswith("-limit"):
        item["limit_price"] = D(p.fmt_price(o.price2))
    if o.ordertype in TRIGGERED:
        item["triggers"] = {"reference": o.trigger, "price": D(p.fmt_price(o.price)), "price_type": "static",
                            "status": "triggered" if o.triggered else "untriggered"}
        if o.trail is not None:  # a trailing stop: its offset, as add_order takes it
            item["triggers"].update({"price": o.trail.amount, "price_type": "pct" if o.trail.pct else "quote"})
    if o.is_margin:
        item["margin"] = True
    if o.reduce_only:
        item["reduce_only"] = True
    if o.status in ("canceled", "expired") and o.reason:
        item["reason"] = o.reason
    if fill is not None:
        item.update({
            "exec_id": fill.trade_id, "trade_id": fill.public_id, "last_qty": D(p.fmt_vol(fill.qty)),
            "last_price": D(p.fmt_price(fill.price)), "cost": D(p.fmt_cost(fill.cost)),
            "liquidity_ind": "m" if fill.maker else "t",
            "fees": [{"asset": ws_asset(p.base if o.fee_in_base else p.quote), "qty": fill.fee}],
            "fee_usd_equiv": fill.fee if not o.fee_in_base and p.quote == "ZUSD" else D(0),
        })
    return item


def _exec_event_item(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The executions item for an engine order event, built when it happens."""
    o: Order = payload["order"]
    event = payload["event"]
    if event == "trade":
        fill = payload["fill"]
        item = order_exec_item(o, "trade", fill, fill.time)
        if o.remaining <= 0:
            item["order_status"] = "filled"
        return item
    if event == "closed":
        return None  # the last trade already reported the fill
    exec_type = {"new": "new", "canceled": "canceled", "expired": "expired", "amended": "amended"}.get(event, event)
    return order_exec_item(o, exec_type)


def _ws_list(params: dict[str, Any], name: str) -> list[Any]:
    """An array parameter (cancel_order's ``order_id``...): a list, one value, or nothing."""
    value = params.get(name)
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [value]
    raise KrakenError(f"EGeneral:Invalid arguments:{name}")


# ------------------------------------------------------------------ WS trading params -> REST params
def _ws_time(value: Any) -> str:
    try:
        return str(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments:expire_time") from None


def ws_order_to_rest(params: dict[str, Any], with_symbol: bool = True, symbol: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if with_symbol:
        out["pair"] = params.get("symbol")
    out["type"] = params.get("side")
    ot = params.get("order_type")
    out["ordertype"] = ot
    if params.get("cash_order_qty") is not None:
        out["volume"] = params["cash_order_qty"]
        flags = ["viqc"]
    else:
        out["volume"] = params.get("order_qty")
        flags = []
    trig = params.get("triggers") or {}
    trailing = ot in ("trailing-stop", "trailing-stop-limit")
    if ot in ("stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit") or trailing:
        if isinstance(trig, dict):
            out["price"] = _ws_price(trig.get("price"), trig.get("price_type"), "triggers", trailing)
            if trig.get("reference") is not None:
                out["trigger"] = trig["reference"]
        if str(ot).endswith("-limit"):
            out["price2"] = _ws_price(params.get("limit_price"), params.get("limit_price_type"), "limit_price_type",
                                      ot == "trailing-stop-limit")
    elif params.get("limit_price") is not None:
        out["price"] = _ws_price(params["limit_price"], params.get("limit_price_type"), "limit_price_type", False)
    if params.get("post_only"):
        flags.append("post")
    if params.get("no_mpp"):
        flags.append("nompp")
    fp = params.get("fee_preference")
    if fp == "base":
        flags.append("fcib")
    elif fp == "quote":
        flags.append("fciq")
    if flags:
        out["oflags"] = ",".join(flags)
    if params.get("time_in_force"):
        out["timeinforce"] = str(params["time_in_force"]).upper()
    if params.get("expire_time"):
        out["expiretm"] = _ws_time(params["expire_time"])
    if params.get("effective_time"):
        out["starttm"] = _ws_time(params["effective_time"])
    for src, dst in (("order_userref", "userref"), ("cl_ord_id", "cl_ord_id"), ("display_qty", "displayvol"),
                     ("deadline", "deadline"), ("validate", "validate")):
        if params.get(src) is not None:
            out[dst] = params[src]
    cond = params.get("conditional")
    if isinstance(cond, dict):
        out["close[ordertype]"] = cond.get("order_type")
        if cond.get("trigger_price") is not None:
            out["close[price]"] = cond["trigger_price"]
            if cond.get("limit_price") is not None:
                out["close[price2]"] = cond["limit_price"]
        elif cond.get("limit_price") is not None:
            out["close[price]"] = cond["limit_price"]
    if parse_bool(params.get("margin"), "margin"):
        # funded on margin at the pair's highest leverage (the v2 API names no level)
        pair = find_pair(str(params.get("symbol") or symbol or ""))
        levels = pair.leverage_levels(str(params.get("side"))) if pair is not None else ()
        if pair is not None and not levels:
            raise KrakenError("EGeneral:Invalid arguments:margin")
        out["leverage"] = str(max(levels)) if levels else None
    if params.get("reduce_only") is not None:
        out["reduce_only"] = params["reduce_only"]
    return {k: v for k, v in out.items() if v is not None}


def _ws_price(value: Any, price_type: Any, name: str, offset: bool) -> Any:
    """A v2 price with its ``*_price_type`` as a REST price: ``static`` as it is (for a trailing
    stop's limit: an offset from the trigger price), ``quote`` an offset in the quote currency
    (``+N``/``-N``), ``pct`` a percentage offset (``+N%``). Offsets of trailing stops are
    relative by definition (kraken-protocol.md §4.5; Kraken's add_order: trailing stops use
    ``pct`` or ``quote``, and a trailing-stop-limit's limit price is an offset)."""
    kind = "static" if price_type is None else price_type
    if kind not in ("static", "pct", "quote"):
        raise KrakenError(f"EGeneral:Invalid arguments:{name}")
    if value is None or (kind == "static" and not offset):
        return value
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        raise KrakenError(f"EGeneral:Invalid arguments:{name}") from None
    if not number.is_finite() or isinstance(value, (bool, list, dict)):
        raise KrakenError(f"EGeneral:Invalid arguments:{name}")
    sign = "-" if number < 0 else "+"
    return f"{sign}{abs(number)}{'%' if kind == 'pct' else ''}"


# ------------------------------------------------------------------ setup
def setup(app: web.Application, ctx: Any) -> None:
    if not hasattr(ctx, "ws_tokens"):
        ctx.ws_tokens = {}
    conns: set[Conn] = set()
    ctx.ws_spot_connections = conns

    def listener(kind: str, account: str, payload: dict[str, Any]) -> None:
        targets = [c for c in conns if c.account == account]
        if not targets:
            return
        if kind == "order":
            item = _exec_event_item(payload)
            if item is None:
                return
            payload = {"item": item}
        for c in targets:
            c.queue.put_nowait({"kind": kind, **payload})

    ctx.engine.listeners.append(listener)

    async def handle_public(request: web.Request) -> web.StreamResponse:
        return await _serve(request, private=False)

    async def handle_private(request: web.Request) -> web.StreamResponse:
        return await _serve(request, private=True)

    async def _serve(request: web.Request, private: bool) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = Conn(ctx, ws, private)
        conns.add(conn)
        tasks: list[asyncio.Task[Any]] = []
        try:
            await conn.send({"channel": "status", "type": "update", "data": [{
                "api_version": "v2", "connection_id": ctx.rng.getrandbits(63), "system": ctx.status,
                "version": "2.0.0"}]})
            tasks.append(asyncio.ensure_future(_publisher(conn)))
            tasks.append(asyncio.ensure_future(_private_pump(conn)))
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
                try:
                    await _dispatch(conn, req, time_in)
                except (Drop, ConnectionResetError, asyncio.CancelledError):
                    raise
                except Exception:  # a bug: answer like Kraken, keep the connection
                    method = req.get("method")
                    ctx.internal_error(f"ws {method!r}")
                    await conn.send(conn.ack(str(method), req.get("req_id"), time_in,
                                             error="EGeneral:Internal error"))
        except (Drop, ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            conns.discard(conn)
            for t in tasks:
                t.cancel()
            if not ws.closed:
                await ws.close()
        return ws

    async def _dispatch(conn: Conn, req: dict[str, Any], time_in: str) -> None:
        method = req.get("method")
        req_id = req.get("req_id")
        params = req.get("params") or {}
        if not isinstance(params, dict):
            await conn.send(conn.ack(str(method), req_id, time_in, error="EGeneral:Invalid arguments"))
            return
        if method == "ping":
            await conn.send(conn.ack("pong", req_id, time_in))
            return
        if method in ("subscribe", "unsubscribe"):
            await _subscribe(conn, method, req_id, params, time_in)
            return
        if method in TRADING_METHODS:
            if not conn.private:
                await conn.send(conn.ack(method, req_id, time_in, error="EGeneral:Permission denied"))
                return
            acct, error = _auth(conn, params)
            if acct is None:
                await conn.send(conn.ack(method, req_id, time_in, error=error))
                return
            await _trade(conn, acct, method, req_id, params, time_in)
            return
        await conn.send(conn.ack(str(method), req_id, time_in, error="Method not found"))

    def _auth(conn: Conn, params: dict[str, Any]) -> tuple[Any, str]:
        token = params.get("token")
        if not token or not isinstance(token, str):
            return None, "EGeneral:Invalid arguments:token"
        entry = ctx.ws_tokens.get(token)
        if entry is None:
            return None, "EAPI:Invalid token"
        name, created = entry
        if created is not None and ctx.clock() - created > TOKEN_TTL:
            ctx.ws_tokens.pop(token, None)
            return None, "EAPI:Invalid token"
        acct = ctx.account_by_name(name)
        if acct is None:
            return None, "EAPI:Invalid key"
        if "websocket" not in acct.permissions:
            return None, "EGeneral:Permission denied"
        ctx.ws_tokens[token] = (name, None)  # used: valid while the connection lives
        conn.account = name
        return acct, ""

    async def _subscribe(conn: Conn, method: str, req_id: Any, params: dict[str, Any], time_in: str) -> None:
        channel = params.get("channel")
        if channel not in PUBLIC_CHANNELS + PRIVATE_CHANNELS:
            await conn.send(conn.ack(method, req_id, time_in, error=f"Channel {channel} not found"))
            return
        if channel in PRIVATE_CHANNELS:
            if not conn.private:
                await conn.send(conn.ack(method, req_id, time_in, error="Private channels need ws-auth"))
                return
            acct, error = _auth(conn, params)
            if acct is None:
                await conn.send(conn.ack(method, req_id, time_in, error=error))
                return
            key = (channel, "")
            if method == "unsubscribe":
                if conn.subs.pop(key, None) is None:
                    await conn.send(conn.not_subscribed(req_id, time_in))
                else:
                    await conn.send(conn.ack(method, req_id, time_in, {"channel": channel}))
                return
            snapshot = params.get("snapshot", True) if channel == "balances" else params.get("snap_orders", True)
            conn.subs[key] = {"snap_trades": params.get("snap_trades", False)}
            result: dict[str, Any] = {"channel": channel, "snapshot": bool(snapshot)}
            if channel == "executions":
                result["maxratecount"] = {"starter": 60, "intermediate": 125}.get(acct.tier, 180)
            await conn.send(conn.ack(method, req_id, time_in, result))
            if snapshot:
                await _private_snapshot(conn, acct, channel, params)
            return
        if channel == "instrument":
            key = ("instrument", "")
            if method == "unsubscribe":
                if conn.subs.pop(key, None) is None:
                    await conn.send(conn.not_subscribed(req_id, time_in))
                else:
                    await conn.send(conn.ack(method, req_id, time_in, {"channel": channel}))
                return
            snapshot = params.get("snapshot", True)
            conn.subs[key] = {}
            await conn.send(conn.ack(method, req_id, time_in, {"channel": "instrument", "snapshot": snapshot}))
            if snapshot:
                await conn.send({"channel": "instrument", "type": "snapshot", "data": {
                    "assets": [{"id": ws_asset(a.id), "status": "enabled", "precision": a.decimals,
                                "precision_display": a.display_decimals, "borrowable": a.aclass == "currency",
                                "collateral_value": D(str(a.collateral_value or 0)),
                                "margin_rate": D("0.02")} for a in ASSETS.values()],
                    "pairs": [p.to_ws_instrument() for p in PAIRS.values()]}})
            return
        symbols = params.get("symbol")
        if not isinstance(symbols, list) or not symbols:
            await conn.send(conn.ack(method, req_id, time_in, error="EGeneral:Invalid arguments:symbol"))
            return
        extra: dict[str, Any] = {}
        if channel == "book":
            depth = params.get("depth", 10)
            if depth not in DEPTHS:
                await conn.send(conn.ack(method, req_id, time_in, error="EGeneral:Invalid arguments:depth"))
                return
            extra["depth"] = depth
        if channel == "ohlc":
            interval = params.get("interval", 1)
            if interval not in INTERVALS:
                await conn.send(conn.ack(method, req_id, time_in, error="EGeneral:Invalid arguments:interval"))
                return
            extra["interval"] = interval
        if channel == "ticker":
            trig = params.get("event_trigger", "trades")
            if trig not in ("trades", "bbo"):
                await conn.send(conn.ack(method, req_id, time_in, error="EGeneral:Invalid arguments:event_trigger"))
                return
            extra["event_trigger"] = trig
        default_snapshot = channel != "trade"
        snapshot = bool(params.get("snapshot", default_snapshot))
        for sym in symbols:
            pair = find_pair(str(sym))
            if pair is None:
                await conn.send(conn.ack(method, req_id, time_in, error=f"Currency pair not supported {sym}",
                                         symbol=sym))
                continue
            key = (channel, pair.ws_symbol)
            if method == "unsubscribe":
                if conn.subs.pop(key, None) is None:
                    await conn.send(conn.not_subscribed(req_id, time_in, symbol=sym))
                else:
                    await conn.send(conn.ack(method, req_id, time_in, {"channel": channel, **extra,
                                                                       "symbol": pair.ws_symbol}))
                continue
            result = {"channel": channel, **extra, "snapshot": snapshot, "symbol": pair.ws_symbol}
            if channel == "book":
                result.setdefault("warnings", [])
                result.pop("warnings")
            await conn.send(conn.ack(method, req_id, time_in, result))
            sub: dict[str, Any] = {"pair": pair, **extra}
            await _initial(conn, channel, pair, sub, snapshot)
            conn.subs[key] = sub

    async def _initial(conn: Conn, channel: str, pair: Pair, sub: dict[str, Any], snapshot: bool) -> None:
        pd = ctx.markets.data[pair.id]
        if channel == "ticker":
            item = _ticker_item(ctx, pair)
            sub["last_key"] = (pd.trade_seq, item["bid"], item["ask"])
            if snapshot:
                await conn.send({"channel": "ticker", "type": "snapshot", "data": [item]})
        elif channel == "book":
            bids, asks = _levels(ctx, pair, sub["depth"])
            sub["bids"], sub["asks"] = bids, asks
            sub["version"] = ctx.engine.book_version[pair.id]
            if snapshot:
                await conn.send({"channel": "book", "type": "snapshot", "data": [{
                    "symbol": pair.ws_symbol, "bids": _side_list(bids, True), "asks": _side_list(asks, False),
                    "checksum": _checksum(ctx, pair, bids, asks)}]})
        elif channel == "trade":
            sub["seq"] = pd.trade_seq
            if snapshot:
                trades = list(pd.trades)[-50:]
                await conn.send({"channel": "trade", "type": "snapshot",
                                 "data": [_trade_item(pair, t) for t in trades]})
        elif channel == "ohlc":
            items = _ohlc_items(ctx, pair, sub["interval"], 720)
            sub["last"] = items[-1] if items else None
            if snapshot:
                await conn.send({"channel": "ohlc", "type": "snapshot", "timestamp": now_iso(ctx.clock()),
                                 "data": items})

    async def _publisher(conn: Conn) -> None:
        loop = asyncio.get_running_loop()
        last_heartbeat = loop.time()
        try:
            while not conn.ws.closed:
                await asyncio.sleep(PUBLISH_INTERVAL)
                for (channel, _), sub in list(conn.subs.items()):
                    if "pair" not in sub:
                        continue
                    await _update(conn, channel, sub)
                if conn.subs and loop.time() - last_heartbeat >= HEARTBEAT_INTERVAL:
                    last_heartbeat = loop.time()
                    await conn.send({"channel": "heartbeat"})
        except (Drop, ConnectionResetError, RuntimeError):
            pass
        except asyncio.CancelledError:
            raise

    async def _update(conn: Conn, channel: str, sub: dict[str, Any]) -> None:
        pair: Pair = sub["pair"]
        pd = ctx.markets.data[pair.id]
        if channel == "ticker":
            item = _ticker_item(ctx, pair)
            key = (pd.trade_seq, item["bid"], item["ask"])
            old = sub["last_key"]
            changed = key[0] != old[0] if sub["event_trigger"] == "trades" else key[1:] != old[1:]
            if changed:
                sub["last_key"] = key
                await conn.send({"channel": "ticker", "type": "update", "data": [item]})
        elif channel == "book":
            version = ctx.engine.book_version[pair.id]
            if version == sub["version"]:
                return
            sub["version"] = version
            bids, asks = _levels(ctx, pair, sub["depth"])
            db, da = book_update(sub["bids"], sub["asks"], bids, asks, sub["depth"])
            sub["bids"], sub["asks"] = bids, asks
            if not db and not da:
                return
            await conn.send({"channel": "book", "type": "update", "data": [{
                "symbol": pair.ws_symbol, "bids": db, "asks": da,
                "checksum": _checksum(ctx, pair, bids, asks), "timestamp": now_iso(ctx.clock())}]})
        elif channel == "trade":
            if pd.trade_seq == sub["seq"]:
                return
            new = [t for t in pd.trades if t[6] > sub["seq"]]
            sub["seq"] = pd.trade_seq
            if new:
                await conn.send({"channel": "trade", "type": "update", "data": [_trade_item(pair, t) for t in new]})
        elif channel == "ohlc":
            items = _ohlc_items(ctx, pair, sub["interval"], 1)
            if items and items[-1] != sub.get("last"):
                sub["last"] = items[-1]
                await conn.send({"channel": "ohlc", "type": "update", "timestamp": now_iso(ctx.clock()),
                                 "data": items})

    async def _private_snapshot(conn: Conn, acct: Any, channel: str, params: dict[str, Any]) -> None:
        if channel == "executions":
            orders = [o for o in ctx.engine.orders.values() if o.account == acct.name]
            data = [order_exec_item(o, "new") for o in orders]
            if params.get("snap_trades"):
                rows = ctx.db.query("SELECT txid, data FROM trades WHERE account=? ORDER BY time DESC LIMIT 50",
                                    (acct.name,))
                for r in rows:
                    t = json.loads(r["data"])
                    p = find_pair(t["pair"])
                    if p is None:
                        continue
                    data.append({"order_id": t["ordertxid"], "exec_id": r["txid"], "exec_type": "trade",
                                 "trade_id": t["trade_id"], "symbol": p.ws_symbol, "side": t["type"],
                                 "last_qty": D(t["vol"]), "last_price": D(t["price"]), "cost": D(t["cost"]),
                                 "liquidity_ind": "m" if t["maker"] else "t", "order_type": t["ordertype"],
                                 "order_status": "filled", "timestamp": now_iso(t["time"]),
                                 "fees": [{"asset": ws_asset(p.quote), "qty": D(t["fee"])}]})
            conn.sequence["executions"] += 1
            await conn.send({"channel": "executions", "type": "snapshot", "data": data,
                             "sequence": conn.sequence["executions"]})
        else:
            data = []
            earn = ctx.db.balances(acct.name, "earn")
            for asset, bal in sorted(ctx.db.balances(acct.name).items()):
                wallets = [{"type": "spot", "id": "main", "balance": bal}]
                if earn.get(asset):
                    wallets.append({"type": "earn", "id": "flex", "balance": earn[asset]})
                data.append({"asset": ws_asset(asset), "asset_class": "currency",
                             "balance": sum((w["balance"] for w in wallets), D(0)), "wallets": wallets})
            conn.sequence["balances"] += 1
            await conn.send({"channel": "balances", "type": "snapshot", "data": data,
                             "sequence": conn.sequence["balances"]})

    async def _private_pump(conn: Conn) -> None:
        try:
            while True:
                ev = await conn.queue.get()
                kind = ev["kind"]
                if kind == "order" and ("executions", "") in conn.subs:
                    conn.sequence["executions"] += 1
                    await conn.send({"channel": "executions", "type": "update", "data": [ev["item"]],
                                     "sequence": conn.sequence["executions"]})
                elif kind == "ledger" and ("balances", "") in conn.subs:
                    conn.sequence["balances"] += 1
                    await conn.send({"channel": "balances", "type": "update", "sequence": conn.sequence["balances"],
                                     "data": [{"ledger_id": ev["ledger_id"], "ref_id": ev["ref_id"],
                                               "timestamp": now_iso(ev["time"]), "type": ev["type"],
                                               "asset": ws_asset(ev["asset"]), "asset_class": "currency",
                                               "category": ev["type"], "wallet_type": "spot", "wallet_id": "main",
                                               "amount": ev["amount"], "fee": ev["fee"], "balance": ev["balance"]}]})
        except (Drop, ConnectionResetError, RuntimeError):
            pass

    async def _trade(conn: Conn, acct: Any, method: str, req_id: Any, params: dict[str, Any], time_in: str) -> None:
        eng = ctx.engine
        try:
            if method == "add_order":
                rest = ws_order_to_rest(params)
                res = eng.add_order(acct, rest, source="ws")
                result: Any = {}
                if "txid" in res:
                    result["order_id"] = res["txid"][0]
                if params.get("cl_ord_id"):
                    result["cl_ord_id"] = params["cl_ord_id"]
                if params.get("order_userref") is not None:
                    result["order_userref"] = params["order_userref"]
            elif method == "amend_order":
                rest = {"txid": params.get("order_id"), "cl_ord_id": params.get("cl_ord_id")}
                for k in ("order_qty", "display_qty", "limit_price", "trigger_price", "post_only", "deadline"):
                    if params.get(k) is not None:
                        rest[k] = params[k]
                res = eng.amend_order(acct, rest)
                result = {"amend_id": res["amend_id"]}
                if params.get("order_id"):
                    result["order_id"] = params["order_id"]
                else:
                    result["cl_ord_id"] = params.get("cl_ord_id")
            elif method == "edit_order":
                rest = {"txid": params.get("order_id"), "pair": params.get("symbol")}
                if params.get("order_qty") is not None:
                    rest["volume"] = params["order_qty"]
                if params.get("limit_price") is not None:
                    rest["price"] = params["limit_price"]
                if params.get("order_userref") is not None:
                    rest["userref"] = params["order_userref"]
                for k in ("deadline", "validate"):
                    if params.get(k) is not None:
                        rest[k] = params[k]
                res = eng.edit_order(acct, rest)
                result = {"order_id": res.get("txid"), "original_order_id": res["originaltxid"]}
            elif method == "cancel_order":
                refs = [("txid", str(x)) for x in _ws_list(params, "order_id")]
                refs += [("cl_ord_id", str(x)) for x in _ws_list(params, "cl_ord_id")]
                refs += [("txid", str(x)) for x in _ws_list(params, "order_userref")]
                if not refs:
                    raise KrakenError("EGeneral:Invalid arguments:order_id")
                for kind, ref in refs:
                    try:
                        if kind == "txid":
                            eng.cancel_order(acct, txid=ref)
                        else:
                            eng.cancel_order(acct, cl_ord_id=ref)
                        one = {"order_id": ref} if kind == "txid" else {"cl_ord_id": ref}
                        await conn.send(conn.ack(method, req_id, time_in, one))
                    except KrakenError as exc:
                        await conn.send(conn.ack(method, req_id, time_in, error=exc.error))
                return
            elif method == "cancel_all":
                result = {"count": eng.cancel_all(acct)}
            elif method == "cancel_all_orders_after":
                if params.get("timeout") is None:
                    raise KrakenError("EGeneral:Invalid arguments:timeout")
                result = eng.cancel_all_after(acct, params["timeout"])
            elif method == "batch_add":
                orders = params.get("orders")
                if not isinstance(orders, list):
                    raise KrakenError("EGeneral:Invalid arguments:orders")
                converted = []
                for o in orders:
                    if not isinstance(o, dict):
                        raise KrakenError("EGeneral:Invalid arguments:orders")
                    converted.append(ws_order_to_rest(o, with_symbol=False, symbol=params.get("symbol")))
                res = eng.add_order_batch(acct, params.get("symbol"), converted, params.get("validate"),
                                          params.get("deadline"), source="ws")
                result = []
                for src, r in zip(orders, res["orders"]):
                    item: dict[str, Any] = {}
                    if "txid" in r:
                        item["order_id"] = r["txid"]
                    if "error" in r:
                        item["error"] = r["error"]
                    if src.get("cl_ord_id"):
                        item["cl_ord_id"] = src["cl_ord_id"]
                    if src.get("order_userref") is not None:
                        item["order_userref"] = src["order_userref"]
                    result.append(item)
            elif method == "batch_cancel":
                orders = _ws_list(params, "orders")
                cl = _ws_list(params, "cl_ord_id")
                if not orders and not cl:
                    raise KrakenError("EGeneral:Invalid arguments:orders")
                result = eng.cancel_batch(acct, orders, cl)
            else:  # pragma: no cover
                raise KrakenError("EGeneral:Unknown method")
        except KrakenError as exc:
            await conn.send(conn.ack(method, req_id, time_in, error=exc.error))
            return
        await conn.send(conn.ack(method, req_id, time_in, result))

    app.router.add_get("/ws/v2", handle_public)
    app.router.add_get("/v2", handle_public)
    app.router.add_get("/ws-auth/v2", handle_private)
