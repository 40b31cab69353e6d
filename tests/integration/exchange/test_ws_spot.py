"""Spot WebSocket v2: status, ping, acks, channels, checksums, private channels and trading methods."""

import asyncio
import json
from decimal import Decimal as D

import aiohttp

from helpers import Spot, name
from kraken_ops.exchange.ws_spot import book_checksum, dumps

OFFICIAL_ASKS = [("45285.2", "0.00100000"), ("45286.4", "1.54571953"), ("45286.6", "1.54571109"),
                 ("45289.6", "1.54560911"), ("45290.2", "0.15890660"), ("45291.8", "1.54553491"),
                 ("45294.7", "0.04454749"), ("45296.1", "0.35380000"), ("45297.5", "0.09945542"),
                 ("45299.5", "0.18772827")]
OFFICIAL_BIDS = [("45283.5", "0.10000000"), ("45283.4", "1.54582015"), ("45282.1", "0.10000000"),
                 ("45281.0", "0.10000000"), ("45280.3", "1.54592586"), ("45279.0", "0.07990000"),
                 ("45277.6", "0.03310103"), ("45277.5", "0.30000000"), ("45277.3", "1.54602737"),
                 ("45276.6", "0.15445238")]


def test_checksum_official_example():
    asks = [(D(p), D(q)) for p, q in OFFICIAL_ASKS]
    bids = [(D(p), D(q)) for p, q in OFFICIAL_BIDS]
    assert book_checksum(asks, bids, 1, 8) == 3310070434
    # JSON numbers lose trailing zeros; padding restores them
    assert book_checksum([(D("45285.2"), D("0.001"))] + asks[1:], bids, 1, 8) == 3310070434


def test_dumps_keeps_decimal_digits():
    assert dumps({"p": D("0.1"), "q": D("1.23456789"), "z": D("0E-8")}) == '{"p":0.1,"q":1.23456789,"z":0}'


async def _recv(ws, pred, timeout=5.0):
    async def loop():
        while True:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            data = json.loads(msg.data, parse_float=D)
            if pred(data):
                return data
    return await asyncio.wait_for(loop(), timeout)


def _apply(book, levels, side, depth):
    for lv in levels:
        if lv["qty"] == 0:
            book[side].pop(lv["price"], None)
        else:
            book[side][lv["price"]] = lv["qty"]
    keys = sorted(book[side], reverse=(side == "bids"))[:depth]
    book[side] = {k: book[side][k] for k in keys}


async def test_status_ping_and_book_checksums(exchange):
    async with aiohttp.ClientSession() as s, s.ws_connect(exchange.ws_spot_public) as ws:
        status = await _recv(ws, lambda d: d.get("channel") == "status")
        assert status["data"][0]["api_version"] == "v2" and status["data"][0]["system"] == "online"
        await ws.send_str(json.dumps({"method": "ping", "req_id": 5}))
        pong = await _recv(ws, lambda d: d.get("method") == "pong")
        assert pong["req_id"] == 5 and "time_in" in pong and "time_out" in pong
        await ws.send_str(json.dumps({"method": "subscribe", "req_id": 9,
                                      "params": {"channel": "book", "symbol": ["BTC/USD"], "depth": 10}}))
        ack = await _recv(ws, lambda d: d.get("method") == "subscribe")
        assert ack["success"] and ack["result"]["symbol"] == "BTC/USD" and ack["result"]["depth"] == 10
        snap = await _recv(ws, lambda d: d.get("channel") == "book" and d["type"] == "snapshot")
        item = snap["data"][0]
        book = {"bids": {}, "asks": {}}
        _apply(book, item["bids"], "bids", 10)
        _apply(book, item["asks"], "asks", 10)
        assert book_checksum(list(book["asks"].items()), list(book["bids"].items()), 1, 8) == item["checksum"]
        for _ in range(3):
            upd = await _recv(ws, lambda d: d.get("channel") == "book" and d["type"] == "update")
            u = upd["data"][0]
            _apply(book, u["bids"], "bids", 10)
            _apply(book, u["asks"], "asks", 10)
            assert book_checksum(list(book["asks"].items()), list(book["bids"].items()), 1, 8) == u["checksum"]


async def test_public_channels(exchange):
    async with aiohttp.ClientSession() as s, s.ws_connect(exchange.ws_spot_public) as ws:
        for ch, extra in (("ticker", {}), ("trade", {"snapshot": True}), ("ohlc", {"interval": 5})):
            await ws.send_str(json.dumps({"method": "subscribe", "req_id": 1,
                                          "params": {"channel": ch, "symbol": ["BTC/USD", "ETH/USD"], **extra}}))
        ticker = await _recv(ws, lambda d: d.get("channel") == "ticker")
        assert {"bid", "ask", "last", "volume", "vwap", "change_pct"} <= set(ticker["data"][0])
        trade = await _recv(ws, lambda d: d.get("channel") == "trade" and d["type"] == "snapshot")
        assert trade["data"][0]["side"] in ("buy", "sell")
        ohlc = await _recv(ws, lambda d: d.get("channel") == "ohlc")
        assert ohlc["data"][0]["interval"] == 5
        await ws.send_str(json.dumps({"method": "subscribe", "params": {"channel": "instrument"}}))
        inst = await _recv(ws, lambda d: d.get("channel") == "instrument")
        assert any(p["symbol"] == "BTC/USD" for p in inst["data"]["pairs"])
        await _recv(ws, lambda d: d.get("channel") == "heartbeat")
        await ws.send_str(json.dumps({"method": "subscribe", "req_id": 3,
                                      "params": {"channel": "ticker", "symbol": ["FOO/BAR"]}}))
        bad = await _recv(ws, lambda d: d.get("req_id") == 3)
        assert bad["success"] is False and bad["symbol"] == "FOO/BAR"
        await ws.send_str(json.dumps({"method": "unsubscribe", "req_id": 4,
                                      "params": {"channel": "ticker", "symbol": ["SOL/USD"]}}))
        assert (await _recv(ws, lambda d: d.get("req_id") == 4))["error"] == "Subscription Not Found"


async def test_private_channels_and_trading(exchange):
    a = exchange.add_account(name(), fund={"USD": "100000", "XBT": "1"})
    token = Spot(exchange.url, a).ok("GetWebSocketsToken")["token"]
    async with aiohttp.ClientSession() as s, s.ws_connect(exchange.ws_spot_private) as ws:
        await ws.send_str(json.dumps({"method": "subscribe", "params": {"channel": "executions", "token": token}}))
        ack = await _recv(ws, lambda d: d.get("method") == "subscribe")
        assert ack["success"] and ack["result"]["maxratecount"] == 180
        await _recv(ws, lambda d: d.get("channel") == "executions" and d["type"] == "snapshot")
        await ws.send_str(json.dumps({"method": "subscribe", "params": {"channel": "balances", "token": token}}))
        bal = await _recv(ws, lambda d: d.get("channel") == "balances" and d["type"] == "snapshot")
        assert {b["asset"] for b in bal["data"]} == {"BTC", "USD"}

        await ws.send_str(json.dumps({"method": "add_order", "req_id": 11, "params": {
            "order_type": "limit", "side": "buy", "order_qty": 0.01, "symbol": "BTC/USD", "limit_price": 1000.0,
            "cl_ord_id": "ws-1", "token": token}}))
        r = await _recv(ws, lambda d: d.get("method") == "add_order")
        assert r["success"] and r["result"]["cl_ord_id"] == "ws-1"
        oid = r["result"]["order_id"]
        ev = await _recv(ws, lambda d: d.get("channel") == "executions" and d["type"] == "update")
        assert ev["data"][0]["exec_type"] == "new" and ev["data"][0]["order_id"] == oid

        await ws.send_str(json.dumps({"method": "amend_order", "req_id": 12, "params": {
            "order_id": oid, "limit_price": 1001.0, "token": token}}))
        r = await _recv(ws, lambda d: d.get("method") == "amend_order")
        assert r["success"] and r["result"]["amend_id"]

        await ws.send_str(json.dumps({"method": "edit_order", "req_id": 13, "params": {
            "order_id": oid, "symbol": "BTC/USD", "order_qty": 0.02, "token": token}}))
        r = await _recv(ws, lambda d: d.get("method") == "edit_order")
        assert r["success"] and r["result"]["original_order_id"] == oid
        new_id = r["result"]["order_id"]

        await ws.send_str(json.dumps({"method": "cancel_order", "req_id": 14, "params": {
            "order_id": [new_id], "token": token}}))
        r = await _recv(ws, lambda d: d.get("method") == "cancel_order")
        assert r["success"] and r["result"] == {"order_id": new_id}

        await ws.send_str(json.dumps({"method": "batch_add", "req_id": 15, "params": {
            "symbol": "BTC/USD", "token": token, "orders": [
                {"order_type": "limit", "side": "buy", "order_qty": 0.01, "limit_price": 1000.0},
                {"order_type": "limit", "side": "buy", "order_qty": 0.01, "limit_price": 1002.0}]}}))
        r = await _recv(ws, lambda d: d.get("method") == "batch_add")
        ids = [o["order_id"] for o in r["result"]]
        await ws.send_str(json.dumps({"method": "batch_cancel", "req_id": 16, "params": {
            "orders": ids, "token": token}}))
        r = await _recv(ws, lambda d: d.get("method") == "batch_cancel")
        assert r["result"] == {"count": 2}

        await ws.send_str(json.dumps({"method": "add_order", "req_id": 17, "params": {
            "order_type": "market", "side": "buy", "order_qty": 0.01, "symbol": "BTC/USD", "token": token}}))
        await _recv(ws, lambda d: d.get("method") == "add_order")
        seen = {}

        def both(d):
            if d.get("channel") == "executions" and d["data"][0].get("exec_type") == "trade":
                seen["fill"] = d
            if d.get("channel") == "balances" and d["type"] == "update":
                seen["balance"] = d
            return len(seen) == 2

        await _recv(ws, both)
        fill = seen["fill"]["data"][0]
        assert fill["liquidity_ind"] == "t" and fill["fees"][0]["asset"] == "USD"
        assert seen["balance"]["data"][0]["type"] == "trade"

        await ws.send_str(json.dumps({"method": "add_order", "req_id": 18, "params": {
            "order_type": "limit", "side": "buy", "order_qty": 100, "symbol": "BTC/USD", "limit_price": 1000.0,
            "token": token}}))
        r = await _recv(ws, lambda d: d.get("req_id") == 18)
        assert r["success"] is False and r["error"] == "EOrder:Insufficient funds"

        await ws.send_str(json.dumps({"method": "cancel_all_orders_after", "req_id": 19, "params": {
            "timeout": 60, "token": token}}))
        r = await _recv(ws, lambda d: d.get("req_id") == 19)
        assert r["result"]["triggerTime"] != "0"
        await ws.send_str(json.dumps({"method": "cancel_all", "req_id": 20, "params": {"token": token}}))
        r = await _recv(ws, lambda d: d.get("req_id") == 20)
        assert r["success"] and "count" in r["result"]


async def test_bad_token_rejected(exchange):
    async with aiohttp.ClientSession() as s, s.ws_connect(exchange.ws_spot_private) as ws:
        await ws.send_str(json.dumps({"method": "subscribe", "req_id": 1,
                                      "params": {"channel": "executions", "token": "nope"}}))
        r = await _recv(ws, lambda d: d.get("req_id") == 1)
        assert r["success"] is False
