"""Fidelity check: ccxt (unmodified ``ccxt.kraken`` and ``ccxt.pro.kraken``) against the local exchange.

Not a test (pytest never collects it). Run by hand with a scratch venv::

    python -m venv /tmp/ccxtvenv && /tmp/ccxtvenv/bin/pip install ccxt
    kraken-ops exchange serve --port 0 --state "$S" --seed 1 &
    kraken-ops exchange account add ccxt1 --fund ZUSD=100000 --fund XXBT=5 \
        --print-credentials --state "$S" > /tmp/ccxt1.json
    /tmp/ccxtvenv/bin/python benchmarks/fidelity/fidelity_ccxt.py http://127.0.0.1:PORT /tmp/ccxt1.json

Only base URLs are changed: ``urls['api']['public'|'private']`` (ccxt appends
``/0/public/...`` itself) and ``urls['api']['ws'][...]`` for ccxt.pro. ccxt's own book
checksum option is broken for v2 (see ws_flows), so the script checks every book
message's CRC32 against the book ccxt maintained. Exit status 0 when every step passed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import zlib
from decimal import Decimal
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ccxt
import ccxt.pro
from _harness import Steps, die, load_credentials


def point_at(exchange: Any, url: str) -> Any:
    ws = url.replace("http://", "ws://").replace("https://", "wss://")
    exchange.urls["api"]["public"] = url
    exchange.urls["api"]["private"] = url
    if "ws" in exchange.urls["api"]:
        exchange.urls["api"]["ws"].update({
            "public": ws + "/ws", "private": ws + "/ws-auth",          # v1 (not served: see docs)
            "publicV2": ws + "/ws/v2", "privateV2": ws + "/ws-auth/v2",
        })
    return exchange


def rest_flows(steps: Steps, url: str, key: str, secret: str) -> None:
    ex = point_at(ccxt.kraken({"apiKey": key, "secret": secret, "enableRateLimit": False}), url)
    sym = "BTC/USD"
    steps.run("load_markets", ex.load_markets, lambda m: sym in m and "ETH/BTC" in m)
    steps.run("market precision", lambda: ex.market(sym)["precision"], lambda p: p["price"] is not None)
    steps.run("fetch_currencies", ex.fetch_currencies, lambda c: "BTC" in c and "USD" in c)
    steps.run("fetch_time", ex.fetch_time, lambda t: abs(t - time.time() * 1000) < 10**8)
    steps.run("fetch_status", ex.fetch_status, lambda s: s["status"] == "ok")
    ticker = steps.run("fetch_ticker", lambda: ex.fetch_ticker(sym), lambda t: t["bid"] and t["ask"] and t["last"])
    steps.run("fetch_tickers", lambda: ex.fetch_tickers([sym, "ETH/USD"]), lambda t: len(t) == 2)
    steps.run("fetch_tickers(all)", ex.fetch_tickers, lambda t: sym in t)
    steps.run("fetch_order_book", lambda: ex.fetch_order_book(sym, 10),
              lambda b: len(b["bids"]) == 10 and b["bids"][0][0] < b["asks"][0][0])
    steps.run("fetch_trades", lambda: ex.fetch_trades(sym), lambda t: len(t) > 0)
    steps.run("fetch_ohlcv", lambda: ex.fetch_ohlcv(sym, "1m", limit=5), lambda o: len(o) > 0)
    steps.run("fetch_ohlcv(1h)", lambda: ex.fetch_ohlcv(sym, "1h"), lambda o: len(o) > 0)
    steps.run("fetch_balance", ex.fetch_balance, lambda b: b["USD"]["total"] > 0 and "BTC" in b)
    steps.run("fetch_trading_fee", lambda: ex.fetch_trading_fee(sym), lambda f: f["taker"] is not None)
    if not ticker:
        return
    far = float(ex.price_to_precision(sym, ticker["bid"] * 0.8))
    order = steps.run("create_order(limit)", lambda: ex.create_order(sym, "limit", "buy", 0.01, far),
                      lambda o: o["id"])
    steps.run("create_order(limit, postOnly, clientOrderId)",
              lambda: ex.create_order(sym, "limit", "buy", 0.01, far,
                                      {"postOnly": True, "clientOrderId": f"ccxt-{int(time.time())}"}),
              lambda o: o["id"])
    steps.run("create_order(market)", lambda: ex.create_order(sym, "market", "buy", 0.001), lambda o: o["id"])
    steps.run("create_order(market sell)", lambda: ex.create_order(sym, "market", "sell", 0.001), lambda o: o["id"])
    steps.run("create_order(stop-loss-limit via stopLossPrice)",
              lambda: ex.create_order(sym, "limit", "sell", 0.001, far, {"stopLossPrice": far}),
              lambda o: o["id"])
    steps.run("create_order(take-profit via takeProfitPrice)",
              lambda: ex.create_order(sym, "market", "sell", 0.001, None, {"takeProfitPrice": far * 1.5}),
              lambda o: o["id"])
    steps.run("create_order(limit, timeInForce IOC)",
              lambda: ex.create_order(sym, "limit", "buy", 0.01, far, {"timeInForce": "IOC"}),
              lambda o: o["id"])
    if order:
        oid = order["id"]
        steps.run("fetch_order", lambda: ex.fetch_order(oid, sym), lambda o: o["id"] == oid and o["status"] == "open")
        steps.run("fetch_orders_by_ids", lambda: ex.fetch_orders_by_ids([oid]), lambda o: o[0]["id"] == oid)
        steps.run("fetch_open_orders", lambda: ex.fetch_open_orders(sym), lambda o: any(x["id"] == oid for x in o))
        # ccxt's edit_order uses AmendOrder, whose answer is only {"amend_id"}: the order keeps its txid
        steps.run("edit_order (AmendOrder)", lambda: ex.edit_order(oid, sym, "limit", "buy", 0.02, far),
                  lambda o: o["info"]["amend_id"])
        steps.run("fetch_order(after amend)", lambda: ex.fetch_order(oid, sym), lambda o: o["amount"] == 0.02)
        steps.run("cancel_order", lambda: ex.cancel_order(oid, sym))
        steps.run("fetch_order(after cancel)", lambda: ex.fetch_order(oid, sym),
                  lambda o: o["status"] == "canceled")
    batch = steps.run("create_orders (AddOrderBatch)",
                      lambda: ex.create_orders([
                          {"symbol": sym, "type": "limit", "side": "buy", "amount": 0.01, "price": far},
                          {"symbol": sym, "type": "limit", "side": "buy", "amount": 0.02, "price": far}]),
                      lambda o: len(o) == 2 and all(x["id"] for x in o))
    if batch:
        steps.run("cancel_orders (CancelOrderBatch)", lambda: ex.cancel_orders([o["id"] for o in batch], sym))
    steps.run("cancel_all_orders_after(60s)", lambda: ex.cancel_all_orders_after(60000))
    steps.run("cancel_all_orders_after(0)", lambda: ex.cancel_all_orders_after(0))
    steps.run("cancel_all_orders", lambda: ex.cancel_all_orders())
    steps.run("fetch_open_orders (empty)", lambda: ex.fetch_open_orders(sym), lambda o: o == [])
    steps.run("fetch_closed_orders", lambda: ex.fetch_closed_orders(sym), lambda o: len(o) > 0)
    steps.run("fetch_my_trades", lambda: ex.fetch_my_trades(sym), lambda t: len(t) > 0)
    steps.run("fetch_ledger", lambda: ex.fetch_ledger("USD"), lambda t: len(t) > 0)
    steps.run("fetch_deposit_methods", lambda: ex.fetch_deposit_methods("BTC"), lambda m: len(m) > 0)
    steps.run("error mapping: insufficient funds -> InsufficientFunds",
              lambda: _expect(lambda: ex.create_order(sym, "limit", "buy", 1000, far), ccxt.InsufficientFunds))
    steps.run("error mapping: unknown order -> OrderNotFound",
              lambda: _expect(lambda: ex.cancel_order("OAAAAA-BBBBB-CCCCCC", sym), ccxt.OrderNotFound))
    steps.run("error mapping: bad key -> AuthenticationError",
              lambda: _expect(lambda: point_at(ccxt.kraken({"apiKey": "x" * 56, "secret": secret}), url)
                              .fetch_balance(), ccxt.AuthenticationError))


def margin_flows(steps: Steps, url: str, key: str, secret: str) -> None:
    """Margin orders, reduceOnly, trailing stops and positions (issue 11, item 4)."""
    ex = point_at(ccxt.kraken({"apiKey": key, "secret": secret, "enableRateLimit": False}), url)
    sym = "BTC/USD"
    ex.load_markets()
    opened = steps.run("create_order(market, leverage 2)",
                       lambda: ex.create_order(sym, "market", "buy", 0.01, None, {"leverage": 2}),
                       lambda o: o["id"])
    steps.run("fetch_positions", lambda: ex.fetch_positions([sym]),
              lambda ps: len(ps) == 1 and ps[0]["side"] == "long" and ps[0]["contracts"] == 0.01
              and ps[0]["leverage"] == 2 and ps[0]["unrealizedPnl"] is not None and ps[0]["initialMargin"] > 0)
    if opened:
        steps.run("fetch_order(margin)", lambda: ex.fetch_order(opened["id"], sym),
                  lambda o: o["info"]["descr"]["leverage"] == "2:1" and o["status"] == "closed")
    steps.run("fetch_balance(with a position: the balance moved only by fees)", ex.fetch_balance,
              lambda b: b["USD"]["total"] > 0 and "BTC" in b)
    ticker = ex.fetch_ticker(sym)
    trail = steps.run("create_order(trailingAmount, reduceOnly)",
                      lambda: ex.create_order(sym, "market", "sell", 0.01, None,
                                              {"trailingAmount": 500, "reduceOnly": True}),
                      lambda o: o["id"])
    if trail:
        steps.run("fetch_order(trailing-stop)", lambda: ex.fetch_order(trail["id"], sym),
                  lambda o: o["info"]["descr"]["ordertype"] == "trailing-stop" and o["info"]["descr"]["price"] ==
                  "+500.0" and o["info"]["reduce_only"] is True)
        steps.run("cancel_order(trailing-stop)", lambda: ex.cancel_order(trail["id"], sym))
    pct = steps.run("create_order(trailingPercent, trigger index)",
                    lambda: ex.create_order(sym, "market", "sell", 0.01, None,
                                            {"trailingPercent": 2, "trigger": "index", "reduceOnly": True}),
                    lambda o: o["id"])
    if pct:
        steps.run("fetch_order(trailing percent)", lambda: ex.fetch_order(pct["id"], sym),
                  lambda o: o["info"]["descr"]["price"] == "+2.0000%" and o["info"]["trigger"] == "index")
        steps.run("cancel_order(trailing percent)", lambda: ex.cancel_order(pct["id"], sym))
    limit = steps.run("create_order(trailing-stop-limit: trailingAmount + trailingLimitAmount)",
                      lambda: ex.create_order(sym, "limit", "sell", 0.01, None,
                                              {"trailingAmount": 300, "trailingLimitAmount": 50, "reduceOnly": True}),
                      lambda o: o["id"])
    if limit:
        steps.run("fetch_order(trailing-stop-limit)", lambda: ex.fetch_order(limit["id"], sym),
                  lambda o: o["info"]["descr"]["order"].endswith("trailing stop +300.0 -> limit -50.0"))
        steps.run("cancel_order(trailing-stop-limit)", lambda: ex.cancel_order(limit["id"], sym))
    steps.run("create_order(limit at a relative price, leverage 3)",
              lambda: ex.create_order(sym, "limit", "buy", 0.01, None, {"leverage": 3, "price": "-5%"}),
              lambda o: o["id"])
    steps.run("cancel_all_orders", lambda: ex.cancel_all_orders())
    steps.run("create_order(market, reduceOnly) closes the position",
              lambda: ex.create_order(sym, "market", "sell", 0.05, None, {"reduceOnly": True}),
              lambda o: o["id"])
    steps.run("fetch_positions (none left)", lambda: ex.fetch_positions([sym]), lambda ps: ps == [])
    steps.run("fetch_ledger(margin entries)", lambda: ex.fetch_ledger("USD"),
              lambda ls: any(e["info"]["type"] == "margin" for e in ls))
    steps.run("create_order(short, leverage 2) and fetch_positions",
              lambda: (ex.create_order(sym, "market", "sell", 0.01, None, {"leverage": 2}),
                       ex.fetch_positions([sym]))[1],
              lambda ps: len(ps) == 1 and ps[0]["side"] == "short")
    steps.run("create_order(reduceOnly buy) closes the short",
              lambda: ex.create_order(sym, "market", "buy", 0.01, None, {"reduceOnly": True}), lambda o: o["id"])
    steps.run("error mapping: reduceOnly without a position",
              lambda: _expect(lambda: ex.create_order(sym, "market", "sell", 0.01, None, {"reduceOnly": True}),
                              ccxt.ExchangeError))
    del ticker


def _expect(fn: Any, cls: type) -> str:
    try:
        answer = fn()
    except cls as exc:
        return f"{type(exc).__name__}: {exc}"[:120]
    raise AssertionError(f"no {cls.__name__}, answer {answer!r}")


async def ws_flows(steps: Steps, url: str, key: str, secret: str, seconds: float) -> None:
    # ccxt's own checksum option (options.watchOrderBook.checksum) cannot work with any v2
    # server: its format_number() calls str.split on the float prices it stores, so the
    # receive loop dies. We leave it off (ccxt's default) and check every book message's
    # CRC32 against the book ccxt maintained, by observing handle_order_book.
    ex = point_at(ccxt.pro.kraken({"apiKey": key, "secret": secret}), url)
    sym = "BTC/USD"
    checks = {"ok": 0, "bad": 0}
    original = ex.handle_order_book

    def observing_handle_order_book(client: Any, message: dict) -> Any:
        result = original(client, message)
        first = (message.get("data") or [{}])[0]
        book = ex.orderbooks.get(first.get("symbol"))
        if book is not None and first.get("checksum") is not None:
            market = ex.market(first["symbol"])
            ok = book_crc(book, market) == first["checksum"]
            checks["ok" if ok else "bad"] += 1
        return result

    ex.handle_order_book = observing_handle_order_book
    try:
        await ex.load_markets()

        async def watch_book(sym: str, depth: int) -> dict[str, Any]:
            seen = 0
            deadline = time.monotonic() + seconds
            book: Any = None
            while time.monotonic() < deadline:
                book = await ex.watch_order_book(sym, depth)
                seen += 1
            return {"updates": seen, "asks": len(book["asks"]), "bids": len(book["bids"]),
                    "best": [book["bids"][0][0], book["asks"][0][0]], "crc": dict(checks)}

        print("   (watching the book for", seconds, "s per depth)", flush=True)
        # one depth per symbol: ccxt does not resubscribe a symbol it already watches
        for book_sym, depth in (("BTC/USD", 10), ("ETH/USD", 25)):
            checks.update(ok=0, bad=0)
            try:
                result = await watch_book(book_sym, depth)
                steps.run(f"pro.watch_order_book({book_sym}, {depth}): updates, full depth, all CRC32 match", lambda: result,
                          lambda r: r["updates"] > 3 and r["asks"] == depth and r["bids"] == depth
                          and r["crc"]["bad"] == 0 and r["crc"]["ok"] > 3)
            except Exception as exc:
                steps.fail(f"pro.watch_order_book({book_sym}, {depth})", exc)
        try:
            t = await ex.watch_ticker(sym)
            steps.run("pro.watch_ticker", lambda: t, lambda r: r["bid"] and r["ask"])
        except Exception as exc:
            steps.fail("pro.watch_ticker", exc)
        try:
            tr = await ex.watch_trades(sym)
            steps.run("pro.watch_trades", lambda: len(tr), lambda n: n > 0)
        except Exception as exc:
            steps.fail("pro.watch_trades", exc)
        ticker = await ex.fetch_ticker(sym)
        far = float(ex.price_to_precision(sym, ticker["bid"] * 0.8))
        try:
            bal = await asyncio.wait_for(ex.watch_balance(), 10)
            steps.run("pro.watch_balance (balances channel)", lambda: bal, lambda b: b["USD"]["total"] > 0)
        except Exception as exc:
            steps.fail("pro.watch_balance (balances channel)", exc)
        orders_task = asyncio.ensure_future(ex.watch_orders(sym))
        trades_task = asyncio.ensure_future(ex.watch_my_trades(sym))
        await asyncio.sleep(1.0)
        try:
            await ex.create_order(sym, "market", "buy", 0.001)
            got = await asyncio.wait_for(orders_task, 10)
            steps.run("pro.watch_orders (executions channel)", lambda: got, lambda o: len(o) > 0 and o[0]["id"])
            mine = await asyncio.wait_for(trades_task, 10)
            steps.run("pro.watch_my_trades (executions channel)", lambda: mine, lambda t: len(t) > 0)
        except Exception as exc:
            steps.fail("pro.watch_orders/watch_my_trades", exc)
        try:
            o = await ex.create_order_ws(sym, "limit", "buy", 0.01, far)
            steps.run("pro.create_order_ws (add_order)", lambda: o, lambda r: r["id"])
            c = await ex.cancel_order_ws(o["id"])
            steps.run("pro.cancel_order_ws (cancel_order)", lambda: c)
        except Exception as exc:
            steps.fail("pro.create/cancel_order_ws", exc)
        try:
            n = await ex.cancel_all_orders_ws()
            steps.run("pro.cancel_all_orders_ws (cancel_all)", lambda: n)
        except Exception as exc:
            steps.fail("pro.cancel_all_orders_ws (cancel_all)", exc)
    finally:
        await ex.close()


def book_crc(book: Any, market: dict) -> int:
    """Kraken's v2 book checksum (kraken-protocol.md §4.6) over ccxt's maintained book."""
    pd = _decimals(market["precision"]["price"])
    qd = _decimals(market["precision"]["amount"])

    def token(value: float, decimals: int) -> str:
        return format(Decimal(repr(value)), f".{decimals}f").replace(".", "").lstrip("0")

    payload = "".join(token(p, pd) + token(q, qd) for p, q, *_ in list(book["asks"])[:10])
    payload += "".join(token(p, pd) + token(q, qd) for p, q, *_ in list(book["bids"])[:10])
    return zlib.crc32(payload.encode()) & 0xFFFFFFFF


def _decimals(tick: float) -> int:
    return max(0, -Decimal(repr(tick)).normalize().as_tuple().exponent)


def main() -> int:
    if len(sys.argv) < 3:
        die(f"usage: {sys.argv[0]} BASE_URL CREDENTIALS.json [SECONDS]")
    url = sys.argv[1].rstrip("/")
    key, secret = load_credentials(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    steps = Steps(f"ccxt {ccxt.__version__}", verbose=bool(os.environ.get("FIDELITY_VERBOSE")))
    rest_flows(steps, url, key, secret)
    margin_flows(steps, url, key, secret)
    asyncio.run(ws_flows(steps, url, key, secret, seconds))
    return steps.summary()


if __name__ == "__main__":
    raise SystemExit(main())
