"""Fidelity check: EVERY unified method ccxt offers for Kraken, against a local exchange it starts.

Not a test (pytest never collects it: ccxt is never a dependency). Run with a scratch venv::

    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install ccxt==4.5.90
    /tmp/refvenv/bin/python benchmarks/fidelity/fidelity_ccxt_unified.py [--kraken-ops PATH] [--seconds N]
        [--only kraken,pro.kraken,krakenfutures,pro.krakenfutures] [-v]

The method lists are not hand-made: they are ccxt's own ``exchange.has`` entries that are
``True`` or ``'emulated'`` for ``ccxt.kraken``, ``ccxt.krakenfutures``, ``ccxt.pro.kraken`` and
``ccxt.pro.krakenfutures`` (feature flags such as ``spot`` or ``swap`` left out). Each client
runs the same flows against its own funded account: public data, funding, every order type
(limit, market, by cost, stop, stop-limit, take-profit, trailing amount and percent, margin
with leverage, reduce-only, post-only, batches), fetch/edit/cancel of what it created,
positions and their history, and (ccxt.pro) every watch method with a timeout and the
WebSocket trading methods. The pro clients run the REST flows too, through ccxt's async code.

A method counts as passed when every call of it answered and its answer passed the check.
Methods ccxt declares but cannot run against Kraken are listed in ``NOT_SERVED`` with the
evidence; they are reported, not counted as failures. Every other declared method must be
called by the flows (a method the flows forget is reported as "never called").

The exchange: ``kraken-ops exchange serve --port 0`` on a temporary state (``--kraken-ops``,
default: the repository's ``.venv/bin/kraken-ops``), one account a client (``account add
--fund ... --fund-futures ...``) and a withdrawal key. Only base URLs of ccxt are changed
(as in fidelity_ccxt.py and fidelity_futures_ccxt.py). Exit status 0 when every counted
method passed.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ccxt
import ccxt.pro

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import start_exchange, stop_exchange  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

#: ``has`` keys that are features, not methods
FEATURES = {"CORS", "spot", "margin", "swap", "future", "option", "publicAPI", "privateAPI", "sandbox", "ws", "rest",
            "pro"}

#: declared by ccxt but not runnable against Kraken: method -> evidence (client ids it applies to)
NOT_SERVED: dict[str, tuple[set[str], str]] = {
    "fetchCurrenciesWs": (
        {"kraken", "pro.kraken", "krakenfutures", "pro.krakenfutures"},
        "ccxt's base class declares it 'emulated' for every exchange (ccxt/base/exchange.py, has['fetchCurrenciesWs'] "
        "= 'emulated') but neither kraken nor krakenfutures defines fetch_currencies_ws (only pro/bitvavo.py does): "
        "the attribute does not exist, so nothing reaches any exchange"),
}

SPOT_SYM = "BTC/USD"
FUT_SYM = "BTC/USD:USD"        # PF_XBTUSD
FUT_INV = "BTC/USD:BTC"        # PI_XBTUSD


def has_methods(exchange: Any) -> list[str]:
    return sorted(k for k, v in exchange.has.items() if v in (True, "emulated") and k not in FEATURES)


# ----------------------------------------------------------------------------------------------
# recording


@dataclass
class Call:
    label: str
    ok: bool
    detail: str


@dataclass
class Tally:
    client: str
    declared: list[str]
    verbose: bool = False
    calls: dict[str, list[Call]] = field(default_factory=dict)

    def record(self, method: str, label: str, ok: bool, detail: str) -> None:
        self.calls.setdefault(method, []).append(Call(label, ok, detail))
        print(f"{'ok  ' if ok else 'FAIL'} {self.client} {label}: {detail}", flush=True)

    def verdicts(self) -> tuple[list[str], dict[str, str], dict[str, str]]:
        """(passed, failed method -> why, not served method -> evidence)."""
        passed: list[str] = []
        failed: dict[str, str] = {}
        na: dict[str, str] = {}
        for m in self.declared:
            served = NOT_SERVED.get(m)
            if served and self.client in served[0]:
                na[m] = served[1]
                continue
            calls = self.calls.get(m, [])
            bad = [c for c in calls if not c.ok]
            if not calls:
                failed[m] = "never called by the flows"
            elif bad:
                failed[m] = "; ".join(f"{c.label}: {c.detail}" for c in bad)
            else:
                passed.append(m)
        return passed, failed, na


def short(value: Any, limit: int = 140) -> str:
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class X:
    """One ccxt client (sync or async) and its tally: ``await x.call("fetchTicker", sym, check=...)``."""

    def __init__(self, ex: Any, tally: Tally, timeout: float) -> None:
        self.ex = ex
        self.tally = tally
        self.timeout = timeout

    async def call(self, method: str, *args: Any, label: str | None = None,
                   check: Callable[[Any], Any] | None = None, timeout: float | None = None) -> Any:
        label = label or method
        try:
            fn = getattr(self.ex, method)
            value = fn(*args)
            if inspect.isawaitable(value):
                value = await asyncio.wait_for(value, timeout or self.timeout)
            if check is not None and check(value) is False:
                raise AssertionError(f"unexpected answer: {short(value)}")
        except Exception as exc:  # noqa: BLE001 - every failure is a result
            detail = f"{type(exc).__name__}: {str(exc)[:300]}"
            if self.tally.verbose:
                traceback.print_exc()
            self.tally.record(method, label, False, detail)
            return None
        self.tally.record(method, label, True, short(value))
        return value

    async def raw(self, method: str, *args: Any) -> Any:
        """A call that is set-up, not a counted result (e.g. load_markets)."""
        value = getattr(self.ex, method)(*args)
        if inspect.isawaitable(value):
            value = await value
        return value


# ----------------------------------------------------------------------------------------------
# Spot: ccxt.kraken and ccxt.pro.kraken


async def spot_rest(x: X, acct: dict[str, Any]) -> None:
    sym = SPOT_SYM
    await x.call("fetchMarkets", check=lambda m: any(k["symbol"] == sym for k in m))
    await x.raw("load_markets")
    await x.call("fetchCurrencies", check=lambda c: "BTC" in c and "USD" in c)
    await x.call("fetchStatus", check=lambda s: s["status"] == "ok")
    await x.call("fetchTime", check=lambda t: abs(t - time.time() * 1000) < 10**8)
    ticker = await x.call("fetchTicker", sym, check=lambda t: t["bid"] and t["ask"] and t["last"])
    await x.call("fetchTickers", [sym, "ETH/USD"], check=lambda t: set(t) == {sym, "ETH/USD"})
    await x.call("fetchOrderBook", sym, 10, check=lambda b: len(b["bids"]) == 10 and b["bids"][0][0] < b["asks"][0][0])
    await x.call("fetchL2OrderBook", sym, 10, check=lambda b: len(b["asks"]) == 10)
    await x.call("fetchTrades", sym, check=lambda t: len(t) > 0)
    await x.call("fetchOHLCV", sym, "1m", None, 5, check=lambda o: 0 < len(o) <= 5)
    await x.call("fetchBalance", check=lambda b: b["USD"]["total"] > 0 and b["BTC"]["total"] > 0)
    await x.call("fetchTradingFee", sym, check=lambda f: f["taker"] is not None and f["maker"] is not None)

    # funding
    await x.call("fetchDepositAddress", "BTC", check=lambda a: a["address"])
    await x.call("createDepositAddress", "BTC", check=lambda a: a["address"])
    await x.call("fetchDeposits", "BTC", check=lambda d: len(d) > 0 and d[0]["type"] == "deposit")
    wd = await x.call("withdraw", "BTC", 0.01, acct["withdraw_address"], {"key": acct["withdraw_key"]},
                      check=lambda w: w["id"])
    await x.call("fetchWithdrawals", "BTC",
                 check=lambda w: wd is None or any(t["id"] == wd["id"] for t in w))
    await x.call("transfer", "USD", 100, "spot", "future", check=lambda r: r["id"])
    ledger = await x.call("fetchLedger", "USD", check=lambda entries: len(entries) > 0)
    if ledger:
        lid = ledger[-1]["id"]
        await x.call("fetchLedgerEntry", lid, "USD", check=lambda e: e["id"] == lid)

    if not ticker:
        return
    far = float(x.ex.price_to_precision(sym, ticker["bid"] * 0.8))
    high = float(x.ex.price_to_precision(sym, ticker["ask"] * 1.2))

    # orders of every kind
    limit = await x.call("createOrder", sym, "limit", "buy", 0.01, far, label="createOrder(limit)",
                         check=lambda o: o["id"])
    await x.call("createOrder", sym, "limit", "buy", 0.01, far,
                 {"postOnly": True, "clientOrderId": f"u-{uuid.uuid4().hex[:10]}"},
                 label="createOrder(limit, postOnly, clientOrderId)", check=lambda o: o["id"])
    await x.call("createOrder", sym, "limit", "buy", 0.01, far, {"timeInForce": "IOC"},
                 label="createOrder(limit, IOC)", check=lambda o: o["id"])
    await x.call("createLimitOrder", sym, "buy", 0.01, far, check=lambda o: o["id"])
    market = await x.call("createMarketOrder", sym, "buy", 0.002, check=lambda o: o["id"])
    await x.call("createMarketBuyOrderWithCost", sym, 50, check=lambda o: o["id"])
    await x.call("createMarketOrderWithCost", sym, "buy", 50, check=lambda o: o["id"])
    await x.call("createStopOrder", sym, "market", "sell", 0.001, None, far, check=lambda o: o["id"])
    await x.call("createStopLimitOrder", sym, "sell", 0.001, far - 10, far, check=lambda o: o["id"])
    await x.call("createStopMarketOrder", sym, "sell", 0.001, far, check=lambda o: o["id"])
    await x.call("createOrder", sym, "market", "sell", 0.001, None, {"takeProfitPrice": high},
                 label="createOrder(take-profit)", check=lambda o: o["id"])
    await x.call("createTrailingAmountOrder", sym, "market", "sell", 0.001, None, 500,
                 check=lambda o: o["id"])
    await x.call("createTrailingPercentOrder", sym, "market", "sell", 0.001, None, 2,
                 check=lambda o: o["id"])
    await x.call("createTrailingAmountOrder", sym, "limit", "sell", 0.001, None, 300, None,
                 {"trailingLimitAmount": 50}, label="createTrailingAmountOrder(trailing-stop-limit)",
                 check=lambda o: o["id"])
    batch = await x.call("createOrders", [
        {"symbol": sym, "type": "limit", "side": "buy", "amount": 0.01, "price": far},
        {"symbol": sym, "type": "limit", "side": "buy", "amount": 0.02, "price": far}],
        check=lambda o: len(o) == 2 and all(i["id"] for i in o))

    if limit:
        oid = limit["id"]
        await x.call("fetchOrder", oid, sym, check=lambda o: o["id"] == oid and o["status"] == "open")
        await x.call("fetchOpenOrders", sym, check=lambda o: any(i["id"] == oid for i in o))
        await x.call("editOrder", oid, sym, "limit", "buy", 0.02, far, check=lambda o: o is not None)
        await x.call("fetchOrder", oid, sym, label="fetchOrder(after edit)", check=lambda o: o["amount"] == 0.02)
        await x.call("cancelOrder", oid, sym, check=lambda o: o is not None)
    if market:
        mid = market["id"]
        # ccxt asks for the order structure (its trades) in params: fetchOrder asks QueryOrders with trades=true
        fetched = await x.raw("fetch_order", mid, sym)
        await x.call("fetchOrderTrades", mid, sym, None, None, fetched,
                     check=lambda t: len(t) > 0 and all(i["order"] == mid for i in t))
    if batch:
        await x.call("cancelOrders", [o["id"] for o in batch], sym)
    await x.call("fetchClosedOrders", sym, check=lambda o: len(o) > 0)
    await x.call("fetchMyTrades", sym, check=lambda t: len(t) > 0)

    # margin: a leveraged long, its position, a trailing stop on it, closing it
    await x.call("createOrder", sym, "market", "buy", 0.01, None, {"leverage": 2},
                 label="createOrder(margin long, leverage 2)", check=lambda o: o["id"])
    await x.call("fetchPositions", [sym], check=lambda ps: len(ps) == 1 and ps[0]["side"] == "long"
                 and ps[0]["contracts"] == 0.01 and ps[0]["leverage"] == 2)
    await x.call("createTrailingAmountOrder", sym, "market", "sell", 0.01, None, 500, None, {"reduceOnly": True},
                 label="createTrailingAmountOrder(reduceOnly on the position)", check=lambda o: o["id"])
    await x.call("cancelAllOrdersAfter", 60000, label="cancelAllOrdersAfter(60s)")
    await x.call("cancelAllOrdersAfter", 0, label="cancelAllOrdersAfter(0)")
    await x.call("cancelAllOrders", check=lambda r: r is not None)
    await x.call("fetchOpenOrders", sym, label="fetchOpenOrders(after cancelAllOrders)", check=lambda o: o == [])
    await x.call("createOrder", sym, "market", "sell", 0.01, None, {"reduceOnly": True},
                 label="createOrder(reduceOnly: closes the position)", check=lambda o: o["id"])
    await x.call("fetchPositions", [sym], label="fetchPositions(closed)", check=lambda ps: ps == [])


async def spot_ws(x: X, seconds: float) -> None:
    sym, other = SPOT_SYM, "ETH/USD"
    await x.call("watchTicker", sym, check=lambda t: t["bid"] and t["ask"])
    await x.call("watchTickers", [sym, other], check=lambda t: len(t) >= 1)
    await x.call("watchBidsAsks", [sym, other], check=lambda t: len(t) >= 1)
    await x.call("watchTrades", sym, check=lambda t: len(t) > 0)
    await x.call("watchTradesForSymbols", [sym, other], check=lambda t: len(t) > 0)
    await x.call("watchOHLCV", sym, "1m", check=lambda o: len(o) > 0)
    await x.call("watchOrderBook", sym, 10, check=lambda b: len(b["bids"]) == 10 and b["bids"][0][0] < b["asks"][0][0])
    await x.call("watchOrderBookForSymbols", ["ETH/USD", "SOL/USD"], 10, check=lambda b: len(b["asks"]) > 0)
    await x.call("watchBalance", check=lambda b: b["USD"]["total"] > 0)
    ticker = await x.raw("fetch_ticker", sym)
    far = float(x.ex.price_to_precision(sym, ticker["bid"] * 0.8))
    placed: dict[str, Any] = {}
    orders = asyncio.ensure_future(x.call("watchOrders", sym,
                                          check=lambda o: any(i["id"] == placed["id"] for i in o)))
    mine = asyncio.ensure_future(x.call("watchMyTrades", sym,
                                        check=lambda t: any(i["order"] == placed["id"] for i in t)))
    await asyncio.sleep(1.0)
    placed.update(await x.raw("create_order", sym, "market", "buy", 0.001))
    await orders
    await mine
    o = await x.call("createOrderWs", sym, "limit", "buy", 0.01, far, check=lambda r: r["id"])
    await x.call("createLimitOrderWs", sym, "buy", 0.01, far, check=lambda r: r["id"])
    await x.call("createMarketOrderWs", sym, "buy", 0.001, check=lambda r: r["id"])
    if o:
        await x.call("editOrderWs", o["id"], sym, "limit", "buy", 0.02, far - 1, check=lambda r: r["id"])
        # amend_order keeps the txid, edit_order (v2 edit_order) gives a new one: fetch the open ones
        open_ids = [i["id"] for i in await x.raw("fetch_open_orders", sym)]
        if open_ids:
            await x.call("cancelOrderWs", open_ids[0], check=lambda r: r is not None)
        if len(open_ids) > 1:
            await x.call("cancelOrdersWs", open_ids[1:], check=lambda r: r is not None)
    await x.call("cancelAllOrdersWs", check=lambda r: r is not None)
    del seconds


# ----------------------------------------------------------------------------------------------
# Futures: ccxt.krakenfutures and ccxt.pro.krakenfutures


async def futures_rest(x: X, acct: dict[str, Any]) -> None:
    sym, inv = FUT_SYM, FUT_INV
    await x.call("fetchMarkets", check=lambda m: any(k["symbol"] == sym for k in m) and any(k["symbol"] == inv for k in m))
    await x.raw("load_markets")
    ticker = await x.call("fetchTicker", sym, check=lambda t: t["bid"] and t["ask"] and t["last"])
    await x.call("fetchTickers", [sym, inv], check=lambda t: set(t) == {sym, inv})
    await x.call("fetchOrderBook", sym, check=lambda b: b["bids"][0][0] < b["asks"][0][0])
    await x.call("fetchL2OrderBook", sym, check=lambda b: len(b["bids"]) > 0)
    await x.call("fetchTrades", sym, check=lambda t: len(t) > 0)
    await x.call("fetchOHLCV", sym, "1m", None, 5, check=lambda o: 0 < len(o) <= 5)
    await x.call("fetchMarkOHLCV", sym, "1m", None, 5, check=lambda o: len(o) > 0)
    await x.call("fetchIndexOHLCV", sym, "1m", None, 5, check=lambda o: len(o) > 0)
    await x.call("fetchFundingRate", sym, check=lambda r: r["fundingRate"] is not None and abs(r["fundingRate"]) < 0.001)
    await x.call("fetchFundingRates", [sym], check=lambda r: sym in r)
    await x.call("fetchFundingRateHistory", sym, check=lambda r: len(r) > 0)
    await x.call("fetchLeverageTiers", [sym], check=lambda r: len(r[sym]) > 0)
    await x.call("fetchMarketLeverageTiers", sym, check=lambda r: len(r) > 0)
    await x.call("fetchTradingFee", sym, check=lambda f: f["taker"] is not None)
    await x.call("fetchTradingFees", check=lambda f: sym in f)
    await x.call("fetchBalance", check=lambda b: b["USD"]["total"] > 0)
    await x.call("transfer", "USD", 100, "flex", "cash", label="transfer(flex -> cash)", check=lambda r: r["status"])
    await x.call("setLeverage", 5, sym, check=lambda r: r["result"] == "success")
    await x.call("fetchLeverage", sym, check=lambda r: r["longLeverage"] == 5)
    await x.call("fetchLeverages", [sym], check=lambda r: r[sym]["longLeverage"] == 5)
    if not ticker:
        return
    far = float(x.ex.price_to_precision(sym, ticker["bid"] * 0.8))
    high = float(x.ex.price_to_precision(sym, ticker["ask"] * 1.2))
    limit = await x.call("createOrder", sym, "limit", "buy", 0.01, far, {"clientOrderId": f"u-{uuid.uuid4().hex[:10]}"},
                         label="createOrder(limit, clientOrderId)", check=lambda o: o["id"] and o["status"] == "open")
    await x.call("createLimitOrder", sym, "buy", 0.01, far, check=lambda o: o["id"])
    await x.call("createPostOnlyOrder", sym, "limit", "buy", 0.01, far, check=lambda o: o["id"])
    await x.call("createMarketOrder", sym, "buy", 0.03, check=lambda o: o["id"])
    await x.call("createReduceOnlyOrder", sym, "market", "sell", 0.01, check=lambda o: o["id"])
    await x.call("createStopOrder", sym, "market", "sell", 0.01, None, far, {"reduceOnly": True}, check=lambda o: o["id"])
    await x.call("createStopLimitOrder", sym, "sell", 0.01, far - 10, far, check=lambda o: o["id"])
    await x.call("createStopMarketOrder", sym, "sell", 0.01, far, check=lambda o: o["id"])
    await x.call("createTriggerOrder", sym, "market", "sell", 0.01, None, high, {"triggerSignal": "last"},
                 check=lambda o: o["id"])
    await x.call("createOrder", sym, "market", "sell", 0.01, None, {"takeProfitPrice": high},
                 label="createOrder(take-profit)", check=lambda o: o["id"])
    await x.call("createOrder", sym, "market", "sell", 0.01, None, {"trailingAmount": 500, "reduceOnly": True},
                 label="createOrder(trailing stop)", check=lambda o: o["id"])
    await x.call("createOrder", inv, "limit", "buy", 1, far, label="createOrder(inverse PI_XBTUSD)",
                 check=lambda o: o["id"])
    batch = await x.call("createOrders", [
        {"symbol": sym, "type": "limit", "side": "buy", "amount": 0.01, "price": far},
        {"symbol": sym, "type": "limit", "side": "buy", "amount": 0.02, "price": far}],
        check=lambda o: len(o) == 2 and all(i["id"] for i in o))
    if limit:
        oid = limit["id"]
        await x.call("fetchOrder", oid, sym, check=lambda o: o["id"] == oid and o["status"] == "open")
        await x.call("fetchOrders", sym, check=lambda o: any(i["id"] == oid for i in o))
        await x.call("fetchOpenOrders", sym, check=lambda o: any(i["id"] == oid for i in o))
        await x.call("editOrder", oid, sym, "limit", "buy", 0.02, far - 1, check=lambda o: o["id"] == oid)
        await x.call("fetchOrder", oid, sym, label="fetchOrder(after edit)", check=lambda o: o["amount"] == 0.02)
        await x.call("cancelOrder", oid, sym, check=lambda o: o["id"] == oid)
    if batch:
        await x.call("cancelOrders", [o["id"] for o in batch], sym, check=lambda r: len(r) == 2)
    await x.call("cancelAllOrdersAfter", 60000, label="cancelAllOrdersAfter(60s)",
                 check=lambda r: r["status"]["triggerTime"] != "0")
    await x.call("cancelAllOrdersAfter", 0, label="cancelAllOrdersAfter(0)",
                 check=lambda r: r["status"]["triggerTime"] == "0")
    await x.call("cancelAllOrders", sym, label="cancelAllOrders(symbol)")
    await x.call("cancelAllOrders", label="cancelAllOrders()")
    await x.call("fetchPositions", check=lambda p: any(i["symbol"] == sym and i["side"] == "long" for i in p))
    await x.call("createOrder", sym, "market", "sell", 0.02, None, {"reduceOnly": True},
                 label="createOrder(reduceOnly: closes)", check=lambda o: o["id"])
    await x.call("fetchPositionsHistory", [sym], check=lambda p: len(p) >= 1 and p[-1]["symbol"] == sym)
    await x.call("fetchMyTrades", sym, check=lambda t: len(t) >= 2)
    await x.call("fetchClosedOrders", sym, check=lambda o: len(o) > 0)
    await x.call("fetchCanceledOrders", sym, check=lambda o: len(o) > 0)
    await x.call("fetchLedger", check=lambda t: len(t) > 0)
    await x.call("fetchFundingHistory", sym, check=lambda t: isinstance(t, list))


async def futures_ws(x: X, seconds: float) -> None:
    sym, other = FUT_SYM, "ETH/USD:USD"
    await x.call("watchTicker", sym, check=lambda t: t["bid"] and t["ask"])
    await x.call("watchTickers", [sym, other], check=lambda t: len(t) >= 1)
    await x.call("watchBidsAsks", [sym, other], check=lambda t: len(t) >= 1)
    await x.call("watchTrades", sym, check=lambda t: len(t) > 0)
    await x.call("watchTradesForSymbols", [sym, other], check=lambda t: len(t) > 0)
    await x.call("watchOrderBook", sym, check=lambda b: len(b["bids"]) >= 10 and b["bids"][0][0] < b["asks"][0][0])
    await x.call("watchOrderBookForSymbols", [other, "SOL/USD:USD"], check=lambda b: len(b["asks"]) > 0)
    await x.call("watchBalance", check=lambda b: "info" in b)
    ticker = await x.raw("fetch_ticker", sym)
    far = float(x.ex.price_to_precision(sym, ticker["bid"] * 0.8))
    # the private feeds: the first answer may be the snapshot; what is checked is the update for
    # the orders placed here (a resting limit order, then a market order that opens a position).
    # No watchOrders snapshot step: with no open order, ccxt's handle_order_snapshot resolves
    # nothing (as it would against Kraken). ccxt's parse_ws_order leaves a new order's status None.
    await x.call("watchPositions", label="watchPositions(snapshot)", check=lambda p: isinstance(p, list))
    await x.call("watchMyTrades", sym, label="watchMyTrades(snapshot)", check=lambda t: isinstance(t, list))
    placed: dict[str, Any] = {}
    orders = asyncio.ensure_future(x.call(
        "watchOrders", sym, label="watchOrders(the new limit order)",
        check=lambda o: any(i["id"] == placed["limit"]["id"] and i["price"] == far for i in o)))
    await asyncio.sleep(0.5)
    placed["limit"] = await x.raw("create_order", sym, "limit", "buy", 0.01, far)
    await orders
    positions = asyncio.ensure_future(x.call(
        "watchPositions", label="watchPositions(the new position)",
        check=lambda p: any(i["symbol"] == sym and i["contracts"] == 0.01 for i in p)))
    mine = asyncio.ensure_future(x.call(
        "watchMyTrades", sym, label="watchMyTrades(the market order's fill)",
        check=lambda t: any(i["order"] == placed["market"]["id"] for i in t)))
    await asyncio.sleep(0.5)
    placed["market"] = await x.raw("create_order", sym, "market", "buy", 0.01)
    await mine
    await positions
    await x.raw("cancel_all_orders")
    await x.raw("create_order", sym, "market", "sell", 0.01, None, {"reduceOnly": True})
    del seconds


# ----------------------------------------------------------------------------------------------
# the local exchange


def point_spot(ex: Any, url: str) -> Any:
    ws = url.replace("http://", "ws://")
    ex.urls["api"]["public"] = ex.urls["api"]["private"] = url
    if "ws" in ex.urls["api"]:
        ex.urls["api"]["ws"].update({"public": ws + "/ws", "private": ws + "/ws-auth",
                                     "publicV2": ws + "/ws/v2", "privateV2": ws + "/ws-auth/v2"})
    return ex


def point_futures(ex: Any, url: str) -> Any:
    api = ex.urls["api"]
    api["public"] = api["private"] = url + "/derivatives/api/"
    api["charts"] = url + "/api/charts/"
    api["history"] = url + "/api/history/"
    api["feeschedules"] = url + "/api/feeschedules/"
    if "ws" in api:
        api["ws"] = url.replace("http://", "ws://") + "/ws/v1"
    return ex


CLIENTS: dict[str, tuple[Callable[..., Any], str]] = {
    "kraken": (ccxt.kraken, "spot"),
    "pro.kraken": (ccxt.pro.kraken, "spot"),
    "krakenfutures": (ccxt.krakenfutures, "futures"),
    "pro.krakenfutures": (ccxt.pro.krakenfutures, "futures"),
}


async def run_client(name: str, url: str, acct: dict[str, Any], seconds: float, verbose: bool) -> Tally:
    cls, kind = CLIENTS[name]
    section = acct[kind]
    # Spot: ccxt's limiter paced for the account's tier. ccxt.kraken's rateLimit (1000 ms) with its
    # per-call costs (Balance 3, Ledgers 6, ...) is the Starter tier's decay (0.33/s); the accounts
    # are Pro (decay 1/s), so a third of it. Without pacing, Kraken (and the local exchange) answer
    # EAPI:Rate limit exceeded. Futures: 500 cost units a 10 s window are not reached.
    options = {"enableRateLimit": True, "rateLimit": 334} if kind == "spot" else {"enableRateLimit": False}
    ex = cls({"apiKey": section["key"], "secret": section["secret"], **options})
    (point_spot if kind == "spot" else point_futures)(ex, url)
    tally = Tally(name, has_methods(ex), verbose)
    x = X(ex, tally, seconds)
    try:
        if kind == "spot":
            await spot_rest(x, acct)
            if name.startswith("pro."):
                await spot_ws(x, seconds)
        else:
            await futures_rest(x, acct)
            if name.startswith("pro."):
                await futures_ws(x, seconds)
    finally:
        close = getattr(ex, "close", None)
        if close is not None and inspect.iscoroutinefunction(close):
            await close()
    return tally


def report(tallies: list[Tally]) -> int:
    bad = 0
    lines = [f"\nccxt {ccxt.__version__} unified API against the local exchange"]
    for t in tallies:
        passed, failed, na = t.verdicts()
        counted = len(t.declared) - len(na)
        lines.append(f"  {t.client}: {len(passed)}/{counted} methods pass"
                     + (f" ({len(na)} declared but not runnable against Kraken: {', '.join(sorted(na))})" if na else ""))
        bad += len(failed)
    for t in tallies:
        _, failed, _ = t.verdicts()
        for m, why in sorted(failed.items()):
            lines.append(f"  FAILED {t.client}.{m}: {why}")
    reasons = {m: ev for t in tallies for m, ev in t.verdicts()[2].items()}
    for m, ev in sorted(reasons.items()):
        lines.append(f"  NOT SERVED {m}: {ev}")
    print("\n".join(lines), flush=True)
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kraken-ops", default=os.path.join(ROOT, ".venv", "bin", "kraken-ops"))
    ap.add_argument("--only", default=",".join(CLIENTS))
    ap.add_argument("--seconds", type=float, default=10.0, help="timeout of each call (watch methods included)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in CLIENTS]
    if unknown:
        print(f"unknown client(s) {unknown}; known: {', '.join(CLIENTS)}", file=sys.stderr)
        return 2
    kraken_ops = args.kraken_ops if os.path.exists(args.kraken_ops) else (shutil.which("kraken-ops") or "")
    if not kraken_ops:
        print("no kraken-ops executable (--kraken-ops PATH)", file=sys.stderr)
        return 2
    proc, url, accounts, state = start_exchange(kraken_ops, names)
    print(f"local exchange at {url} (state {state})", flush=True)
    try:
        tallies = [asyncio.run(run_client(n, url, accounts[n], args.seconds, args.verbose)) for n in names]
    finally:
        stop_exchange(proc, state)
    return report(tallies)


if __name__ == "__main__":
    raise SystemExit(main())
