"""Futures WebSocket /ws/v1 (kraken-protocol.md §5)."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import aiohttp

from kraken_ops.exchange.futures.engine import account_uid

from .helpers import WS, sign_challenge
from .test_trading import lmt, set_index


async def drain(ws, quiet=0.4):
    out = []
    while True:
        try:
            out.append(await ws.recv(timeout=quiet))
        except asyncio.TimeoutError:
            return out


async def test_info_on_connect_and_json_errors(fx):
    ws = await fx.ws()
    await ws.ws.send_str("not json")
    assert await ws.recv() == {"event": "error", "message": "Json Error"}
    await ws.send({"event": "subscribe", "feed": "nope", "product_ids": ["PF_XBTUSD"]})
    assert await ws.recv() == {"event": "error", "message": "Invalid feed"}
    await ws.send({"event": "subscribe", "feed": "ticker", "product_ids": ["PF_NOPE"]})
    assert await ws.recv() == {"event": "error", "message": "Invalid product id"}


async def test_book_snapshot_then_deltas_with_increasing_seq(fx):
    ws = await fx.ws()
    await ws.send({"event": "subscribe", "feed": "book", "product_ids": ["PF_XBTUSD"]})
    assert await ws.recv() == {"event": "subscribed", "feed": "book", "product_ids": ["PF_XBTUSD"]}
    snap = await ws.recv()
    assert snap["feed"] == "book_snapshot" and snap["product_id"] == "PF_XBTUSD" and snap["tickSize"] is None
    book = {"buy": {b["price"]: b["qty"] for b in snap["bids"]}, "sell": {a["price"]: a["qty"] for a in snap["asks"]}}
    seq = snap["seq"]
    fx.engine.tick()
    fx.engine.tick()
    await asyncio.sleep(0.1)
    while True:
        try:
            m = await ws.recv(timeout=0.3)
        except asyncio.TimeoutError:
            break
        assert m["feed"] == "book" and m["seq"] == seq + 1
        seq = m["seq"]
        if m["qty"] == 0:
            book[m["side"]].pop(m["price"], None)
        else:
            book[m["side"]][m["price"]] = m["qty"]
    rest = (await fx.public().public("/derivatives/api/v3/orderbook", {"symbol": "PF_XBTUSD"}))["orderBook"]
    assert sorted(book["buy"].items(), reverse=True) == [tuple(x) for x in rest["bids"]]
    assert sorted(book["sell"].items()) == [tuple(x) for x in rest["asks"]]


async def test_trade_snapshot_then_trades(fx):
    for _ in range(5):
        fx.engine.tick()
    ws = await fx.ws()
    await ws.send({"event": "subscribe", "feed": "trade", "product_ids": ["PF_XBTUSD"]})
    await ws.recv()
    snap = await ws.recv()
    assert snap["feed"] == "trade_snapshot" and snap["trades"]
    t = snap["trades"][0]
    assert {"feed", "product_id", "uid", "side", "type", "seq", "time", "qty", "price"} <= set(t)
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    m = await ws.until(lambda m: m.get("feed") == "trade" and m["qty"] == D("0.01") and m["side"] == "buy")
    assert m["seq"] > t["seq"]


async def test_ticker_ticker_lite_heartbeat_and_unsubscribe(fx):
    ws = await fx.ws()
    await ws.send({"event": "subscribe", "feed": "ticker", "product_ids": ["PI_XBTUSD"]})
    assert (await ws.recv())["event"] == "subscribed"
    t = await ws.recv()
    assert t["feed"] == "ticker" and t["product_id"] == "PI_XBTUSD" and t["bid"] < t["ask"]
    for k in ("funding_rate", "markPrice", "index", "premium", "openInterest", "next_funding_rate_time", "volumeQuote"):
        assert k in t
    await ws.send({"event": "subscribe", "feed": "ticker_lite", "product_ids": ["PF_ETHUSD"]})
    await ws.until(lambda m: m.get("event") == "subscribed")
    lite = await ws.until(lambda m: m.get("feed") == "ticker_lite")
    assert lite["product_id"] == "PF_ETHUSD" and "markPrice" not in lite
    fx.engine.tick()
    await ws.until(lambda m: m.get("feed") == "ticker" and m["product_id"] == "PI_XBTUSD")
    await ws.send({"event": "subscribe", "feed": "heartbeat"})
    await ws.until(lambda m: m.get("event") == "subscribed" and m["feed"] == "heartbeat")
    hb = await ws.until(lambda m: m.get("feed") == "heartbeat")
    assert isinstance(hb["time"], int)
    await ws.send({"event": "unsubscribe", "feed": "ticker", "product_ids": ["PI_XBTUSD"]})
    assert await ws.until(lambda m: "event" in m) == {"event": "unsubscribed", "feed": "ticker",
                                                      "product_ids": ["PI_XBTUSD"]}
    await ws.send({"event": "unsubscribe", "feed": "ticker", "product_ids": ["PI_XBTUSD"]})
    assert (await ws.until(lambda m: "event" in m))["event"] == "unsubscribed_failed"


async def test_challenge_signed_with_wrong_secret_is_refused(fx):
    api = fx.add_account()
    ws = await fx.ws()
    await ws.send({"event": "challenge", "api_key": api.key})
    ch = await ws.recv()
    assert ch["event"] == "challenge" and len(ch["message"]) == 36
    wrong = sign_challenge("d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldA==", ch["message"])
    await ws.send({"event": "subscribe", "feed": "open_orders", "api_key": api.key,
                   "original_challenge": ch["message"], "signed_challenge": wrong})
    assert await ws.recv() == {"event": "alert", "message": "Failed to subscribe to authenticated feed"}
    # a challenge the server never issued is refused too, even when correctly signed
    await ws.send({"event": "subscribe", "feed": "fills", "api_key": api.key, "original_challenge": "made-up",
                   "signed_challenge": sign_challenge(api.secret, "made-up")})
    assert (await ws.recv())["event"] == "alert"
    await ws.send({"event": "challenge"})
    assert await ws.recv() == {"event": "error", "message": "Json Error"}


async def test_private_feeds_snapshots_and_updates(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(**lmt(price="50000", size="0.01", cliOrdId="pre"))
    ws = await fx.ws()
    ack = await ws.auth_subscribe("open_orders", api.key, api.secret)
    assert ack["event"] == "subscribed" and ack["feed"] == "open_orders" and "signed_challenge" in ack
    snap = await ws.recv()
    assert snap["feed"] == "open_orders_snapshot" and snap["account"] == account_uid(api.name)
    assert [o["cli_ord_id"] for o in snap["orders"]] == ["pre"] and snap["orders"][0]["direction"] == 0
    for feed, first in (("fills", "fills_snapshot"), ("open_positions", "open_positions"),
                        ("balances", "balances_snapshot"), ("account_log", "account_log_snapshot"),
                        ("notifications_auth", "notifications_auth")):
        assert (await ws.auth_subscribe(feed, api.key, api.secret))["event"] == "subscribed"
        m = await ws.until(lambda m, f=first: m.get("feed") == f)
        if feed == "balances":
            assert m["flex_futures"]["currencies"]["USD"]["quantity"] == 100000
        if feed == "account_log":
            assert m["logs"][0]["info"] == "admin transfer"
    st = await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.02")
    got = await drain(ws)
    fill = next(m for m in got if m.get("feed") == "fills")
    f = fill["fills"][0]
    assert f["order_id"] == st["order_id"] and f["buy"] is True and f["qty"] == D("0.02") and f["fill_type"] == "taker"
    pos = next(m for m in got if m.get("feed") == "open_positions" and m["positions"])
    assert pos["positions"][0]["instrument"] == "PF_XBTUSD" and pos["positions"][0]["balance"] == D("0.02")
    entry = next(m for m in got if m.get("feed") == "account_log")
    assert entry["new_entry"]["info"] == "futures trade"
    assert any(m.get("feed") == "balances" for m in got)
    new = await api.send(**lmt(price="49000", size="0.01"))
    upd = await ws.until(lambda m: m.get("feed") == "open_orders" and "order" in m)
    assert upd["order"]["order_id"] == new["order_id"] and upd["is_cancel"] is False
    await api.post("/derivatives/api/v3/cancelorder", {"order_id": new["order_id"]})
    c = await ws.until(lambda m: m.get("feed") == "open_orders" and m.get("is_cancel"))
    assert c["order_id"] == new["order_id"] and c["reason"] == "cancelled_by_user"


async def test_ws_drop_fault_closes_after_n_messages(fx_factory):
    from kraken_ops.exchange.context import default_faults
    srv = await fx_factory()
    srv.ctx.faults = dict(default_faults(), ws_drop=3)
    ws = WS(await srv.session.ws_connect(srv.ws_url))
    assert (await ws.recv())["event"] == "info"
    await ws.send({"event": "subscribe", "feed": "book", "product_ids": ["PF_XBTUSD"]})
    assert (await ws.recv())["event"] == "subscribed"
    assert (await ws.recv())["feed"] == "book_snapshot"
    msg = await ws.ws.receive(timeout=3)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
