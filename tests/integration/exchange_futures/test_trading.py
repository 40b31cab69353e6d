"""Order entry, matching, fees, margin, stops and the dead man's switch."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal as D

P = "/derivatives/api/v3"


def set_index(fx, xbt, eth=3000, ticks=1):
    fx.ctx.index_price = lambda base: D(str(xbt)) if base in ("XBT", "BTC") else D(str(eth))
    for m in fx.engine.markets.values():
        m.premium = 0.0
    for _ in range(ticks):
        fx.engine.tick()


async def book(fx, symbol="PF_XBTUSD"):
    return (await fx.public().public(f"{P}/orderbook", {"symbol": symbol}))["orderBook"]


def lmt(symbol="PF_XBTUSD", side="buy", size="0.01", price="50000", **kw):
    return {"orderType": "lmt", "symbol": symbol, "side": side, "size": size, "limitPrice": price, **kw}


async def test_limit_order_rests_in_book_and_openorders(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 10000})
    st = await api.send(**lmt(price="55000", cliOrdId="rest-1"))
    assert st["status"] == "placed" and st["cliOrdId"] == "rest-1"
    assert st["orderEvents"][0]["type"] == "PLACE" and st["orderEvents"][0]["order"]["limitPrice"] == D(55000)
    oo = (await api.get(f"{P}/openorders"))["openOrders"]
    assert len(oo) == 1 and oo[0]["order_id"] == st["order_id"] and oo[0]["status"] == "untouched"
    assert oo[0]["unfilledSize"] == D("0.01") and oo[0]["orderType"] == "lmt" and oo[0]["cliOrdId"] == "rest-1"
    assert [D(55000), D("0.01")] in (await book(fx))["bids"]


async def test_market_order_fills_at_best_ask_charges_taker_fee_and_opens_position(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 10000})
    ask = (await book(fx))["asks"][0][0]
    st = await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    assert st["status"] == "placed"
    ex = [e for e in st["orderEvents"] if e["type"] == "EXECUTION"]
    assert ex and ex[0]["price"] == ask and ex[0]["amount"] == D("0.01")
    pos = (await api.get(f"{P}/openpositions"))["openPositions"]
    assert pos == [{"side": "long", "symbol": "PF_XBTUSD", "price": ask, "fillTime": pos[0]["fillTime"],
                    "size": D("0.01"), "unrealizedFunding": 0, "pnlCurrency": "USD", "maxFixedLeverage": None}]
    fills = (await api.get(f"{P}/fills"))["fills"]
    assert fills[0]["fillType"] == "taker" and fills[0]["price"] == ask and fills[0]["order_id"] == st["order_id"]
    fee = (ask * D("0.01") * D("0.0005")).quantize(D("1e-8"))
    usd = (await api.get(f"{P}/accounts"))["accounts"]["flex"]["currencies"]["USD"]["quantity"]
    assert usd == D(10000) - fee
    assert (await api.get(f"{P}/fills", {"lastFillTime": "2000-01-01T00:00:00.000Z"}))["fills"] == []


async def test_resting_order_filled_as_maker_when_market_moves_through_it(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 10000})
    st = await api.send(**lmt(price="59000", size="0.1"))
    set_index(fx, 50000)
    fills = (await api.get(f"{P}/fills"))["fills"]
    assert len(fills) == 1 and fills[0]["fillType"] == "maker" and fills[0]["price"] == D(59000)
    assert fills[0]["order_id"] == st["order_id"]
    usd = (await api.get(f"{P}/accounts"))["accounts"]["flex"]["currencies"]["USD"]["quantity"]
    assert usd == D(10000) - D(59000) * D("0.1") * D("0.0002")
    assert (await api.get(f"{P}/openorders"))["openOrders"] == []
    flex = (await api.get(f"{P}/accounts"))["accounts"]["flex"]
    assert flex["pnl"] < 0 and flex["initialMargin"] > 0


async def test_limit_crossing_order_partially_fills_then_rests(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    ask, qty = (await book(fx))["asks"][0]
    st = await api.send(**lmt(size=str(qty + D("0.5")), price=str(ask)))
    ex = [e for e in st["orderEvents"] if e["type"] == "EXECUTION"]
    assert sum(e["amount"] for e in ex) == qty
    oo = (await api.get(f"{P}/openorders"))["openOrders"][0]
    assert oo["status"] == "partiallyFilled" and oo["filledSize"] == qty and oo["unfilledSize"] == D("0.5")


async def test_user_orders_match_each_other_with_price_time_priority(fx):
    set_index(fx, 60000)
    a = fx.add_account(fund={"USD": 100000})
    b = fx.add_account(fund={"USD": 100000})
    bid = (await book(fx))["bids"][0][0]
    sell = await a.send(**lmt(side="sell", price=str(bid + 1), size="0.01"))  # inside the spread: best ask
    buy = await b.send(**lmt(side="buy", price=str(bid + 1), size="0.01"))
    assert any(e["type"] == "EXECUTION" for e in buy["orderEvents"])
    fa = (await a.get(f"{P}/fills"))["fills"][0]
    fb = (await b.get(f"{P}/fills"))["fills"][0]
    assert (fa["fillType"], fa["order_id"]) == ("maker", sell["order_id"]) and fb["fillType"] == "taker"
    assert fa["price"] == fb["price"] == bid + 1


async def test_post_only_would_execute_and_ioc_outcomes(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    ask = (await book(fx))["asks"][0][0]
    st = await api.send(orderType="post", symbol="PF_XBTUSD", side="buy", size="0.01", limitPrice=str(ask))
    assert st["status"] == "postWouldExecute" and st["orderEvents"][0]["type"] == "REJECT"
    assert st["orderEvents"][0]["reason"] == "POST_WOULD_EXECUTE"
    st = await api.send(orderType="post", symbol="PF_XBTUSD", side="buy", size="0.01", limitPrice="50000")
    assert st["status"] == "placed"
    st = await api.send(orderType="ioc", symbol="PF_XBTUSD", side="buy", size="0.01", limitPrice="50000")
    assert st["status"] == "iocWouldNotExecute"
    st = await api.send(orderType="ioc", symbol="PF_XBTUSD", side="buy", size="10", limitPrice=str(ask))
    types = [e["type"] for e in st["orderEvents"]]
    assert "EXECUTION" in types and types[-1] == "CANCEL"


async def test_order_rejections_invalid_size_price_funds_and_arguments(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100})
    assert (await api.send(**lmt(size="0.00001")))["status"] == "invalidSize"
    assert (await api.send(**lmt(size="0")))["status"] == "invalidSize"
    assert (await api.send(**lmt(price="50000.5")))["status"] == "invalidPrice"
    assert (await api.send(**lmt(symbol="PI_XBTUSD", size="1.5", price="50000")))["status"] == "invalidSize"
    assert (await api.send(**lmt(size="1")))["status"] == "insufficientAvailableFunds"
    r = await api.post(f"{P}/sendorder", {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy"})
    assert r["result"] == "error" and r["error"] == "requiredArgumentMissing"
    r = await api.post(f"{P}/sendorder", lmt(symbol="PF_NOPE"))
    assert r["error"] == "contractNotFound"
    r = await api.post(f"{P}/sendorder", lmt(orderType="weird"))
    assert r["error"] == "invalidArgument"
    await api.send(**lmt(price="40000", size="0.001", cliOrdId="dup"))
    assert (await api.send(**lmt(price="40000", size="0.001", cliOrdId="dup")))["status"] == "clientOrderIdAlreadyExist"
    assert (await api.send(**lmt(size="0.001", cliOrdId="x" * 101)))["status"] == "clientOrderIdTooLong"


async def test_reduce_only_needs_an_opposite_position(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    st = await api.send(orderType="mkt", symbol="PF_XBTUSD", side="sell", size="0.01", reduceOnly="true")
    assert st["status"] == "wouldNotReducePosition"
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    st = await api.send(orderType="mkt", symbol="PF_XBTUSD", side="sell", size="0.05", reduceOnly="true")
    assert sum(e["amount"] for e in st["orderEvents"] if e["type"] == "EXECUTION") == D("0.01")
    assert (await api.get(f"{P}/openpositions"))["openPositions"] == []


async def test_closing_a_position_realizes_pnl_into_usd(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.1")
    entry = (await api.get(f"{P}/openpositions"))["openPositions"][0]["price"]
    set_index(fx, 61000)
    flex = (await api.get(f"{P}/accounts"))["accounts"]["flex"]
    assert flex["pnl"] > 0 and flex["portfolioValue"] > flex["balanceValue"]
    bid = (await book(fx))["bids"][0][0]
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="sell", size="0.1")
    usd = (await api.get(f"{P}/accounts"))["accounts"]["flex"]["currencies"]["USD"]["quantity"]
    fees = (entry * D("0.1") * D("0.0005")).quantize(D("1e-8")) + (bid * D("0.1") * D("0.0005")).quantize(D("1e-8"))
    assert usd == D(100000) + (bid - entry) * D("0.1") - fees


async def test_inverse_contract_margins_and_fees_in_xbt(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"fi_xbtusd:XBT": "1"})
    ask = (await book(fx, "PI_XBTUSD"))["asks"][0][0]
    st = await api.send(orderType="mkt", symbol="PI_XBTUSD", side="buy", size="6000")
    assert st["status"] == "placed"
    acc = (await api.get(f"{P}/accounts"))["accounts"]["fi_xbtusd"]
    assert acc["type"] == "marginAccount" and acc["balances"]["pi_xbtusd"] == 6000
    fee = (D(6000) / ask * D("0.0005")).quantize(D("1e-10"))
    assert acc["balances"]["xbt"] == D(1) - fee
    assert acc["marginRequirements"]["im"] > 0
    pos = (await api.get(f"{P}/openpositions"))["openPositions"][0]
    assert pos["pnlCurrency"] == "XBT" and pos["size"] == 6000


async def test_stop_triggers_on_mark_and_becomes_market_order(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.1")
    st = await api.send(orderType="stp", symbol="PF_XBTUSD", side="sell", size="0.1", stopPrice="58000",
                        triggerSignal="mark", reduceOnly="true")
    assert st["status"] == "placed" and st["orderEvents"][0]["orderTrigger"]["triggerSide"] == "trigger_below"
    oo = (await api.get(f"{P}/openorders"))["openOrders"]
    assert oo[0]["orderType"] == "stop" and oo[0]["stopPrice"] == D(58000)
    set_index(fx, 59000)
    assert len((await api.get(f"{P}/openorders"))["openOrders"]) == 1
    set_index(fx, 57000)
    assert (await api.get(f"{P}/openorders"))["openOrders"] == []
    assert (await api.get(f"{P}/openpositions"))["openPositions"] == []
    status = await api.post(f"{P}/orders/status", [("orderIds", st["order_id"])])
    assert status["orders"][0]["status"] == "FULLY_EXECUTED"
    trig = await api.get("/api/history/v2/triggers", {"sort": "asc"})
    names = [list(e["event"])[0] for e in trig["elements"]]
    assert names == ["OrderTriggerPlaced", "OrderTriggerActivated"]


async def test_take_profit_with_limit_price_rests_after_trigger(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    st = await api.send(orderType="take_profit", symbol="PF_XBTUSD", side="buy", size="0.01", stopPrice="55000",
                        limitPrice="54000", triggerSignal="last")
    assert st["status"] == "placed"
    set_index(fx, 54500, ticks=3)
    fx.engine.markets["PF_XBTUSD"].last = D(54500)
    fx.engine.tick()
    oo = (await api.get(f"{P}/openorders"))["openOrders"]
    assert oo and oo[0]["orderType"] == "lmt" and oo[0]["limitPrice"] == D(54000)


async def test_edit_order_changes_price_and_size(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    st = await api.send(**lmt(price="50000", size="0.01"))
    r = await api.post(f"{P}/editorder", {"orderId": st["order_id"], "size": "0.02", "limitPrice": "50500"})
    es = r["editStatus"]
    assert es["status"] == "edited" and es["orderEvents"][0]["type"] == "EDIT"
    assert es["orderEvents"][0]["old"]["limitPrice"] == D(50000) and es["orderEvents"][0]["new"]["quantity"] == D("0.02")
    oo = (await api.get(f"{P}/openorders"))["openOrders"][0]
    assert oo["limitPrice"] == D(50500) and oo["unfilledSize"] == D("0.02")
    r = await api.post(f"{P}/editorder", {"orderId": "00000000-0000-0000-0000-000000000000", "size": "1"})
    assert r["editStatus"]["status"] == "orderForEditNotFound"
    r = await api.post(f"{P}/editorder", {"orderId": st["order_id"], "limitPrice": "50500.3"})
    assert r["editStatus"]["status"] == "invalidPrice"
    r = await api.post(f"{P}/editorder", {"orderId": st["order_id"], "size": "0"})
    assert r["editStatus"]["status"] == "invalidSize"
    assert (await api.post(f"{P}/editorder", {"size": "1"}))["error"] == "requiredArgumentMissing"


async def test_cancel_order_by_id_and_cli_ord_id_and_not_found(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    a = await api.send(**lmt(price="50000", size="0.01"))
    b = await api.send(**lmt(price="50000", size="0.01", cliOrdId="mine"))
    r = await api.post(f"{P}/cancelorder", {"order_id": a["order_id"]})
    assert r["cancelStatus"]["status"] == "cancelled" and r["cancelStatus"]["orderEvents"][0]["type"] == "CANCEL"
    r = await api.post(f"{P}/cancelorder", {"cliOrdId": "mine"})
    assert r["cancelStatus"]["status"] == "cancelled" and r["cancelStatus"]["order_id"] == b["order_id"]
    r = await api.post(f"{P}/cancelorder", {"order_id": a["order_id"]})
    assert r["cancelStatus"]["status"] == "notFound"
    filled = await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    r = await api.post(f"{P}/cancelorder", {"order_id": filled["order_id"]})
    assert r["cancelStatus"]["status"] == "filled"
    other = fx.add_account()
    r = await other.post(f"{P}/cancelorder", {"order_id": b["order_id"]})
    assert r["cancelStatus"]["status"] == "notFound"


async def test_cancel_all_orders_by_symbol_and_all(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(**lmt(price="50000", size="0.01"))
    await api.send(**lmt(symbol="PF_ETHUSD", price="2000", size="0.1"))
    r = await api.post(f"{P}/cancelallorders", {"symbol": "PF_ETHUSD"})
    assert r["cancelStatus"]["cancelOnly"] == "PF_ETHUSD" and len(r["cancelStatus"]["cancelledOrders"]) == 1
    r = await api.post(f"{P}/cancelallorders")
    assert r["cancelStatus"]["status"] == "cancelled" and r["cancelStatus"]["cancelOnly"] == "all"
    r = await api.post(f"{P}/cancelallorders")
    assert r["cancelStatus"]["status"] == "noOrdersToCancel"


async def test_dead_mans_switch_cancels_on_a_real_timer(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(**lmt(price="50000", size="0.01"))
    r = await api.post(f"{P}/cancelallordersafter", {"timeout": "1"})
    assert r["status"]["triggerTime"] > r["status"]["currentTime"]
    await asyncio.sleep(1.5)
    assert (await api.get(f"{P}/openorders"))["openOrders"] == []
    log = await api.get("/api/history/v2/orders", {"sort": "desc", "count": 1})
    assert log["elements"][0]["event"]["OrderCancelled"]["reason"] == "dead_man_switch"


async def test_dead_mans_switch_can_be_disabled_and_follows_the_clock(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(**lmt(price="50000", size="0.01"))
    await api.post(f"{P}/cancelallordersafter", {"timeout": "60"})
    r = await api.post(f"{P}/cancelallordersafter", {"timeout": "0"})
    assert r["status"]["triggerTime"] == "0"
    fx.ctx.clock.advance(120)
    fx.engine.tick()
    assert len((await api.get(f"{P}/openorders"))["openOrders"]) == 1
    await api.post(f"{P}/cancelallordersafter", {"timeout": "30"})
    fx.ctx.clock.advance(31)
    fx.engine.tick()
    assert (await api.get(f"{P}/openorders"))["openOrders"] == []
    assert (await api.post(f"{P}/cancelallordersafter", {}))["error"] == "requiredArgumentMissing"


async def test_batchorder_send_edit_cancel(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    existing = await api.send(**lmt(price="50000", size="0.01"))
    batch = {"batchOrder": [
        {"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
         "size": 0.01, "limit_price": 49000, "cliOrdId": "b1"},
        {"order": "send", "order_tag": "2", "orderType": "post", "symbol": "PF_XBTUSD", "side": "buy",
         "size": 0.01, "limit_price": 99000},
        {"order": "edit", "order_id": existing["order_id"], "size": 0.02, "limit_price": 50100},
        {"order": "cancel", "order_id": existing["order_id"]},
        {"order": "cancel", "cliOrdId": "nope"},
    ]}
    r = await api.post(f"{P}/batchorder", {"json": json.dumps(batch)})
    assert r["result"] == "success", r
    st = r["batchStatus"]
    assert [s["status"] for s in st] == ["placed", "postWouldExecute", "edited", "cancelled", "notFound"]
    assert st[0]["order_tag"] == "1" and st[0]["cliOrdId"] == "b1"
    oo = (await api.get(f"{P}/openorders"))["openOrders"]
    assert [o["cliOrdId"] for o in oo] == ["b1"]
    bad = await api.post(f"{P}/batchorder", {"json": "{not json"})
    assert bad["error"] == "Json Parse Error"


async def test_orders_status_reports_open_and_closed(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    a = await api.send(**lmt(price="50000", size="0.01"))
    b = await api.send(**lmt(price="50000", size="0.01", cliOrdId="cx"))
    await api.post(f"{P}/cancelorder", {"order_id": b["order_id"]})
    r = await api.post(f"{P}/orders/status", [("orderIds", a["order_id"]), ("cliOrdIds", "cx")])
    got = {o["order"]["orderId"]: o["status"] for o in r["orders"]}
    assert got == {a["order_id"]: "ENTERED_BOOK", b["order_id"]: "CANCELLED"}


async def test_exchange_status_modes(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    fx.ctx.status = "post_only"
    assert (await api.send(**lmt(price="50000")))["status"] == "marketIsPostOnly"
    assert (await api.send(orderType="post", symbol="PF_XBTUSD", side="buy", size="0.01",
                           limitPrice="50000"))["status"] == "placed"
    fx.ctx.status = "cancel_only"
    assert (await api.send(**lmt(price="50000")))["status"] == "marketSuspended"
    assert (await api.post(f"{P}/cancelallorders"))["cancelStatus"]["status"] == "cancelled"
    fx.ctx.status = "maintenance"
    assert (await api.post(f"{P}/sendorder", lmt()))["error"] == "Unavailable"
    fx.ctx.status = "online"


async def test_margin_counts_open_orders_and_leverage_preference(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 1000})
    before = (await api.get(f"{P}/accounts"))["accounts"]["flex"]["availableMargin"]
    await api.send(**lmt(price="50000", size="0.1"))  # 5000 USD notional at 2% = 100
    flex = (await api.get(f"{P}/accounts"))["accounts"]["flex"]
    assert flex["initialMarginWithOrders"] == D(100) and flex["availableMargin"] == before - 100
    await api.put(f"{P}/leveragepreferences", {"symbol": "PF_XBTUSD", "maxLeverage": "10"})
    flex = (await api.get(f"{P}/accounts"))["accounts"]["flex"]
    assert flex["initialMarginWithOrders"] == D(500)
    assert (await api.send(**lmt(price="50000", size="0.2")))["status"] == "insufficientAvailableFunds"
