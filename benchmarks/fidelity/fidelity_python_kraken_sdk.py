"""Fidelity check: python-kraken-sdk (unmodified) against the local exchange.

Not a test (pytest never collects it). Run by hand with a scratch venv that has
python-kraken-sdk installed (not a kraken-ops dependency)::

    kraken-ops exchange serve --port 0 --state "$S" --seed 1 &      # prints the URL
    kraken-ops exchange account add sdk1 --fund ZUSD=100000 --fund XXBT=5 \
        --print-credentials --state "$S" > /tmp/sdk1.json
    /tmp/refvenv/bin/python benchmarks/fidelity/fidelity_python_kraken_sdk.py \
        http://127.0.0.1:PORT /tmp/sdk1.json

Only base URLs are changed: ``url=`` for the REST clients, ``rest_url``/``ws_url``/
``auth_ws_url`` for ``SpotWSClient``, and the class attributes ``SpotClient.URL`` (for the
``Market()`` that ``Trade`` and ``SpotOrderBookClient`` build internally without ``url=``)
and ``SpotOrderBookClient.WS_URL`` (its constructor takes no URL). Exit status 0 when every step passed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from decimal import Decimal
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import Steps, die, load_credentials
from kraken.base_api import SpotClient
from kraken.spot import Market, SpotOrderBookClient, SpotWSClient, Trade, User


def rest_flows(steps: Steps, url: str, key: str, secret: str) -> None:
    # Trade() builds an internal Market() without url= (used by truncate=True): change the
    # class default too, which is the SDK's base URL
    SpotClient.URL = url
    market = Market(url=url)
    user = User(key=key, secret=secret, url=url)
    trade = Trade(key=key, secret=secret, url=url)

    # -- public market data ------------------------------------------------------------
    steps.run("Market.get_system_status", market.get_system_status, lambda r: r["status"] == "online")
    steps.run("Market.get_assets", lambda: market.get_assets(assets=["XBT", "USD"]), lambda r: "XXBT" in r)
    steps.run("Market.get_asset_pairs(XBTUSD)", lambda: market.get_asset_pairs(pair="XBTUSD"),
              lambda r: r["XXBTZUSD"]["wsname"] == "XBT/USD")
    steps.run("Market.get_asset_pairs(BTC/USD)", lambda: market.get_asset_pairs(pair="BTC/USD"),
              lambda r: "pair_decimals" in r["BTC/USD"])
    ticker = steps.run("Market.get_ticker(XBTUSD)", lambda: market.get_ticker(pair="XBTUSD"),
                       lambda r: "a" in r["XXBTZUSD"])
    steps.run("Market.get_ticker([XBTUSD, ETHUSD])", lambda: market.get_ticker(pair=["XBTUSD", "ETHUSD"]),
              lambda r: len(r) == 2)
    steps.run("Market.get_ohlc", lambda: market.get_ohlc(pair="XBTUSD", interval=5), lambda r: "last" in r)
    steps.run("Market.get_order_book", lambda: market.get_order_book(pair="XBTUSD", count=5),
              lambda r: len(r["XXBTZUSD"]["asks"]) == 5)
    steps.run("Market.get_recent_trades", lambda: market.get_recent_trades(pair="XBTUSD"), lambda r: "last" in r)
    steps.run("Market.get_recent_spreads", lambda: market.get_recent_spreads(pair="XBTUSD"), lambda r: "last" in r)
    steps.run("Market.request(Time)", lambda: market.request("GET", "/0/public/Time", auth=False),
              lambda r: "unixtime" in r)

    # -- balances and account -------------------------------------------------------------
    steps.run("User.get_account_balance", user.get_account_balance, lambda r: "ZUSD" in r)
    steps.run("User.get_balances", user.get_balances, lambda r: "ZUSD" in r)
    steps.run("User.get_balance(USD)", lambda: user.get_balance(currency="USD"), lambda r: "available_balance" in r)
    steps.run("User.get_trade_balance", user.get_trade_balance, lambda r: "eb" in r)
    steps.run("User.get_trade_volume", lambda: user.get_trade_volume(pair="XBTUSD"), lambda r: "fees" in r)

    # -- orders -----------------------------------------------------------------------------
    if not ticker:
        return
    bid = Decimal(ticker["XXBTZUSD"]["b"][0])
    far = str((bid * Decimal("0.8")).quantize(Decimal("0.1")))
    steps.run("Trade.create_order(validate)",
              lambda: trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.01",
                                         price=far, validate=True),
              lambda r: "descr" in r and "txid" not in r)
    placed = steps.run("Trade.create_order(limit post, userref)",
                       lambda: trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.01",
                                                  price=far, oflags=["post"], userref=42, timeinforce="GTC"),
                       lambda r: len(r["txid"]) == 1)
    txid = placed["txid"][0] if placed else None
    steps.run("Trade.create_order(truncate=True)",
              lambda: trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume=0.0123456789,
                                         price=float(far) + 0.0123, truncate=True,
                                         cl_ord_id="fid-sdk-" + str(int(time.time()))),
              lambda r: len(r["txid"]) == 1)
    steps.run("Trade.create_order(market)",
              lambda: trade.create_order(ordertype="market", side="buy", pair="XBTUSD", volume="0.001"),
              lambda r: len(r["txid"]) == 1)
    steps.run("Trade.create_order(stop-loss-limit, close[...])",
              lambda: trade.create_order(ordertype="stop-loss-limit", side="sell", pair="XBTUSD", volume="0.001",
                                         price=far, price2=far, trigger="last",
                                         close_ordertype="limit", close_price=str(bid)),
              lambda r: len(r["txid"]) == 1)
    if txid:
        steps.run("User.get_open_orders", user.get_open_orders, lambda r: txid in r["open"])
        steps.run("User.get_open_orders(userref)", lambda: user.get_open_orders(userref=42),
                  lambda r: txid in r["open"])
        steps.run("User.get_orders_info", lambda: user.get_orders_info(txid=txid), lambda r: txid in r)
        steps.run("User.get_orders_info([..])", lambda: user.get_orders_info(txid=[txid, txid], trades=True),
                  lambda r: txid in r)
        steps.run("Trade.amend_order", lambda: trade.amend_order(txid=txid, order_qty="0.02"),
                  lambda r: "amend_id" in r)
        steps.run("User.get_order_amends", lambda: user.get_order_amends(order_id=txid), lambda r: r["count"] >= 2)
        edited = steps.run("Trade.edit_order", lambda: trade.edit_order(txid=txid, pair="XBTUSD", volume="0.015"),
                           lambda r: "txid" in r)
        new_txid = edited["txid"] if edited else txid
        steps.run("Trade.cancel_order(txid)", lambda: trade.cancel_order(txid=new_txid), lambda r: r["count"] == 1)
    steps.run("Trade.cancel_order(userref as txid)",
              lambda: (trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.01",
                                          price=far, userref=4242),
                       trade.cancel_order(txid=4242))[1],
              lambda r: r["count"] == 1)
    batch = steps.run("Trade.create_order_batch",
                      lambda: trade.create_order_batch(
                          pair="XBTUSD",
                          orders=[{"ordertype": "limit", "type": "buy", "volume": "0.01", "price": far,
                                   "timeinforce": "GTC"},
                                  {"ordertype": "limit", "type": "buy", "volume": "0.02", "price": far,
                                   "oflags": "post", "userref": 7}]),
                      lambda r: len(r["orders"]) == 2)
    if batch:
        ids = [o["txid"] for o in batch["orders"]]
        steps.run("Trade.cancel_order_batch", lambda: trade.cancel_order_batch(orders=ids),
                  lambda r: r["count"] == 2)
    steps.run("Trade.cancel_all_orders_after_x(60)", lambda: trade.cancel_all_orders_after_x(timeout=60),
              lambda r: "triggerTime" in r)
    steps.run("Trade.cancel_all_orders_after_x(0)", lambda: trade.cancel_all_orders_after_x(timeout=0),
              lambda r: r["triggerTime"] == "0")
    steps.run("Trade.cancel_all_orders", trade.cancel_all_orders, lambda r: "count" in r)
    steps.run("User.get_closed_orders", lambda: user.get_closed_orders(trades=True), lambda r: r["count"] >= 1)
    steps.run("User.get_trades_history", user.get_trades_history, lambda r: r["count"] >= 1)
    steps.run("User.get_ledgers_info", lambda: user.get_ledgers_info(asset="XBT,USD"), lambda r: "ledger" in r)
    # the SDK's default consolidation="market" gets a list (one entry per pair and side), as at Kraken
    steps.run("User.get_open_positions", user.get_open_positions, lambda r: r == [])
    # -- margin and trailing stops (issue 11, item 4) ------------------------------------------
    time.sleep(6)  # the SDK has no rate limiter: let Kraken's REST counter (pro: 20, -1/s) decay
    opened = steps.run("Trade.create_order(market, leverage=2)",
                       lambda: trade.create_order(ordertype="market", side="buy", pair="XBTUSD", volume="0.01",
                                                  leverage=2),
                       lambda r: r["descr"]["order"].endswith("with 2:1 leverage"))
    steps.run("User.get_open_positions(docalcs, consolidated)", lambda: user.get_open_positions(docalcs=True),
              lambda r: len(r) == 1 and r[0]["type"] == "buy" and "net" in r[0] and r[0]["leverage"] == "2.00000")
    # consolidation=None breaks the SDK's signature (it signs "consolidation=None", requests drops the
    # None); an empty consolidation is the way to ask it for positions one by one
    steps.run("User.get_open_positions(txid, not consolidated)",
              lambda: user.get_open_positions(txid=opened["txid"][0] if opened else "", consolidation=""),
              lambda r: r and all(p["posstatus"] == "open" for p in r.values()))
    steps.run("User.get_trade_balance (margin level)", user.get_trade_balance,
              lambda r: float(r["m"]) > 0 and float(r["ml"]) > 100)
    steps.run("Trade.create_order(trailing-stop +1%, reduce_only, trigger=index)",
              lambda: trade.create_order(ordertype="trailing-stop", side="sell", pair="XBTUSD", volume="0.01",
                                         price="+1%", trigger="index", reduce_only=True),
              lambda r: r["descr"]["order"].endswith("trailing stop +1.0000%"))
    steps.run("Trade.create_order(trailing-stop-limit, validate)",
              lambda: trade.create_order(ordertype="trailing-stop-limit", side="sell", pair="XBTUSD",
                                         volume="0.01", price="+100", price2="-20", validate=True),
              lambda r: r["descr"]["order"].endswith("trailing stop +100.0 -> limit -20.0"))
    steps.run("Trade.cancel_all_orders (the trailing stop)", trade.cancel_all_orders, lambda r: r["count"] == 1)
    steps.run("Trade.create_order(settle-position)",
              lambda: trade.create_order(ordertype="settle-position", side="sell", pair="XBTUSD", volume="0",
                                         leverage=2),
              lambda r: len(r["txid"]) == 1)
    steps.run("User.get_open_positions (settled)", lambda: user.get_open_positions(consolidation=""),
              lambda r: r == {})
    steps.run("User.get_ledgers_info(type=settled)", lambda: user.get_ledgers_info(type_="settled"),
              lambda r: len(r["ledger"]) >= 2 and all(e["type"] == "settled" for e in r["ledger"].values()))
    steps.run("error mapping: margin beyond the collateral -> KrakenMarginLevelToLowError",
              lambda: _expect_exc(lambda: trade.create_order(ordertype="market", side="buy", pair="XBTUSD",
                                                             volume="100", leverage=5),
                                  "KrakenMarginLevelToLowError"))
    # an error must arrive as the SDK's exception class
    # EQuery:Unknown asset pair: the SDK's substring lookup picks KrakenUnknownAssetError
    # ("EQuery:Unknown asset" comes first in its table; kraken-protocol.md §1.6) - as with Kraken
    steps.run("error mapping: unknown pair -> KrakenUnknownAsset(Pair)Error",
              lambda: _expect_exc(lambda: trade.create_order(ordertype="limit", side="buy", pair="NOPEUSD",
                                                             volume="1", price="1"),
                                  "KrakenUnknownAssetError"))
    steps.run("error mapping: insufficient funds",
              lambda: _expect_exc(lambda: trade.create_order(ordertype="limit", side="buy", pair="XBTUSD",
                                                             volume="1000", price=far),
                                  "KrakenInsufficientFundsError"))


def _expect_exc(fn: Any, name: str) -> str:
    try:
        answer = fn()
    except Exception as exc:
        if type(exc).__name__ != name:
            raise AssertionError(f"got {type(exc).__name__}: {exc}") from exc
        return name
    raise AssertionError(f"no exception, answer {answer!r}")


async def ws_flows(steps: Steps, url: str, key: str, secret: str, seconds: float) -> None:
    ws = url.replace("http://", "ws://").replace("https://", "wss://")
    messages: list[dict] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, dict):
            messages.append(message)

    # SpotWSClient appends "/v2": the exchange serves /ws/v2 and /ws-auth/v2
    client = SpotWSClient(key=key, secret=secret, callback=on_message, rest_url=url,
                          ws_url=ws + "/ws", auth_ws_url=ws + "/ws-auth")
    await client.start()
    await client.subscribe(params={"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"]}, req_id=1)
    await client.subscribe(params={"channel": "book", "symbol": ["BTC/USD"], "depth": 10}, req_id=2)
    await client.subscribe(params={"channel": "trade", "symbol": ["BTC/USD"]}, req_id=3)
    await client.subscribe(params={"channel": "executions", "snap_orders": True}, req_id=4)
    await client.subscribe(params={"channel": "balances"}, req_id=5)
    await asyncio.sleep(1.5)
    await client.send_message({"method": "add_order", "req_id": 6,
                               "params": {"order_type": "limit", "side": "buy", "order_qty": 0.01,
                                          "symbol": "BTC/USD", "limit_price": 1000.0, "order_userref": 77}})
    await asyncio.sleep(1.0)
    added = [m for m in messages if m.get("method") == "add_order"]
    order_id = added[0]["result"]["order_id"] if added and added[0].get("success") else None
    if order_id:
        await client.send_message({"method": "cancel_order", "req_id": 7, "params": {"order_id": [order_id]}})
    await client.send_message({"method": "ping", "req_id": 8})
    await asyncio.sleep(max(seconds - 2.5, 1.0))
    await client.close()

    def acks(channel: str) -> list[dict]:
        return [m for m in messages if m.get("method") == "subscribe"
                and (m.get("result") or {}).get("channel") == channel]

    steps.run("WS status message", lambda: [m for m in messages if m.get("channel") == "status"][0]["data"][0],
              lambda r: r["system"] == "online")
    steps.run("WS subscribe ticker acks (one per symbol)", lambda: acks("ticker"),
              lambda r: len(r) == 2 and all(a["success"] for a in r))
    steps.run("WS ticker data", lambda: [m for m in messages if m.get("channel") == "ticker"][0]["data"][0],
              lambda r: "bid" in r and "last" in r)
    steps.run("WS book snapshot", lambda: [m for m in messages if m.get("channel") == "book"
                                           and m.get("type") == "snapshot"][0]["data"][0]["checksum"])
    steps.run("WS trade data", lambda: len([m for m in messages if m.get("channel") == "trade"]), lambda n: n > 0)
    steps.run("WS executions snapshot", lambda: [m for m in messages if m.get("channel") == "executions"][0]["type"],
              lambda t: t == "snapshot")
    steps.run("WS balances snapshot", lambda: [m for m in messages if m.get("channel") == "balances"][0]["data"],
              lambda d: any(b["asset"] == "USD" for b in d))
    steps.run("WS add_order", lambda: added[0], lambda r: r["success"] is True)
    steps.run("WS cancel_order", lambda: [m for m in messages if m.get("method") == "cancel_order"][0],
              lambda r: r["success"] is True)
    steps.run("WS pong", lambda: [m for m in messages if m.get("method") == "pong" and m.get("req_id") == 8][0],
              lambda r: r["success"] is True)
    steps.run("WS heartbeat", lambda: len([m for m in messages if m.get("channel") == "heartbeat"]), lambda n: n > 0)
    steps.run("WS no exception in client", lambda: client.exception_occur, lambda r: r is False)


async def orderbook_flow(steps: Steps, url: str, seconds: float) -> None:
    ws = url.replace("http://", "ws://").replace("https://", "wss://")
    SpotClient.URL = url                      # the order book client builds Market() with no url=
    SpotOrderBookClient.WS_URL = ws + "/ws"   # ... and SpotWSClient(...) with no ws_url=
    updates: dict[str, int] = {"BTC/USD": 0, "ETH/USD": 0}
    errors: list[Any] = []

    class Book(SpotOrderBookClient):
        async def on_book_update(self, pair: str, message: dict) -> None:
            if "error" in message:
                errors.append(message)
            else:
                updates[pair] = updates.get(pair, 0) + 1

    for depth in (10, 25):
        updates = {"BTC/USD": 0, "ETH/USD": 0}
        errors.clear()
        book = Book(depth=depth)
        await book.start()
        await book.add_book(pairs=["BTC/USD", "ETH/USD"])
        await asyncio.sleep(seconds)
        snapshot = book.get("BTC/USD")
        await book.close()
        steps.run(f"SpotOrderBookClient depth={depth}: updates received", lambda: dict(updates),
                  lambda u: all(n > 3 for n in u.values()))
        steps.run(f"SpotOrderBookClient depth={depth}: every checksum valid", lambda: errors, lambda e: e == [])
        steps.run(f"SpotOrderBookClient depth={depth}: book filled",
                  lambda: (len(snapshot["ask"]), len(snapshot["bid"])) if snapshot else None,
                  lambda r: r == (depth, depth))


def main() -> int:
    if len(sys.argv) < 3:
        die(f"usage: {sys.argv[0]} BASE_URL CREDENTIALS.json [SECONDS]")
    url = sys.argv[1].rstrip("/")
    key, secret = load_credentials(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 6.0
    steps = Steps("python-kraken-sdk", verbose=bool(os.environ.get("FIDELITY_VERBOSE")))
    rest_flows(steps, url, key, secret)
    asyncio.run(ws_flows(steps, url, key, secret, seconds))
    asyncio.run(orderbook_flow(steps, url, seconds))
    return steps.summary()


if __name__ == "__main__":
    raise SystemExit(main())
