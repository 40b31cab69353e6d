"""Futures answers in Kraken's order and shape (issue 11, item 3): required arguments before
authentication, position history, history paging parameters, and ``open_orders`` messages
for orders that fill at once."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D
from typing import Any

import pytest

from .helpers import FuturesAPI
from .test_trading import lmt, set_index

P = "/derivatives/api/v3"


def _bad_key(fx: Any) -> FuturesAPI:
    return FuturesAPI(fx.session, fx.url, "not-a-key", "c2VjcmV0")


@pytest.mark.parametrize("method, path, params", [
    ("POST", "sendorder", {}),
    ("POST", "sendorder", {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy"}),
    ("POST", "editorder", {"size": "1"}),
    ("POST", "cancelorder", {}),
    ("POST", "cancelallordersafter", {}),
    ("POST", "transfer", {"fromAccount": "flex"}),
    ("POST", "withdrawal", {"currency": "USD"}),
    ("POST", "batchorder", {}),
    ("PUT", "pnlpreferences", {"symbol": "PF_XBTUSD"}),
])
async def test_required_arguments_are_checked_before_the_key(fx: Any, method: str, path: str, params: Any) -> None:
    """As at Kraken: a sendorder without arguments and with a bad key answers requiredArgumentMissing."""
    r = await _bad_key(fx).request(method, f"{P}/{path}", params)
    assert r["result"] == "error" and r["error"] == "requiredArgumentMissing"


async def test_with_its_arguments_a_bad_key_is_an_authentication_error(fx: Any) -> None:
    r = await _bad_key(fx).post(f"{P}/sendorder", lmt())
    assert r["error"] == "authenticationError"


async def test_a_request_missing_arguments_does_not_use_up_its_nonce(fx: Any) -> None:
    api = fx.add_account(fund={"USD": 10000})
    r = await api.post(f"{P}/sendorder", {"symbol": "PF_XBTUSD"}, nonce="123456789")
    assert r["error"] == "requiredArgumentMissing"
    set_index(fx, 60000)
    ok = await api.post(f"{P}/sendorder", lmt(price="50000"), nonce="123456789")
    assert ok["result"] == "success", ok


async def _trade_path(fx: Any, api: FuturesAPI) -> list[str]:
    """Open, increase, reduce, reverse and close a PF_XBTUSD position with market orders."""
    ids = []
    for side, size in (("buy", "0.02"), ("buy", "0.01"), ("sell", "0.01"), ("sell", "0.04"), ("buy", "0.02")):
        st = await api.send(orderType="mkt", symbol="PF_XBTUSD", side=side, size=size)
        ids.append(st["order_id"])
        set_index(fx, 60000)
    return ids


@pytest.mark.parametrize("version", ["v2", "v3"])
async def test_position_history_lists_each_position_change(fx: Any, version: str) -> None:
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 1000000})
    await _trade_path(fx, api)
    r = await api.get(f"/api/history/{version}/positions", {"sort": "asc"})
    assert r["accountUid"] and r["serverTime"].endswith("Z")
    updates = [e["event"]["PositionUpdate"] for e in r["elements"]]
    assert [u["positionChange"] for u in updates] == ["open", "increase", "decrease", "reverse", "close"]
    assert [u["newPosition"] for u in updates] == ["0.02", "0.03", "0.02", "-0.02", "0"]
    assert updates[0]["oldPosition"] == "0" and updates[-1]["oldPosition"] == "-0.02"
    assert all(u["tradeable"] == "PF_XBTUSD" and u["updateReason"] == "trade" and u["executionUid"] for u in updates)
    assert D(updates[3]["executionSize"]) == D("0.04")
    assert updates[-1]["feeCurrency"] == "USD" and D(updates[-1]["fee"]) > 0 and D(updates[2]["realizedPnL"]) != 0
    assert all(e["timestamp"] == e["event"]["PositionUpdate"]["timestamp"] for e in r["elements"])
    # ccxt's fetch_positions_history: the closing events, since a time, oldest first
    since = r["elements"][0]["timestamp"]
    closed = await api.get(f"/api/history/{version}/positions",
                           {"closed": "true", "since": since, "sort": "asc", "tradeable": "pf_xbtusd"})
    assert [e["event"]["PositionUpdate"]["positionChange"] for e in closed["elements"]] == ["close"]
    none = await api.get(f"/api/history/{version}/positions", {"tradeable": "PF_ETHUSD"})
    assert none["elements"] == [] and none["len"] == 0
    some = await api.get(f"/api/history/{version}/positions", {"opened": "false", "reversed": "false"})
    assert {e["event"]["PositionUpdate"]["positionChange"] for e in some["elements"]} == {"increase", "decrease", "close"}


async def test_position_history_pages_with_a_continuation_token(fx: Any) -> None:
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 1000000})
    await _trade_path(fx, api)
    first = await api.get("/api/history/v3/positions", {"count": 2})
    assert first["len"] == 2 and first["continuationToken"]
    seen = [e["uid"] for e in first["elements"]]
    token = first["continuationToken"]
    while token:
        page = await api.get("/api/history/v3/positions", {"count": 2, "continuation_token": token})
        seen += [e["uid"] for e in page["elements"]]
        token = page.get("continuationToken")
    assert len(seen) == len(set(seen)) == 5
    ts = [e["timestamp"] for e in first["elements"]]
    assert ts == sorted(ts, reverse=True)  # desc by default
    empty = await api.get("/api/history/v3/positions", {"before": 1})
    assert empty["elements"] == []
    assert (await api.get("/api/history/v3/positions", {"closed": "maybe"}))["error"] == "invalidArgument"


@pytest.mark.parametrize("path", ["orders", "executions", "triggers", "positions", "account-log"])
@pytest.mark.parametrize("version", ["v2", "v3"])
async def test_history_takes_milliseconds_sort_and_tradeable_and_always_answers_its_list(
        fx: Any, version: str, path: str) -> None:
    api = fx.add_account()
    params = {"since": "1.6e12", "before": "99999999999999.0", "sort": "asc", "count": "10"}
    if path != "account-log":
        params["tradeable"] = "PF_XBTUSD"
    r = await api.get(f"/api/history/{version}/{path}", params)
    key = "logs" if path == "account-log" else "elements"
    assert r.get(key) == [], r
    assert (await api.get(f"/api/history/{version}/{path}", {"since": "1.5"}))["error"] == "invalidArgument"


async def test_open_orders_message_carries_the_order_of_an_order_that_fills_at_once(fx: Any) -> None:
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    ws = await fx.ws()
    await ws.auth_subscribe("open_orders", api.key, api.secret)
    assert (await ws.recv())["feed"] == "open_orders_snapshot"
    st = await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    got = []
    while True:
        try:
            got.append(await ws.recv(timeout=0.5))
        except asyncio.TimeoutError:
            break
    msgs = [m for m in got if m.get("feed") == "open_orders"]
    with_order = [m for m in msgs if "order" in m]
    assert with_order, msgs
    order = with_order[0]["order"]
    assert order["order_id"] == st["order_id"] and order["qty"] == D("0.01") and order["instrument"] == "PF_XBTUSD"
    assert with_order[-1]["order"]["filled"] == D("0.01")
    removal = msgs[-1]
    # Kraken's is_cancel: the order left the open orders (fully filled), reason full_fill
    assert removal == {"feed": "open_orders", "order_id": st["order_id"], "is_cancel": True, "reason": "full_fill"}
