"""Spot margin trading, relative prices and trailing stops in the engine (issue 11, item 4).

These tests build the exchange's context without a server (``make_context``), so nothing
moves the market but the test: ``move`` requotes the market maker around a price and prints
a trade there, and the exchange's clock is advanced by hand.
"""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal as D
from typing import Any, Iterator

import pytest

from kraken_ops.exchange.engine import KrakenError
from kraken_ops.exchange.markets import find_pair
from kraken_ops.exchange.server import make_context

XBT = "XXBTZUSD"


@pytest.fixture
def ctx(tmp_path: Any) -> Iterator[Any]:
    c = make_context(tmp_path, seed=1)
    move(c, XBT, 60000)
    yield c
    c.db.close()


def account(ctx: Any, name: str = "alice", **fund: str) -> Any:
    acct = ctx.db.add_account(name)
    for asset, amount in (fund or {"ZUSD": "10000"}).items():
        ctx.db.deposit(name, asset, D(amount))
    return acct


def move(ctx: Any, pid: str, price: Any) -> None:
    """The market maker quotes around ``price`` and a small trade prints near it."""
    engine, data = ctx.engine, ctx.markets.data[pid]
    data.mid = data.pair.round_price(D(str(price)))
    engine.requote(pid, *ctx.simulation.quotes(pid))
    engine.crowd_trade(pid, "buy" if data.mid > data.last else "sell", data.pair.ordermin)


def order(ctx: Any, acct: Any, **params: Any) -> dict[str, Any]:
    return ctx.engine.add_order(acct, {"pair": "XBTUSD", **{k: str(v) for k, v in params.items()}})


def error(ctx: Any, acct: Any, **params: Any) -> str:
    with pytest.raises(KrakenError) as exc:
        order(ctx, acct, **params)
    return exc.value.error


def ledgers(ctx: Any, name: str) -> list[dict[str, Any]]:
    return [dict(r) for r in ctx.db.query("SELECT type, asset, amount, fee, refid FROM ledgers WHERE account=?"
                                          " ORDER BY rowid", (name,))]


def stored_order(ctx: Any, txid: str) -> dict[str, Any]:
    return json.loads(ctx.db.query("SELECT data FROM orders WHERE txid=?", (txid,))[0]["data"])


@contextlib.contextmanager
def pair_fields(pair_id: str, **fields: Any) -> Iterator[None]:
    """The pair's data (leverage levels, margin levels) as a market data file would set them."""
    pair = find_pair(pair_id)
    old = {k: getattr(pair, k) for k in fields}
    for k, v in fields.items():
        object.__setattr__(pair, k, v)  # Pair is frozen; the tests restore it
    try:
        yield
    finally:
        for k, v in old.items():
            object.__setattr__(pair, k, v)


# ------------------------------------------------------------------ relative prices
def test_relative_prices_are_offsets_from_the_last_trade_not_absolute_prices(ctx):
    a = account(ctx, ZUSD="10000", XXBT="1")
    last = ctx.markets.data[XBT].last

    def limit(side: str, price: str) -> D:
        r = order(ctx, a, type=side, ordertype="limit", volume="0.01", price=price, validate="true")
        return D(r["descr"]["order"].rsplit(" ", 1)[1])

    assert limit("buy", "+100") == last + 100  # used to be read as the absolute price 100
    assert limit("buy", "-100") == last - 100
    assert limit("buy", "#100") == last - 100  # a buy limit waits below the market
    assert limit("sell", "#100") == last + 100
    assert limit("buy", "-1%") == (last * D("0.99")).quantize(D("0.1"))
    assert limit("sell", "+0.5%") == (last * D("1.005")).quantize(D("0.1"))


def test_hash_follows_the_side_of_the_order_type(ctx):
    a = account(ctx, ZUSD="10000", XXBT="1")
    last = ctx.markets.data[XBT].last
    r = order(ctx, a, type="sell", ordertype="stop-loss", volume="0.01", price="#500", validate="true")
    assert r["descr"]["order"].endswith(f"stop loss {last - 500}")
    r = order(ctx, a, type="buy", ordertype="take-profit-limit", volume="0.01", price="#500", price2="#400",
              validate="true")
    assert r["descr"]["order"].endswith(f"take profit {last - 500} -> limit {last - 400}")


def test_bad_relative_prices_get_kraken_errors(ctx):
    a = account(ctx)
    base = {"type": "buy", "ordertype": "limit", "volume": "0.01", "validate": "true"}
    assert error(ctx, a, **base, price="-100%") == "EOrder:Invalid price"  # at or below zero
    assert error(ctx, a, **base, price="-999999") == "EOrder:Invalid price"
    assert error(ctx, a, **base, price="+1e400") == "EGeneral:Invalid arguments:price"
    assert error(ctx, a, **base, price="5%") == "EGeneral:Invalid arguments:price"  # % needs a direction
    assert error(ctx, a, **base, price="++5") == "EGeneral:Invalid arguments:price"
    assert error(ctx, a, **base, price="50000", **{"close[ordertype]": "limit", "close[price]": "+100"}) == \
        "EGeneral:Invalid arguments:close[price]"


# ------------------------------------------------------------------ trailing stops
def test_trailing_stop_needs_a_plus_offset(ctx):
    a = account(ctx, ZUSD="10000", XXBT="1")
    base = {"type": "sell", "ordertype": "trailing-stop", "volume": "0.01", "validate": "true"}
    for bad in ("500", "-500", "#500", "+0", "5%"):
        assert error(ctx, a, **base, price=bad) == "EGeneral:Invalid arguments:price", bad
    assert error(ctx, a, **{**base, "ordertype": "trailing-stop-limit"}, price="+500", price2="100") == \
        "EGeneral:Invalid arguments:price2"
    r = order(ctx, a, **base, price="+2%")
    assert r["descr"]["order"] == "sell 0.01000000 XBTUSD @ trailing stop +2.0000%"


def test_sell_trailing_stop_follows_the_peak_and_triggers_on_the_reversal(ctx):
    a = account(ctx, ZUSD="10000", XXBT="1")
    txid = order(ctx, a, type="sell", ordertype="trailing-stop", volume="0.1", price="+500")["txid"][0]
    o = ctx.engine.orders[txid]
    assert o.price == ctx.markets.data[XBT].last - 500
    for price in (60500, 61200, 61000, 60900):  # peak 61200: the stop follows it up, never down
        move(ctx, XBT, price)
    peak = o.peak
    assert peak >= 61200 and o.price == peak - 500 and o.status == "open"
    shown = ctx.engine.orders[txid].to_kraken()
    assert shown["descr"]["price"] == "+500.0" and shown["stopprice"] == format(peak - 500, "f")
    move(ctx, XBT, peak - 600)
    o = stored_order(ctx, txid)
    assert o["status"] == "closed" and D(o["vol_exec"]) == D("0.1")
    assert D(ctx.db.balance("alice", "XXBT")) == D("0.9")


def test_buy_trailing_stop_limit_follows_the_trough_and_rests_at_its_limit_offset(ctx):
    a = account(ctx)
    txid = order(ctx, a, type="buy", ordertype="trailing-stop-limit", volume="0.1", price="+1%",
                 price2="-200")["txid"][0]
    o = ctx.engine.orders[txid]
    move(ctx, XBT, 59000)
    trough = o.peak
    assert trough <= 59000 and o.price == (trough * D("1.01")).quantize(D("0.1"))
    assert o.price2 == o.price - 200
    move(ctx, XBT, trough * D("1.02"))  # up more than 1% from the trough: triggers
    assert o.triggered and o.resting_price == o.price2
    assert o.to_kraken()["descr"]["order"] == "buy 0.10000000 XBTUSD @ trailing stop +1.0000% -> limit -200.0"


def test_trigger_index_uses_the_index_price_not_the_last_trade(ctx):
    a = account(ctx, ZUSD="10000", XXBT="1")
    data = ctx.markets.data[XBT]
    stop = data.last - 300
    by_last = order(ctx, a, type="sell", ordertype="stop-loss", volume="0.01", price=stop)["txid"][0]
    by_index = order(ctx, a, type="sell", ordertype="stop-loss", volume="0.01", price=stop,
                     trigger="index")["txid"][0]
    assert ctx.engine.orders[by_index].to_kraken()["trigger"] == "index"
    assert "trigger" not in ctx.engine.orders[by_last].to_kraken()  # last: Kraken's default, not shown
    ctx.engine.crowd_trade(XBT, "sell", D("20"))  # a big sale sweeps the bids: the last trade falls, the index stays
    assert data.last < stop < data.mid
    assert stored_order(ctx, by_last)["triggered"] is True
    assert not ctx.engine.orders[by_index].triggered
    data.mid = stop - 100  # now the index falls below the stop
    ctx.engine.requote(XBT, *ctx.simulation.quotes(XBT))
    assert stored_order(ctx, by_index)["triggered"] is True


# ------------------------------------------------------------------ margin
def test_a_margin_buy_opens_a_position_that_holds_collateral_not_balances(ctx):
    a = account(ctx)
    r = order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="2")
    assert r["descr"]["order"] == "buy 0.10000000 XBTUSD @ market with 2:1 leverage"
    [p] = ctx.engine.open_positions("alice")
    assert p.vol == D("0.1") and p.leverage == 2 and p.side == "buy"
    # only the fees left the balance: the trade fee and the opening fee (0.02 % of the borrowed USD)
    fee = (p.cost * D("0.0026")).quantize(D("0.00001")) + (p.cost * D("0.0002")).quantize(D("0.0001"))
    assert ctx.db.balances("alice") == {"ZUSD": D("10000") - fee}
    assert ledgers(ctx, "alice")[-1] == {"type": "margin", "asset": "ZUSD", "amount": "0", "fee": str(fee),
                                         "refid": p.posid}
    s = ctx.engine.margin_summary("alice")
    assert s["m"] == p.cost / 2 and s["c"] == p.cost
    price = ctx.markets.data[XBT].last
    assert s["v"] == D("0.1") * price and s["n"] == D("0.1") * price - p.cost
    assert s["e"] == s["tb"] + s["n"] and s["mf"] == s["e"] - s["m"] and s["ml"] == s["e"] / s["m"] * 100
    trade = json.loads(ctx.db.query("SELECT data FROM trades WHERE txid=?", (p.posid,))[0]["data"])
    assert trade["posstatus"] == "open" and trade["margin"] == format((p.cost / 2).quantize(D("0.00001")), "f")


def test_an_opposite_margin_order_closes_first_in_first_out_and_realises_the_pnl(ctx):
    a = account(ctx)
    order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="2")
    move(ctx, XBT, 61000)
    order(ctx, a, type="buy", ordertype="market", volume="0.05", leverage="2")
    first, second = ctx.engine.open_positions("alice")
    move(ctx, XBT, 62000)
    balance = ctx.db.balance("alice", "ZUSD")
    txid = order(ctx, a, type="sell", ordertype="market", volume="0.12", leverage="2")["txid"][0]
    closing = [e for e in ledgers(ctx, "alice") if e["type"] == "margin" and D(e["amount"]) != 0]
    pnl, fees = sum(D(e["amount"]) for e in closing), sum(D(e["fee"]) for e in closing)
    assert pnl > 0 and ctx.db.balance("alice", "ZUSD") == balance + pnl - fees
    assert first.status == "closed" and first.posid not in ctx.engine.positions  # the oldest closes first
    assert second.vol_closed == D("0.02") and second.remaining == D("0.03")
    o = stored_order(ctx, txid)
    assert o["status"] == "closed" and D(o["vol_exec"]) == D("0.12")
    opening = json.loads(ctx.db.query("SELECT data FROM trades WHERE txid=?", (first.posid,))[0]["data"])
    assert opening["posstatus"] == "closed" and opening["cvol"] == "0.10000000" and opening["trades"]


def test_an_opposite_margin_order_larger_than_the_position_opens_the_other_side(ctx):
    a = account(ctx)
    order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="2")
    order(ctx, a, type="sell", ordertype="market", volume="0.15", leverage="3")
    [p] = ctx.engine.open_positions("alice")
    assert p.side == "sell" and p.vol == D("0.05") and p.leverage == 3


def test_reduce_only_closes_but_never_flips_and_needs_a_position(ctx):
    a = account(ctx)
    assert error(ctx, a, type="sell", ordertype="market", volume="0.1", reduce_only="true") == \
        "EOrder:Reduce only:No position exists"
    order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="2")
    txid = order(ctx, a, type="sell", ordertype="market", volume="0.3", reduce_only="true")["txid"][0]
    o = stored_order(ctx, txid)
    assert D(o["vol_exec"]) == D("0.1") and o["status"] == "canceled"
    assert o["reason"] == "Reduce only:Position is closed"
    assert ctx.engine.open_positions("alice") == []


def test_a_resting_reduce_only_order_is_cancelled_when_its_position_is_gone(ctx):
    a = account(ctx)
    order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="2")
    rest = order(ctx, a, type="sell", ordertype="limit", volume="0.1", price="65000", reduce_only="true")["txid"][0]
    order(ctx, a, type="sell", ordertype="market", volume="0.1", leverage="2")  # closes the position
    move(ctx, XBT, 66000)
    o = stored_order(ctx, rest)
    assert o["status"] == "canceled" and o["reason"] == "Reduce only:Position is closed" and o["vol_exec"] == "0"


def test_leverage_levels_come_from_the_pair(ctx):
    a = account(ctx)
    base = {"type": "buy", "ordertype": "limit", "volume": "0.01", "price": "50000", "validate": "true"}
    assert error(ctx, a, **base, leverage="7") == "EGeneral:Invalid arguments:leverage"
    assert error(ctx, a, **base, leverage="abc") == "EGeneral:Invalid arguments:leverage"
    assert order(ctx, a, **base, leverage="5:1")["descr"]["order"].endswith("with 5:1 leverage")
    assert order(ctx, a, **base, leverage="none")["descr"]["order"] == "buy 0.01000000 XBTUSD @ limit 50000.0"
    with pair_fields(XBT, leverage_buy=(2, 3), leverage_sell=(2,)):
        assert error(ctx, a, **base, leverage="5") == "EGeneral:Invalid arguments:leverage"
        assert error(ctx, a, **{**base, "type": "sell"}, leverage="3") == "EGeneral:Invalid arguments:leverage"
        assert order(ctx, a, **{**base, "type": "sell"}, leverage="2")
    aapl = {"pair": "AAPLxUSD", "type": "buy", "ordertype": "limit", "volume": "1", "price": "100", "leverage": "2"}
    with pytest.raises(KrakenError, match="Invalid arguments:leverage"):
        ctx.engine.add_order(a, aapl)  # xStocks have no leverage


def test_free_margin_and_position_limits_bound_new_positions(ctx):
    a = account(ctx, ZUSD="1000")
    assert error(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="5") == "EOrder:Margin level too low"
    assert order(ctx, a, type="buy", ordertype="market", volume="0.05", leverage="5")
    with pair_fields(XBT, long_position_limit=D("0.06")):
        assert error(ctx, a, type="buy", ordertype="limit", volume="0.02", price="50000", leverage="5") == \
            "EOrder:Margin position size exceeded"


def test_a_short_pays_margin_fees_in_the_borrowed_base_when_it_has_some(ctx):
    a = account(ctx, ZUSD="10000", XXBT="1")
    order(ctx, a, type="sell", ordertype="market", volume="0.2", leverage="2")
    opening = [e for e in ledgers(ctx, "alice") if e["type"] == "margin"]
    assert {e["asset"] for e in opening} == {"ZUSD", "XXBT"}  # trade fee in USD, opening fee in XBT
    assert sum(D(e["fee"]) for e in opening if e["asset"] == "XXBT") == D("0.2") * D("0.0001")  # one a fill
    b = account(ctx, "bob", ZUSD="10000")  # no XBT to pay with: its value in USD
    order(ctx, b, type="sell", ordertype="market", volume="0.2", leverage="2")
    assert {e["asset"] for e in ledgers(ctx, "bob") if e["type"] == "margin"} == {"ZUSD"}
    assert ctx.db.balances("bob").get("XXBT") is None


def test_rollover_fees_every_four_hours_of_the_exchange_clock(ctx):
    a = account(ctx)
    order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="2")
    [p] = ctx.engine.open_positions("alice")
    shown = p.to_kraken(None, str)
    assert shown["terms"] == "0.0200% per 4 hours" and shown["rollovertm"] == str(int(p.time + 4 * 3600))
    ctx.engine.tick()
    assert [e for e in ledgers(ctx, "alice") if e["type"] == "rollover"] == []
    ctx.clock.advance(8 * 3600 + 1)
    ctx.engine.tick()
    rolls = [e for e in ledgers(ctx, "alice") if e["type"] == "rollover"]
    fee = (p.cost * D("0.0002")).quantize(D("0.0001"))
    assert [(e["asset"], D(e["fee"]), e["refid"]) for e in rolls] == [("ZUSD", fee, p.posid)] * 2
    assert p.rollovertm == p.time + 12 * 3600


def test_settle_position_pays_the_borrowed_funds_and_keeps_the_asset(ctx):
    a = account(ctx)
    order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="2")
    [p] = ctx.engine.open_positions("alice")
    usd = ctx.db.balance("alice", "ZUSD")
    r = order(ctx, a, type="sell", ordertype="settle-position", volume="0.04", leverage="2")
    assert r["descr"]["order"] == "sell 0.04000000 XBTUSD @ settle position with 2:1 leverage"
    assert p.remaining == D("0.06")
    assert ctx.db.balance("alice", "XXBT") == D("0.04")
    assert ctx.db.balance("alice", "ZUSD") == usd - p.cost * D("0.04") / D("0.1")  # no fee for settling
    assert {e["type"] for e in ledgers(ctx, "alice")[-2:]} == {"settled"}
    order(ctx, a, type="sell", ordertype="settle-position", volume="0", leverage="2")  # 0: all of it
    assert ctx.engine.open_positions("alice") == [] and ctx.db.balance("alice", "XXBT") == D("0.1")
    assert error(ctx, a, type="sell", ordertype="settle-position", volume="0") == "EOrder:Unknown position"


def test_settling_needs_the_funds(ctx):
    a = account(ctx, ZUSD="4000")
    order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="3")
    assert error(ctx, a, type="sell", ordertype="settle-position", volume="0") == "EOrder:Insufficient funds"


def test_a_margin_call_refuses_new_positions_and_the_margin_stop_liquidates(ctx, caplog):
    a = account(ctx, ZUSD="2000")
    order(ctx, a, type="sell", ordertype="market", volume="0.1", leverage="5")
    levels = []
    for price in (64000, 68000, 71000):
        move(ctx, XBT, price)
        ctx.engine.tick()
        levels.append(ctx.engine.margin_summary("alice")["ml"])
    assert levels[-1] <= 80 and XBT in ctx.engine.margin_calls["alice"]
    assert "margin call" in caplog.text
    assert error(ctx, a, type="sell", ordertype="limit", volume="0.01", price="90000", leverage="5") == \
        "EOrder:Margin level too low"
    balance = ctx.db.balance("alice", "ZUSD")
    move(ctx, XBT, 76000)
    ctx.engine.tick()
    assert ctx.engine.open_positions("alice") == [] and "alice" not in ctx.engine.margin_calls
    [liq] = [json.loads(r["data"]) for r in ctx.db.query("SELECT data FROM orders WHERE account='alice'")
             if json.loads(r["data"])["misc"] == "liquidated"]
    assert liq["side"] == "buy" and liq["reduce_only"] and liq["status"] == "closed"
    assert ctx.db.balance("alice", "ZUSD") < balance  # the loss is realised


def test_margin_levels_come_from_the_pair(ctx):
    a = account(ctx, ZUSD="2000")
    order(ctx, a, type="sell", ordertype="market", volume="0.1", leverage="5")
    move(ctx, XBT, 64000)
    ml = ctx.engine.margin_summary("alice")["ml"]
    with pair_fields(XBT, margin_call=int(ml) + 10, margin_stop=int(ml) - 10):
        ctx.engine.tick()
        assert ctx.engine.margin_calls["alice"] == {XBT} and ctx.engine.open_positions("alice")
        with pair_fields(XBT, margin_stop=int(ml) + 5):
            ctx.engine.tick()
            assert ctx.engine.open_positions("alice") == []


def test_a_conditional_close_of_a_margin_order_closes_its_position(ctx):
    a = account(ctx)
    order(ctx, a, type="buy", ordertype="market", volume="0.1", leverage="2",
          **{"close[ordertype]": "limit", "close[price]": "63000"})
    [p] = ctx.engine.open_positions("alice")
    [close] = [o for o in ctx.engine.orders.values() if o.account == "alice"]
    assert close.side == "sell" and close.leverage == 2 and close.volume == D("0.1")
    move(ctx, XBT, 64000)
    assert ctx.engine.open_positions("alice") == [] and p.status == "closed"


def test_positions_and_trailing_stops_survive_a_restart(tmp_path):
    c = make_context(tmp_path, seed=1)
    move(c, XBT, 60000)
    a = account(c, ZUSD="10000", XXBT="1")
    order(c, a, type="buy", ordertype="market", volume="0.1", leverage="2")
    txid = order(c, a, type="sell", ordertype="trailing-stop", volume="0.1", price="+5000", reduce_only="true")["txid"][0]
    move(c, XBT, 61000)
    peak = c.engine.orders[txid].peak
    [before] = c.engine.open_positions("alice")
    c.db.close()
    again = make_context(tmp_path, seed=1)
    try:
        [after] = again.engine.open_positions("alice")
        assert (after.posid, after.vol, after.cost, after.leverage) == (before.posid, before.vol, before.cost,
                                                                         before.leverage)
        o = again.engine.orders[txid]
        assert o.reduce_only and o.trail.raw() == "+5000" and o.peak == peak
    finally:
        again.db.close()
