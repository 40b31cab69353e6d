"""The matching engine through REST: fills, fees, holds, partial fills, stops, dead man's switch."""

import time
from decimal import Decimal as D

from helpers import Spot, name


def _acct(exchange, **fund):
    fund = fund or {"USD": "1000000", "XBT": "10"}
    a = exchange.add_account(name(), fund=fund)
    return a, Spot(exchange.url, a)


def _best(exchange, side):
    book = exchange.ctx.engine.books["XXBTZUSD"]
    return book.best(side)


def test_market_buy_fills_with_taker_fee(exchange):
    a, c = _acct(exchange)
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"})["txid"][0]
    o = c.ok("QueryOrders", {"txid": txid, "trades": "true"})[txid]
    assert o["status"] == "closed" and o["vol_exec"] == "0.01000000"
    cost, fee = D(o["cost"]), D(o["fee"])
    # Kraken's first fee tier of the pair (AssetPairs "fees": 0.40 % taker), a fee per fill, rounded
    assert abs(fee - cost * D("0.0040")) <= D("0.00002") * len(o["trades"])
    bal = c.ok("Balance")
    assert D(bal["XXBT"]) == D("10.01")
    assert D(bal["ZUSD"]) == (D("1000000") - cost - fee).quantize(D("0.0001"))
    trade = c.ok("QueryTrades", {"txid": o["trades"][0]})[o["trades"][0]]
    assert trade["maker"] is False and trade["ordertxid"] == txid


def test_limit_order_holds_funds_and_cancel_releases(exchange):
    a, c = _acct(exchange, USD="1000")
    r = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                          "price": "50000.0", "userref": "42"})
    txid = r["txid"][0]
    assert r["descr"]["order"] == "buy 0.01000000 XBTUSD @ limit 50000.0"
    ex = c.ok("BalanceEx")["ZUSD"]
    assert D(ex["hold_trade"]) == D("500") * D("1.0040")
    assert c.error("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                                "price": "50000.0"}) == ["EOrder:Insufficient funds"]
    assert txid in c.ok("OpenOrders", {"userref": "42"})["open"]
    assert c.ok("CancelOrder", {"txid": "42"}) == {"count": 1}
    assert D(c.ok("BalanceEx")["ZUSD"]["hold_trade"]) == 0
    closed = c.ok("ClosedOrders")["closed"][txid]
    assert closed["status"] == "canceled" and closed["reason"] == "User requested"


def test_business_errors(exchange):
    a, c = _acct(exchange)
    base = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit"}
    assert c.error("AddOrder", {**base, "volume": "0.00001", "price": "50000.0"}) == ["EOrder:Order minimum not met"]
    assert c.error("AddOrder", {**base, "pair": "DOTUSD", "volume": "0.6", "price": "0.5"}) == [
        "EOrder:Cost minimum not met"]
    assert c.error("AddOrder", {**base, "volume": "0.01", "price": "50000.05"}) == ["EOrder:Tick size check failed"]
    assert c.error("AddOrder", {**base, "pair": "FOOBAR", "volume": "1", "price": "1"}) == [
        "EQuery:Unknown asset pair"]
    assert c.error("CancelOrder", {"txid": "OAAAAA-BBBBB-CCCCCC"}) == ["EOrder:Unknown order"]
    assert c.error("AddOrder", {**base, "volume": "100", "price": "50000.0"}) == ["EOrder:Insufficient funds"]


def test_validate_does_not_place(exchange):
    a, c = _acct(exchange)
    r = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                          "price": "50000.0", "validate": "true"})
    assert "txid" not in r and c.ok("OpenOrders")["open"] == {}


def test_marketable_limit_partially_fills_and_rests(exchange):
    a, c = _acct(exchange)
    def run():
        engine = exchange.ctx.engine
        best = engine.books["XXBTZUSD"].levels("sell", 1)[0]
        vol = best[1] + D("0.5")
        acct = exchange.ctx.account_by_name(a.name)
        r = engine.add_order(acct, {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": str(vol),
                                    "price": str(best[0])})
        return r["txid"][0], best
    txid, best = exchange.call(run)
    o = c.ok("QueryOrders", {"txid": txid})[txid]
    assert o["status"] == "open"
    assert D(o["vol_exec"]) > 0 and D(o["vol_exec"]) < D(o["vol"])
    c.ok("CancelOrder", {"txid": txid})


def test_resting_order_fills_as_maker_when_crossed(exchange):
    seller, cs = _acct(exchange)
    buyer, cb = _acct(exchange)
    def run():
        engine = exchange.ctx.engine
        bid = engine.books["XXBTZUSD"].best("buy")
        ask = engine.books["XXBTZUSD"].best("sell")
        price = bid + D("0.1") if bid + D("0.1") < ask else bid
        s = engine.add_order(exchange.ctx.account_by_name(seller.name), {
            "pair": "XBTUSD", "type": "sell", "ordertype": "limit", "volume": "0.02", "price": str(ask - D("0.1"))
            if ask - D("0.1") > bid else str(ask), "oflags": "post"})
        b = engine.add_order(exchange.ctx.account_by_name(buyer.name), {
            "pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.02", "price": str(ask)})
        return s["txid"][0], b["txid"][0]
    stx, btx = exchange.call(run)
    s = cs.ok("QueryOrders", {"txid": stx, "trades": "true"})[stx]
    assert s["status"] == "closed"
    t = cs.ok("QueryTrades", {"txid": s["trades"][0]})[s["trades"][0]]
    assert t["maker"] is True
    assert D(t["fee"]) == (D(t["cost"]) * D("0.0025")).quantize(D("0.00001"))  # the maker tier of AssetPairs


def test_post_only_that_would_cross_is_cancelled(exchange):
    a, c = _acct(exchange)
    price = str(_best(exchange, "sell") + D("100"))
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                             "price": price, "oflags": "post"})["txid"][0]
    o = c.ok("QueryOrders", {"txid": txid})[txid]
    assert o["status"] == "canceled" and o["reason"] == "Post only order"


def test_ioc_remainder_cancelled(exchange):
    a, c = _acct(exchange)
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                             "price": "1000.0", "timeinforce": "IOC"})["txid"][0]
    assert c.ok("QueryOrders", {"txid": txid})[txid]["status"] == "canceled"


def test_gtd_order_expires(exchange):
    a, c = _acct(exchange)
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                             "price": "1000.0", "timeinforce": "GTD", "expiretm": "+1"})["txid"][0]
    deadline = time.time() + 5
    while time.time() < deadline:
        o = c.ok("QueryOrders", {"txid": txid})[txid]
        if o["status"] == "expired":
            break
        time.sleep(0.2)
    assert o["status"] == "expired"


def test_stop_loss_triggers_on_last_price(exchange):
    a, c = _acct(exchange)
    last = exchange.ctx.markets.data["XXBTZUSD"].last
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "sell", "ordertype": "stop-loss", "volume": "0.01",
                             "price": str(last * 2)})["txid"][0]  # already below: triggers at once
    o = c.ok("QueryOrders", {"txid": txid})[txid]
    assert o["status"] == "closed" and o["descr"]["order"].startswith("sell 0.01000000 XBTUSD @ stop loss")
    far = c.ok("AddOrder", {"pair": "XBTUSD", "type": "sell", "ordertype": "take-profit-limit", "volume": "0.01",
                            "price": str((last * 2).quantize(D("0.1"))), "price2": str((last * 2).quantize(D("0.1")))
                            })["txid"][0]
    assert c.ok("QueryOrders", {"txid": far})[far]["status"] == "open"
    assert D(c.ok("BalanceEx")["XXBT"]["hold_trade"]) == D("0.01")


def test_conditional_close_is_placed_after_fill(exchange):
    a, c = _acct(exchange)
    r = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01",
                          "close[ordertype]": "limit", "close[price]": "999999.0"})
    assert r["descr"]["close"] == "close position @ limit 999999.0"
    opens = c.ok("OpenOrders")["open"]
    assert [o["descr"]["order"] for o in opens.values()] == ["sell 0.01000000 XBTUSD @ limit 999999.0"]


def test_viqc_market_buy_spends_quote(exchange):
    a, c = _acct(exchange, USD="1000")
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "100",
                             "oflags": "viqc"})["txid"][0]
    o = c.ok("QueryOrders", {"txid": txid})[txid]
    assert D("99") < D(o["cost"]) <= D("100")


def test_fee_in_base(exchange):
    a, c = _acct(exchange)
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01",
                             "oflags": "fcib"})["txid"][0]
    assert D(c.ok("Balance")["XXBT"]) == D("10.01") - D("0.00004")


def test_amend_and_order_amends(exchange):
    a, c = _acct(exchange)
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                             "price": "1000.0", "cl_ord_id": "my-order-1"})["txid"][0]
    amend = c.ok("AmendOrder", {"cl_ord_id": "my-order-1", "order_qty": "0.02", "limit_price": "1001.0"})
    assert amend["amend_id"].startswith("T")
    hist = c.ok("OrderAmends", {"order_id": txid})
    assert hist["count"] == 2 and [h["amend_type"] for h in hist["amends"]] == ["original", "user"]
    assert hist["amends"][1]["limit_price"] == "1001.0"
    o = c.ok("QueryOrders", {"txid": txid})[txid]
    assert o["vol"] == "0.02000000" and o["descr"]["price"] == "1001.0"
    assert c.ok("CancelOrder", {"cl_ord_id": "my-order-1"}) == {"count": 1}


def test_edit_order_replaces(exchange):
    a, c = _acct(exchange)
    txid = c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                             "price": "1000.0"})["txid"][0]
    r = c.ok("EditOrder", {"txid": txid, "pair": "XBTUSD", "volume": "0.03", "price": "1100.0"})
    assert r["status"] == "ok" and r["originaltxid"] == txid and r["volume"] == "0.03000000"
    assert c.ok("QueryOrders", {"txid": txid})[txid]["reason"] == "Order replaced"
    assert list(c.ok("OpenOrders")["open"]) == [r["txid"]]


def test_batch_add_and_batch_cancel_json(exchange):
    a, c = _acct(exchange)
    r = c.ok("AddOrderBatch", {"pair": "XBTUSD", "orders": [
        {"ordertype": "limit", "type": "buy", "volume": "0.01", "price": "1000.0", "userref": 7},
        {"ordertype": "limit", "type": "sell", "volume": "0.01", "price": "900000.0"}]}, json_body=True)
    ids = [o["txid"] for o in r["orders"]]
    assert len(ids) == 2
    assert c.ok("CancelOrderBatch", {"orders": ids}, json_body=True) == {"count": 2}
    assert c.error("AddOrderBatch", {"pair": "XBTUSD", "orders": [
        {"ordertype": "limit", "type": "buy", "volume": "0.01", "price": "1000.0"}]},
        json_body=True) == ["EGeneral:Invalid arguments:orders"]


def test_cancel_all(exchange):
    a, c = _acct(exchange)
    for _ in range(3):
        c.ok("AddOrder", {"pair": "ETHUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "100.00"})
    assert c.ok("CancelAll") == {"count": 3}


def test_dead_mans_switch_cancels(exchange):
    a, c = _acct(exchange)
    c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "1000.0"})
    r = c.ok("CancelAllOrdersAfter", {"timeout": "1"})
    assert r["triggerTime"] != "0"
    deadline = time.time() + 5
    while time.time() < deadline and c.ok("OpenOrders")["open"]:
        time.sleep(0.2)
    assert c.ok("OpenOrders")["open"] == {}
    closed = list(c.ok("ClosedOrders")["closed"].values())
    assert closed[0]["reason"] == "Dead man's switch"
    assert c.ok("CancelAllOrdersAfter", {"timeout": "0"})["triggerTime"] == "0"


def test_deadline_elapsed(exchange):
    a, c = _acct(exchange)
    assert c.error("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                                "price": "1000.0", "deadline": "2001-01-01T00:00:00Z"}) == [
        "EService:Deadline elapsed"]


def test_ledgers_and_trades_history(exchange):
    a, c = _acct(exchange)
    c.ok("AddOrder", {"pair": "XBTUSD", "type": "sell", "ordertype": "market", "volume": "0.01"})
    th = c.ok("TradesHistory", {"ledgers": "true"})
    assert th["count"] >= 1  # one per level the market order crossed
    trade = next(iter(th["trades"].values()))
    led = c.ok("QueryLedgers", {"id": ",".join(trade["ledgers"])})
    assert {v["asset"] for v in led.values()} == {"XXBT", "ZUSD"}
    assert c.ok("Ledgers", {"asset": "XBT", "type": "trade"})["count"] == th["count"]
    tv = c.ok("TradeVolume", {"pair": "XBTUSD"})
    assert tv["fees"]["XXBTZUSD"] == {"fee": "0.4000", "minfee": "0.0500", "maxfee": "0.4000", "nextfee": "0.3500",
                                      "nextvolume": "10000.0000", "tiervolume": "0.0000"}
    assert tv["fees_maker"]["XXBTZUSD"]["fee"] == "0.2500"
    assert c.ok("TradeBalance")["eb"]
    assert c.ok("OpenPositions") == {}
