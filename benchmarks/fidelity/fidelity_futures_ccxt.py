"""Fidelity check: ccxt's ``krakenfutures`` and ``ccxt.pro.krakenfutures`` (unmodified) against the local exchange.

Not a test (pytest never collects it). Run by hand with a scratch venv::

    python -m venv /tmp/ccxtvenv && /tmp/ccxtvenv/bin/pip install ccxt
    kraken-ops exchange serve --port 0 --state "$S" --seed 1 &
    kraken-ops exchange account add ccxtf --fund ZUSD=100000 --fund XXBT=5 \
        --print-credentials --state "$S" > /tmp/ccxtf.json
    /tmp/ccxtvenv/bin/python benchmarks/fidelity/fidelity_futures_ccxt.py http://127.0.0.1:PORT /tmp/ccxtf.json

Only base URLs are changed: ``urls['api']['public'|'private']`` = ``BASE/derivatives/api/``,
``['charts']`` = ``BASE/api/charts/``, ``['history']`` = ``BASE/api/history/``,
``['feeschedules']`` = ``BASE/api/feeschedules/`` and, for ccxt.pro, ``['ws']`` =
``ws://HOST:PORT/ws/v1``. The Futures wallet is funded once through ``ccxt.kraken``'s
``transfer`` (Spot WalletTransfer), as a user would. Exit status 0 when every step passed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ccxt
import ccxt.pro
from _harness import Steps, die, load_futures_credentials

SYM = "BTC/USD:USD"      # PF_XBTUSD
INV = "BTC/USD:BTC"      # PI_XBTUSD


def point_at(exchange: Any, url: str) -> Any:
    api = exchange.urls["api"]
    api["public"] = api["private"] = url + "/derivatives/api/"
    api["charts"] = url + "/api/charts/"
    api["history"] = url + "/api/history/"
    api["feeschedules"] = url + "/api/feeschedules/"
    if "ws" in api:
        api["ws"] = url.replace("http://", "ws://").replace("https://", "wss://") + "/ws/v1"
    return exchange


def _expect(fn: Any, cls: type) -> str:
    try:
        fn()
    except cls as exc:
        return f"{type(exc).__name__}: {str(exc)[:80]}"
    raise AssertionError(f"expected {cls.__name__}")


def rest_flows(steps: Steps, url: str, key: str, secret: str, spot_key: str, spot_secret: str) -> None:
    spot = ccxt.kraken({"apiKey": spot_key, "secret": spot_secret})
    spot.urls["api"]["public"] = spot.urls["api"]["private"] = url
    steps.run("(spot ccxt.kraken) transfer USD spot -> future",
              lambda: spot.transfer("USD", 20000, "spot", "future"), lambda r: r["id"])
    steps.run("(spot ccxt.kraken) transfer BTC spot -> future",
              lambda: spot.transfer("BTC", 0.5, "spot", "future"), lambda r: r["id"])

    ex = point_at(ccxt.krakenfutures({"apiKey": key, "secret": secret, "enableRateLimit": False}), url)
    markets = steps.run("load_markets (instruments)", ex.load_markets, lambda m: SYM in m and INV in m)
    if not markets:
        return
    steps.run("market precision", lambda: ex.market(SYM)["precision"], lambda p: p["price"] is not None)
    ticker = steps.run("fetch_ticker", lambda: ex.fetch_ticker(SYM), lambda t: t["bid"] and t["ask"] and t["last"])
    steps.run("fetch_tickers", lambda: ex.fetch_tickers([SYM, INV]), lambda t: len(t) == 2)
    steps.run("fetch_order_book", lambda: ex.fetch_order_book(SYM), lambda b: b["bids"][0][0] < b["asks"][0][0])
    steps.run("fetch_trades", lambda: ex.fetch_trades(SYM), lambda t: len(t) > 0)
    steps.run("fetch_trades(since)", lambda: ex.fetch_trades(SYM, int(time.time() * 1000) - 3600_000),
              lambda t: isinstance(t, list))
    steps.run("fetch_ohlcv(1m)", lambda: ex.fetch_ohlcv(SYM, "1m", limit=5), lambda o: len(o) > 0)
    steps.run("fetch_ohlcv(1h, since)", lambda: ex.fetch_ohlcv(SYM, "1h", int(time.time() * 1000) - 6 * 3600_000),
              lambda o: len(o) > 0)
    steps.run("fetch_mark_ohlcv(1m)", lambda: ex.fetch_mark_ohlcv(SYM, "1m", limit=5), lambda o: len(o) > 0)
    steps.run("fetch_index_ohlcv(1m)", lambda: ex.fetch_index_ohlcv(SYM, "1m", limit=5), lambda o: len(o) > 0)
    # the ticker's fundingRate is absolute (USD a contract pays an hour); ccxt divides it by the
    # mark price, so a relative rate of a few 1e-5 must come out (issue 11: it was relative before)
    steps.run("fetch_funding_rates", lambda: ex.fetch_funding_rates([SYM]),
              lambda r: SYM in r and abs(r[SYM]["fundingRate"]) < 0.001 and r[SYM]["interval"] == "1h")
    steps.run("fetch_funding_rate_history", lambda: ex.fetch_funding_rate_history(SYM), lambda r: len(r) > 0)
    steps.run("fetch_trading_fees", ex.fetch_trading_fees, lambda r: SYM in r)
    steps.run("fetch_leverage_tiers", lambda: ex.fetch_leverage_tiers([SYM]), lambda r: len(r[SYM]) > 0)

    steps.run("fetch_balance", ex.fetch_balance, lambda b: b["USD"]["total"] >= 20000)
    steps.run("fetch_balance(type=cash)", lambda: ex.fetch_balance({"type": "cash"}), lambda b: "info" in b)
    steps.run("transfer BTC flex -> fi_xbtusd", lambda: ex.transfer("BTC", 0.2, "flex", "fi_xbtusd"),
              lambda r: r["status"])
    # ccxt maps a margin symbol to 'fi_' + the id's second part: 'fi_xbtusd' for Kraken's lower-case
    # 'pi_xbtusd', 'fi_XBTUSD' for the exchange's 'PI_XBTUSD' (a known difference, see the docs),
    # so the account is named directly
    steps.run("fetch_balance(type=fi_xbtusd)", lambda: ex.fetch_balance({"type": "fi_xbtusd"}),
              lambda b: b["BTC"]["total"] >= 0.2)
    steps.run("set_leverage(5)", lambda: ex.set_leverage(5, SYM), lambda r: r["result"] == "success")
    steps.run("fetch_leverage", lambda: ex.fetch_leverage(SYM), lambda r: r["longLeverage"] == 5)
    steps.run("set_leverage(cross: maxLeverage omitted) via privatePutLeveragepreferences",
              lambda: ex.privatePutLeveragepreferences({"symbol": "PF_XBTUSD"}), lambda r: r["result"] == "success")
    if not ticker:
        return
    far = float(ex.price_to_precision(SYM, ticker["bid"] * 0.8))
    high = float(ex.price_to_precision(SYM, ticker["ask"] * 1.2))
    cli = f"ccxt-{uuid.uuid4().hex[:12]}"
    order = steps.run("create_order(limit, clientOrderId)",
                      lambda: ex.create_order(SYM, "limit", "buy", 0.01, far, {"clientOrderId": cli}),
                      lambda o: o["id"] and o["status"] == "open")
    steps.run("create_order(limit, postOnly)",
              lambda: ex.create_order(SYM, "limit", "buy", 0.01, far, {"postOnly": True}), lambda o: o["id"])
    steps.run("create_order(limit, timeInForce=IOC, crossing)",
              lambda: ex.create_order(SYM, "limit", "buy", 0.01, high, {"timeInForce": "IOC"}), lambda o: o["id"])
    steps.run("create_order(market buy)", lambda: ex.create_order(SYM, "market", "buy", 0.02), lambda o: o["id"])
    steps.run("create_order(stop-market via triggerPrice, reduceOnly)",
              lambda: ex.create_order(SYM, "market", "sell", 0.01, None, {"triggerPrice": far, "reduceOnly": True}),
              lambda o: o["id"])
    steps.run("create_order(stop-limit via stopLossPrice)",
              lambda: ex.create_order(SYM, "limit", "sell", 0.01, far - 10, {"stopLossPrice": far}),
              lambda o: o["id"])
    steps.run("create_order(take-profit via takeProfitPrice, triggerSignal=last)",
              lambda: ex.create_order(SYM, "market", "sell", 0.01, None,
                                      {"takeProfitPrice": high, "triggerSignal": "last"}), lambda o: o["id"])
    steps.run("create_order(inverse PI_XBTUSD limit)", lambda: ex.create_order(INV, "limit", "buy", 1, far),
              lambda o: o["id"])
    if order:
        oid = order["id"]
        steps.run("fetch_open_orders", lambda: ex.fetch_open_orders(SYM), lambda o: any(x["id"] == oid for x in o))
        steps.run("fetch_orders (orders/status without ids: open orders)", lambda: ex.fetch_orders(SYM),
                  lambda o: any(x["id"] == oid for x in o))
        steps.run("fetch_order (orders/status)", lambda: ex.fetch_order(oid, SYM),
                  lambda o: o["id"] == oid and o["status"] == "open")
        steps.run("edit_order", lambda: ex.edit_order(oid, SYM, "limit", "buy", 0.02, far - 1),
                  lambda o: o["id"] == oid)
        steps.run("fetch_order(after edit)", lambda: ex.fetch_order(oid, SYM), lambda o: o["amount"] == 0.02)
        steps.run("cancel_order", lambda: ex.cancel_order(oid, SYM), lambda o: o["id"] == oid)
        steps.run("fetch_order(after cancel)", lambda: ex.fetch_order(oid, SYM), lambda o: o["status"] == "canceled")
    steps.run("cancel_order(unknown) -> OrderNotFound",
              lambda: _expect(lambda: ex.cancel_order(str(uuid.uuid4()), SYM), ccxt.OrderNotFound))
    batch = steps.run("create_orders (batchorder)", lambda: ex.create_orders([
        {"symbol": SYM, "type": "limit", "side": "buy", "amount": 0.01, "price": far},
        {"symbol": SYM, "type": "limit", "side": "buy", "amount": 0.02, "price": far,
         "params": {"clientOrderId": f"ccxtb-{uuid.uuid4().hex[:8]}"}}]),
        lambda o: len(o) == 2 and all(x["id"] for x in o))
    if batch:
        steps.run("cancel_orders (batchorder cancel)", lambda: ex.cancel_orders([o["id"] for o in batch], SYM),
                  lambda r: len(r) == 2)
    steps.run("cancel_all_orders_after(60s)", lambda: ex.cancel_all_orders_after(60000),
              lambda r: r["status"]["triggerTime"] != "0")
    steps.run("cancel_all_orders_after(0)", lambda: ex.cancel_all_orders_after(0),
              lambda r: r["status"]["triggerTime"] == "0")
    steps.run("cancel_all_orders(symbol)", lambda: ex.cancel_all_orders(SYM))
    steps.run("cancel_all_orders()", lambda: ex.cancel_all_orders())
    steps.run("fetch_open_orders (empty)", lambda: ex.fetch_open_orders(), lambda o: o == [])
    steps.run("fetch_positions", lambda: ex.fetch_positions(),
              lambda p: any(x["symbol"] == SYM and x["side"] == "long" for x in p))
    steps.run("create_order(market sell reduceOnly: close)",
              lambda: ex.create_order(SYM, "market", "sell", 0.02, None, {"reduceOnly": True}), lambda o: o["id"])
    steps.run("fetch_my_trades (fills)", lambda: ex.fetch_my_trades(SYM), lambda t: len(t) >= 2)
    steps.run("fetch_closed_orders (history)", lambda: ex.fetch_closed_orders(SYM), lambda o: len(o) > 0)
    steps.run("fetch_canceled_orders (history)", lambda: ex.fetch_canceled_orders(SYM), lambda o: len(o) > 0)
    steps.run("fetch_ledger (account-log)", lambda: ex.fetch_ledger(), lambda t: len(t) > 0)
    steps.run("fetch_funding_history (account-log)", lambda: ex.fetch_funding_history(SYM), lambda t: isinstance(t, list))
    steps.run("transfer USD flex -> cash", lambda: ex.transfer("USD", 100, "flex", "cash"), lambda r: r["status"])
    steps.run("transfer USD cash -> spot (withdrawal)", lambda: ex.transfer("USD", 50, "cash", "spot"),
              lambda r: r["status"])
    steps.run("error mapping: insufficient funds -> InsufficientFunds",
              lambda: _expect(lambda: ex.create_order(SYM, "limit", "buy", 900, far), ccxt.InsufficientFunds))
    steps.run("error mapping: bad key -> AuthenticationError",
              lambda: _expect(lambda: point_at(ccxt.krakenfutures({"apiKey": "x" * 56, "secret": secret}), url)
                              .fetch_balance(), ccxt.AuthenticationError))


async def ws_flows(steps: Steps, url: str, key: str, secret: str, seconds: float) -> None:
    ex = point_at(ccxt.pro.krakenfutures({"apiKey": key, "secret": secret}), url)
    rest = point_at(ccxt.krakenfutures({"apiKey": key, "secret": secret}), url)
    try:
        await ex.load_markets()

        async def step(name: str, coro: Any, check: Any) -> Any:
            try:
                value = await asyncio.wait_for(coro, seconds)
            except Exception as exc:  # noqa: BLE001
                steps.fail(name, exc)
                return None
            return steps.run(name, lambda: value, check)

        await step("watch_ticker", ex.watch_ticker(SYM), lambda t: t["bid"] and t["ask"])
        await step("watch_tickers", ex.watch_tickers([SYM, "ETH/USD:USD"]), lambda t: len(t) >= 1)
        await step("watch_bids_asks (ticker_lite)", ex.watch_bids_asks([SYM]), lambda t: SYM in t)
        book = await step("watch_order_book", ex.watch_order_book(SYM),
                          lambda b: len(b["bids"]) >= 10 and b["bids"][0][0] < b["asks"][0][0])
        if book is not None:
            first_ts = book["timestamp"]
            await step("watch_order_book (deltas applied)", ex.watch_order_book(SYM),
                       lambda b: b["timestamp"] != first_ts and b["bids"][0][0] < b["asks"][0][0])
        await step("watch_trades", ex.watch_trades(SYM), lambda t: len(t) > 0)
        await step("watch_balance", ex.watch_balance(), lambda b: "info" in b)
        positions = ex.watch_positions()
        await asyncio.sleep(0.3)
        far = float(rest.price_to_precision(SYM, rest.fetch_ticker(SYM)["bid"] * 0.8))
        orders = ex.watch_orders(SYM)
        trades = ex.watch_my_trades(SYM)
        await asyncio.sleep(0.5)
        placed = rest.create_order(SYM, "limit", "buy", 0.01, far)
        await step("watch_orders (open_orders feed)", orders, lambda o: any(x["id"] == placed["id"] for x in o))
        rest.create_order(SYM, "market", "buy", 0.01)
        await step("watch_my_trades (fills feed)", trades, lambda t: len(t) > 0)
        await step("watch_positions (open_positions feed)", positions, lambda p: isinstance(p, list))
        rest.cancel_all_orders()
        rest.create_order(SYM, "market", "sell", 0.01, None, {"reduceOnly": True})
    finally:
        await ex.close()


def main() -> int:
    if len(sys.argv) < 3:
        die(f"usage: {sys.argv[0]} BASE_URL CREDENTIALS.json [SECONDS]")
    url = sys.argv[1].rstrip("/")
    key, secret, spot_key, spot_secret = load_futures_credentials(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 8.0
    steps = Steps(f"ccxt {ccxt.__version__} krakenfutures", verbose=bool(os.environ.get("FIDELITY_VERBOSE")))
    rest_flows(steps, url, key, secret, spot_key, spot_secret)
    asyncio.run(ws_flows(steps, url, key, secret, seconds))
    return steps.summary()


if __name__ == "__main__":
    raise SystemExit(main())
