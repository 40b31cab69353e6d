"""Kraken Futures WebSocket ``/ws/v1`` (kraken-protocol.md §5).

On connect the server sends ``{"event":"info","version":1}``. Public feeds: ticker,
ticker_lite, book (``book_snapshot`` then deltas with ``seq``), trade (``trade_snapshot`` then
trades), heartbeat. Private feeds need a signed challenge: open_orders, fills, open_positions,
balances, account_log, notifications_auth. ``ctx.faults["ws_drop"] = N`` closes each
connection after it has sent N messages.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from kraken_ops.exchange.futures.auth import verify_challenge
from kraken_ops.exchange.futures.engine import ZERO, FuturesEngine, account_uid
from kraken_ops.exchange.futures.instruments import INSTRUMENTS, lookup
from kraken_ops.exchange.futures.util import dumps

PUBLIC_FEEDS = ("ticker", "ticker_lite", "book", "trade")
PRIVATE_FEEDS = ("open_orders", "open_orders_verbose", "fills", "open_positions", "balances", "account_log",
                 "notifications_auth")
AUTH_FAILED = {"event": "alert", "message": "Failed to subscribe to authenticated feed"}


class Challenges:
    """Challenges issued per API key (bounded), so a signed one can be checked later."""

    def __init__(self, keep: int = 16) -> None:
        self._by_key: dict[str, OrderedDict[str, None]] = {}
        self._keep = keep

    def issue(self, key: str) -> str:
        c = str(uuid.uuid4())
        d = self._by_key.setdefault(key, OrderedDict())
        d[c] = None
        while len(d) > self._keep:
            d.popitem(last=False)
        return c

    def issued(self, key: str, challenge: str) -> bool:
        return challenge in self._by_key.get(key, {})


class Connection:
    def __init__(self, hub: "FuturesWS", ws: web.WebSocketResponse) -> None:
        self.hub = hub
        self.ws = ws
        self.engine = hub.engine
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.public: set[tuple[str, str]] = set()   # (feed, product)
        self.heartbeat = False
        self.private: set[str] = set()
        self.account: str | None = None
        self.sent = 0
        self.seq: dict[str, int] = {}

    # ------------------------------------------------------------------ output
    def send(self, msg: dict[str, Any]) -> None:
        self.queue.put_nowait(msg)

    async def writer(self) -> None:
        drop = (self.hub.ctx.faults or {}).get("ws_drop")
        while True:
            msg = await self.queue.get()
            if msg is None or self.ws.closed:
                return
            await self.ws.send_str(dumps(msg))
            self.sent += 1
            if drop and self.sent >= int(drop):
                await self.ws.close(code=1011, message=b"fault injection: ws-drop")
                return

    def next_seq(self, feed: str) -> int:
        self.seq[feed] = self.seq.get(feed, 0) + 1
        return self.seq[feed]

    # ------------------------------------------------------------------ engine events
    def on_event(self, kind: str, key: str, payload: Any) -> None:
        if kind == "book" and ("book", key) in self.public:
            self.send(payload)
        elif kind == "trade" and ("trade", key) in self.public:
            self.send(payload)
        elif kind == "tick":
            if ("ticker", key) in self.public:
                self.send(self.hub.ticker(key))
            if ("ticker_lite", key) in self.public:
                self.send(self.hub.ticker_lite(key))
        elif self.account is not None and key == self.account:
            if kind == "order" and self.private & {"open_orders", "open_orders_verbose"}:
                self._order_update(payload)
            elif kind == "fill" and "fills" in self.private:
                self.send({"feed": "fills", "username": account_uid(key), "fills": [self.hub.ws_fill(payload)]})
            elif kind == "position" and "open_positions" in self.private:
                self.send(self.hub.positions(key, "open_positions", self.next_seq("open_positions")))
            elif kind == "balance" and "balances" in self.private:
                self.send(self.hub.balances(key, "balances", self.next_seq("balances")))
            elif kind == "log" and "account_log" in self.private:
                self.send({"feed": "account_log", "new_entry": payload})

    def _order_update(self, payload: dict[str, Any]) -> None:
        o = payload["order"]
        feeds = [f for f in ("open_orders", "open_orders_verbose") if f in self.private]
        for feed in feeds:
            if o.is_open:
                self.send({"feed": feed, "order": o.ws_order(), "is_cancel": False, "reason": payload["reason"]})
            else:
                self.send({"feed": feed, "order_id": o.order_id, "is_cancel": o.status == "cancelled",
                           "reason": payload["reason"]})

    # ------------------------------------------------------------------ requests
    def handle(self, text: str) -> None:
        try:
            msg = json.loads(text)
            if not isinstance(msg, dict):
                raise ValueError
        except ValueError:
            self.send({"event": "error", "message": "Json Error"})
            return
        event = msg.get("event")
        if event == "challenge":
            key = msg.get("api_key")
            if not isinstance(key, str) or not key:
                self.send({"event": "error", "message": "Json Error"})
                return
            self.send({"event": "challenge", "message": self.hub.challenges.issue(key)})
        elif event in ("subscribe", "unsubscribe"):
            feed = msg.get("feed")
            if feed in PRIVATE_FEEDS:
                self._private(event, feed, msg)
            elif feed in PUBLIC_FEEDS or feed == "heartbeat":
                self._public(event, feed, msg)
            else:
                self.send({"event": "error", "message": "Invalid feed"})
        else:
            self.send({"event": "error", "message": "Json Error"})

    def _public(self, event: str, feed: str, msg: dict[str, Any]) -> None:
        if feed == "heartbeat":
            self.heartbeat = event == "subscribe"
            self.send({"event": event + "d", "feed": "heartbeat"})
            return
        ids = msg.get("product_ids")
        if not isinstance(ids, list) or not ids:
            self.send({"event": "error", "message": "Json Error"})
            return
        # Kraken documents one answer per request: "subscribed" with the product ids, or
        # {"event": "error", "message": "Invalid product id"}. It is silent on a list with
        # valid and unknown products; here the valid ones are (un)subscribed as usual and one
        # error names the others ("product_ids"), so one delisted contract silences nothing.
        insts = [lookup(p) for p in ids]
        invalid = [p for p, i in zip(ids, insts) if i is None]
        if invalid:
            error: dict[str, Any] = {"event": "error", "message": "Invalid product id"}
            if len(ids) > 1:
                error["product_ids"] = invalid
            self.send(error)
            ids = [p for p, i in zip(ids, insts) if i is not None]
            insts = [i for i in insts if i is not None]
            if not ids:
                return
        symbols = [i.symbol for i in insts]  # type: ignore[union-attr]
        if event == "subscribe":
            self.send({"event": "subscribed", "feed": feed, "product_ids": list(ids)})
            for s in symbols:
                self.public.add((feed, s))
                self._snapshot(feed, s)
        else:
            had = [s for s in symbols if (feed, s) in self.public]
            for s in symbols:
                self.public.discard((feed, s))
            self.send({"event": "unsubscribed" if had else "unsubscribed_failed", "feed": feed,
                       "product_ids": list(ids)})

    def _snapshot(self, feed: str, symbol: str) -> None:
        e = self.engine
        m = e.markets[symbol]
        if feed == "book":
            book = e.book(symbol)
            self.send({"feed": "book_snapshot", "product_id": symbol, "timestamp": e.now_ms(), "seq": m.book_seq,
                       "tickSize": None, "bids": [{"price": p, "qty": q} for p, q in book["bids"]],
                       "asks": [{"price": p, "qty": q} for p, q in book["asks"]]})
        elif feed == "trade":
            trades = [dict(t, type=t["type"]) for t in list(m.trades)[-100:]][::-1]
            self.send({"feed": "trade_snapshot", "product_id": symbol, "trades": trades})
        elif feed == "ticker":
            self.send(self.hub.ticker(symbol))
        elif feed == "ticker_lite":
            self.send(self.hub.ticker_lite(symbol))

    def _private(self, event: str, feed: str, msg: dict[str, Any]) -> None:
        key, challenge, signed = msg.get("api_key"), msg.get("original_challenge"), msg.get("signed_challenge")
        acct = self.hub.ctx.account_by_futures_key(key) if isinstance(key, str) and key else None
        if (acct is None or not isinstance(challenge, str) or not isinstance(signed, str)
                or not self.hub.challenges.issued(key, challenge)
                or not verify_challenge(acct.futures_secret, challenge, signed)
                or "futures" not in acct.permissions):
            self.send(dict(AUTH_FAILED))
            return
        ack = {"event": event + "d", "feed": feed, "api_key": key, "original_challenge": challenge,
               "signed_challenge": signed}
        if event == "unsubscribe":
            self.private.discard(feed)
            self.send(ack)
            return
        self.account = acct.name
        self.private.add(feed)
        self.send(ack)
        self._private_snapshot(feed, acct.name)

    def _private_snapshot(self, feed: str, account: str) -> None:
        hub, e = self.hub, self.engine
        uid = account_uid(account)
        if feed in ("open_orders", "open_orders_verbose"):
            self.send({"feed": feed + "_snapshot", "account": uid,
                       "orders": [o.ws_order() for o in e.orders_of(account)]})
        elif feed == "fills":
            rows = hub.ctx.db.query("SELECT data FROM fut_fills WHERE account=? ORDER BY time DESC, rowid DESC LIMIT 100",
                                    (account,))
            fills = [hub.ws_fill(json.loads(r["data"])) for r in rows]
            self.send({"feed": "fills_snapshot", "account": uid, "fills": fills})
        elif feed == "open_positions":
            self.send(hub.positions(account, "open_positions", self.next_seq("open_positions")))
        elif feed == "balances":
            self.send(hub.balances(account, "balances_snapshot", self.next_seq("balances")))
        elif feed == "account_log":
            rows = hub.ctx.db.query("SELECT id, data FROM fut_log WHERE account=? ORDER BY id DESC LIMIT 500",
                                    (account,))
            logs = []
            for r in rows:
                d = json.loads(r["data"])
                d["id"] = r["id"]
                logs.append(d)
            self.send({"feed": "account_log_snapshot", "logs": logs})
        elif feed == "notifications_auth":
            self.send({"feed": "notifications_auth", "notifications": [
                {"id": 1, "type": "general", "priority": "low",
                 "note": "Local kraken-ops exchange: paper trading only.", "effective_time": 1704067200000}]})


class FuturesWS:
    """The ``/ws/v1`` endpoint: one :class:`Connection` per client."""

    def __init__(self, ctx: Any, engine: FuturesEngine) -> None:
        self.ctx = ctx
        self.engine = engine
        self.challenges = Challenges()
        self.connections: set[Connection] = set()
        self.heartbeat_interval = float(getattr(ctx, "futures_heartbeat_interval", 1.0) or 1.0)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(self, ws)
        self.connections.add(conn)
        self.engine.listeners.add(conn.on_event)
        writer = asyncio.create_task(conn.writer())
        beat = asyncio.create_task(self._heartbeat(conn))
        conn.send({"event": "info", "version": 1})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        conn.handle(msg.data)
                    except Exception:  # a bug: answer with an error event, keep the connection
                        record = getattr(self.ctx, "internal_error", None)
                        if record is not None:
                            record("futures ws")
                        conn.send({"event": "error", "message": "Server Error"})
                elif msg.type == WSMsgType.ERROR:
                    break
                if writer.done():
                    break
        finally:
            self.engine.listeners.discard(conn.on_event)
            self.connections.discard(conn)
            beat.cancel()
            conn.queue.put_nowait(None)
            try:
                await asyncio.wait_for(writer, 1.0)
            except (asyncio.TimeoutError, Exception):
                writer.cancel()
            if not ws.closed:
                await ws.close()
        return ws

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.ws.close(code=1001, message=b"server shutdown")

    async def _heartbeat(self, conn: Connection) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            if conn.heartbeat:
                conn.send({"feed": "heartbeat", "time": self.engine.now_ms()})

    # ------------------------------------------------------------------ message builders
    def ticker(self, symbol: str) -> dict[str, Any]:
        e = self.engine
        m = e.markets[symbol]
        book = e.book(symbol)
        bid, bid_size = book["bids"][0] if book["bids"] else (ZERO, ZERO)
        ask, ask_size = book["asks"][0] if book["asks"] else (ZERO, ZERO)
        vol, quote = e.day_stats(symbol)
        change = ((m.last - m.open24h) / m.open24h * 100).quantize(Decimal("0.0001")) if m.open24h else ZERO
        now = e.now_ms()
        interval = int(e.funding_interval() * 1000)
        next_funding = (now // interval + 1) * interval
        premium = ((m.mark - m.index) / m.index * 100).quantize(Decimal("0.0001")) if m.index else ZERO
        return {
            "time": now, "product_id": symbol, "funding_rate": m.funding_rate,
            "funding_rate_prediction": m.funding_rate, "relative_funding_rate": m.relative_funding_rate,
            "relative_funding_rate_prediction": m.relative_funding_rate, "next_funding_rate_time": next_funding,
            "feed": "ticker", "bid": bid, "ask": ask, "bid_size": bid_size, "ask_size": ask_size, "volume": vol,
            "dtm": 0, "leverage": "50x", "index": m.index.quantize(Decimal("0.01")), "premium": premium,
            "last": m.last, "change": change, "suspended": False, "tag": "perpetual", "pair": m.inst.pair,
            "openInterest": e.open_interest(symbol), "markPrice": m.mark, "maturityTime": 0,
            "post_only": getattr(self.ctx, "status", "online") == "post_only",
            "volumeQuote": quote.quantize(Decimal("0.01")),
        }

    def ticker_lite(self, symbol: str) -> dict[str, Any]:
        t = self.ticker(symbol)
        keys = ("product_id", "bid", "ask", "change", "premium", "volume", "tag", "pair", "dtm", "maturityTime",
                "volumeQuote")
        out = {"feed": "ticker_lite"}
        out.update({k: t[k] for k in keys})
        return out

    def ws_fill(self, f: dict[str, Any]) -> dict[str, Any]:
        D = Decimal
        return {"instrument": f["symbol"], "time": f["time"], "price": D(str(f["price"])), "seq": f["time"],
                "buy": f["side"] == "buy", "qty": D(str(f["size"])),
                "remaining_order_qty": D(str(f.get("remaining_order_qty", 0))), "order_id": f["order_id"],
                "cli_ord_id": f.get("cliOrdId"), "fill_id": f["fill_id"], "fill_type": f["fillType"],
                "fee_paid": D(str(f.get("fee_paid", 0))), "fee_currency": f.get("fee_currency"),
                "taker_order_type": f.get("order_type") if f["fillType"] == "taker" else None,
                "order_type": f.get("order_type")}

    def positions(self, account: str, feed: str, seq: int) -> dict[str, Any]:
        e = self.engine
        out = []
        for p in e.open_positions(account):
            m = e.markets[p.symbol]
            inst = m.inst
            im, mm = e.im_rate(account, inst, p.size)
            notional = e.notional(inst, p.size, m.mark)
            out.append({"instrument": p.symbol, "balance": p.size, "pnl": e.upnl(p), "entry_price": p.entry,
                        "mark_price": m.mark, "index_price": m.index.quantize(Decimal("0.01")),
                        "liquidation_threshold": ZERO, "effective_leverage": ZERO, "return_on_equity": ZERO,
                        "unrealized_funding": ZERO, "initial_margin": (notional * im).quantize(Decimal("1e-8")),
                        "initial_margin_with_orders": (notional * im).quantize(Decimal("1e-8")),
                        "maintenance_margin": (notional * mm).quantize(Decimal("1e-8")),
                        "pnl_currency": inst.collateral})
        return {"feed": feed, "account": account_uid(account), "positions": out, "seq": seq,
                "timestamp": e.now_ms()}

    def balances(self, account: str, feed: str, seq: int) -> dict[str, Any]:
        e = self.engine
        flex = e.flex_summary(account)
        inv = e.inverse_summary(account)
        return {
            "feed": feed, "account": account_uid(account),
            "holding": {k: v for k, v in sorted(e.balances(account, "cash").items())},
            "futures": {"F-XBT:USD": {"name": "F-XBT:USD", "pair": "XBT/USD", "unit": "XBT",
                                      "portfolio_value": inv["auxiliary"]["pv"],
                                      "balance": inv["balances"]["xbt"], "maintenance_margin": inv["marginRequirements"]["mm"],
                                      "initial_margin": inv["marginRequirements"]["im"],
                                      "available": inv["auxiliary"]["af"], "unrealized_funding": ZERO,
                                      "pnl": inv["auxiliary"]["pnl"]}},
            "flex_futures": {
                "currencies": {k: {"quantity": v["quantity"], "value": v["value"], "collateral_value": v["collateral"],
                                   "available": v["available"], "haircut": ZERO, "conversion_spread": ZERO}
                               for k, v in flex["currencies"].items()},
                "balance_value": flex["balanceValue"], "portfolio_value": flex["portfolioValue"],
                "collateral_value": flex["collateralValue"], "initial_margin": flex["initialMargin"],
                "initial_margin_without_orders": flex["initialMargin"],
                "maintenance_margin": flex["maintenanceMargin"], "pnl": flex["pnl"],
                "unrealized_funding": ZERO, "total_unrealized": flex["totalUnrealized"],
                "total_unrealized_as_margin": flex["totalUnrealizedAsMargin"],
                "margin_equity": flex["marginEquity"], "available_margin": flex["availableMargin"],
            },
            "timestamp": e.now_ms(), "seq": seq,
        }


__all__ = ["FuturesWS", "INSTRUMENTS"]
