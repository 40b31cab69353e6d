"""Regressions from running unmodified Futures clients against the exchange.

Each test sends the exact request a client sends (benchmarks/fidelity/fidelity_futures_*.py;
the clients themselves are never imported): ccxt 4.5.90 ``krakenfutures`` signs
``postData + '/api/' + endpoint`` with no ``Nonce`` header, puts GET/POST parameters in the
query string, sends ``Content-Type: application/x-www-form-urlencoded`` (no charset) and a raw
``json=<JSON>`` body for batchorder; python-kraken-sdk 3.5.1 url-encodes ``json=`` in the body.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from urllib.parse import urlencode

from .test_trading import book, lmt, set_index

P = "/derivatives/api/v3"
CCXT_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


async def ccxt_get(api, path, params=None):
    """ccxt: params in the query (orderIds repeated), no Nonce header."""
    q = urlencode(params or {}, doseq=True)
    return await api.request("GET", path, query=q, nonce=None, headers=CCXT_HEADERS)


async def test_ccxt_orders_status_as_get_by_id_and_without_ids(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    st = await api.send(**lmt(price="50000"))
    r = await ccxt_get(api, f"{P}/orders/status", {"orderIds": [st["order_id"]]})   # fetch_order
    assert r["result"] == "success", r
    assert [o["order"]["orderId"] for o in r["orders"]] == [st["order_id"]]
    assert r["orders"][0]["status"] == "ENTERED_BOOK"
    r = await ccxt_get(api, f"{P}/orders/status")                                   # fetch_orders
    assert [o["order"]["orderId"] for o in r["orders"]] == [st["order_id"]]
    # the documented POST form keeps working
    r = await api.post(f"{P}/orders/status", {"orderIds": st["order_id"]})
    assert r["orders"][0]["order"]["orderId"] == st["order_id"]


async def test_ccxt_history_v3_account_log_and_public_executions(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    # fetch_ledger: GET /api/history/v3/account-log, signed over '/api/history/v3/account-log'
    log = await ccxt_get(api, "/api/history/v3/account-log")
    assert log["accountUid"] and any(e["info"] == "futures trade" for e in log["logs"])
    v2 = await api.get("/api/history/v2/account-log")
    assert [e["id"] for e in v2["logs"]] == [e["id"] for e in log["logs"]]
    # fetch_trades: public v3 market executions with since + sort=asc; event key "Execution"
    pub = fx.public()
    r = await pub.public("/api/history/v3/market/PF_XBTUSD/executions", {"since": 0, "sort": "asc"})
    assert r["len"] >= 1
    ex = r["elements"][-1]["event"]["Execution"]["execution"]
    assert {"uid", "makerOrder", "takerOrder", "price", "quantity", "timestamp"} <= set(ex)
    assert (await pub.public("/api/history/v3/market/PF_XBTUSD/price"))["len"] > 0
    # the private v3 forms exist too (Kraken's current history API)
    assert len((await ccxt_get(api, "/api/history/v3/executions"))["elements"]) == 1


async def test_order_history_records_fills_as_order_updated_full_and_partial(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 1000000})
    mkt = await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    ask, qty = (await book(fx))["asks"][0]
    part = await api.send(**lmt(size=str(qty + D("0.5")), price=str(ask)))
    r = await ccxt_get(api, "/api/history/v2/orders", {"sort": "asc"})     # fetch_closed_orders
    updates = [e["event"]["OrderUpdated"] for e in r["elements"] if "OrderUpdated" in e["event"]]
    full = [u for u in updates if u["reason"] == "full_fill"]
    assert [u["newOrder"]["uid"] for u in full] == [mkt["order_id"]]
    assert full[0]["newOrder"]["filled"] == "0.01" and full[0]["oldOrder"]["filled"] == "0"
    partial = [u for u in updates if u["reason"] == "partial_fill"]
    assert partial and partial[-1]["newOrder"]["uid"] == part["order_id"]
    assert D(partial[-1]["newOrder"]["filled"]) == qty
    # the public copy is anonymous
    pub = await fx.public().public("/api/history/v2/market/PF_XBTUSD/orders")
    anon = [e["event"]["OrderUpdated"] for e in pub["elements"] if "OrderUpdated" in e["event"]]
    assert anon and all(u["newOrder"]["accountUid"] == "" and u["oldOrder"]["accountUid"] == "" for u in anon)


async def test_batchorder_raw_json_body_and_documented_item_shapes(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 1000})
    # ccxt: body 'json=' + compact JSON, not url-encoded; signed over that body; no Nonce
    batch = {"batchOrder": [
        {"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
         "size": 0.01, "limitPrice": 50000, "cliOrdId": "ok-1"},
        {"order": "send", "order_tag": "2", "orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
         "size": 500, "limitPrice": 50000},
        {"order": "cancel", "order_id": "e35d61dd-8a30-4d5f-a574-b5593ef0c050"},
        {"order": "cancel", "cliOrdId": "my_client_id"},
    ]}
    body = "json=" + json.dumps(batch, separators=(",", ":"))
    r = await api.request("POST", f"{P}/batchorder", body=body, nonce=None, headers=CCXT_HEADERS)
    assert r["result"] == "success", r
    st = r["batchStatus"]
    assert st[0]["status"] == "placed" and st[0]["order_tag"] == "1" and st[0]["cliOrdId"] == "ok-1"
    # send-batch-order's documented answers: a refused order carries status and tag only,
    # a cancel of an unknown order echoes the reference it was given
    assert st[1] == {"status": "insufficientAvailableFunds", "order_tag": "2", "orderEvents": []}
    assert st[2] == {"status": "notFound", "order_id": "e35d61dd-8a30-4d5f-a574-b5593ef0c050", "orderEvents": []}
    assert st[3] == {"status": "notFound", "cliOrdId": "my_client_id", "orderEvents": []}


async def test_sdk_batchorder_url_encoded_json_with_camel_case_prices(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    # python-kraken-sdk: post_params {"json": json.dumps(...)} url-encoded (default separators)
    first = {"batchOrder": [
        {"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
         "size": 0.01, "limitPrice": 48000.0, "cliOrdId": "sdk-b1"},
        {"order": "send", "order_tag": "2", "orderType": "stp", "symbol": "PF_XBTUSD", "side": "sell",
         "size": 0.01, "limitPrice": 47980.0, "stopPrice": 47990.0}]}
    r = await api.post(f"{P}/batchorder", {"json": json.dumps(first)})
    assert [s["status"] for s in r["batchStatus"]] == ["placed", "placed"], r
    oid = r["batchStatus"][0]["order_id"]
    second = {"batchOrder": [
        {"order": "edit", "order_id": oid, "size": 0.02, "limitPrice": 47995.0},
        {"order": "cancel", "cliOrdId": "sdk-b1"}]}
    r = await api.post(f"{P}/batchorder", {"json": json.dumps(second)})
    assert [s["status"] for s in r["batchStatus"]] == ["edited", "cancelled"], r
