"""Funding payments on perpetuals every funding interval, and liquidation at maintenance margin.

The tests drive the exchange's clock (``ctx.clock.advance``) and the price process
(``engine.tick()``) by hand; nothing waits for a real hour.
"""

from __future__ import annotations

from decimal import Decimal as D

from .test_trading import P, set_index


def hold(fx, engine_premium: float) -> None:
    """Pin every market's premium, so the next tick's funding rate follows from it."""
    for m in fx.engine.markets.values():
        m.premium = engine_premium


async def log(api, info: str) -> list[dict]:
    return (await api.get("/api/history/v2/account-log", {"info": info, "sort": "asc"}))["logs"]


async def test_positions_pay_funding_at_each_interval_of_the_exchange_clock(fx):
    set_index(fx, 60000)
    long = fx.add_account(fund={"USD": 10000})
    short = fx.add_account(fund={"USD": 10000})
    await long.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.5")
    await short.send(orderType="mkt", symbol="PF_XBTUSD", side="sell", size="0.2")
    fx.engine.tick()
    assert await log(long, "funding rate change") == []  # nothing is due before the next funding time
    usd = (await long.get(f"{P}/accounts"))["accounts"]["flex"]["currencies"]["USD"]["quantity"]
    fx.ctx.clock.advance(fx.engine.funding_interval())
    hold(fx, 0.0005)  # mark above index: a positive rate
    fx.engine.tick()
    ticker = (await fx.public().public(f"{P}/tickers/PF_XBTUSD"))["ticker"]
    rate = ticker["fundingRate"]  # absolute: USD a contract pays per interval
    m = fx.engine.markets["PF_XBTUSD"]
    assert rate > 0 and abs(rate - m.relative_funding_rate * m.mark) < D("1e-12")
    [paid] = await log(long, "funding rate change")
    [received] = await log(short, "funding rate change")
    assert paid["realized_funding"] == (-D("0.5") * rate).quantize(D("1e-8")) < 0  # longs pay a positive rate
    assert received["realized_funding"] == (D("0.2") * rate).quantize(D("1e-8"))
    assert paid["funding_rate"] == rate and paid["contract"] == "pf_xbtusd"
    after = (await long.get(f"{P}/accounts"))["accounts"]["flex"]["currencies"]["USD"]["quantity"]
    assert after == usd + paid["realized_funding"]
    fx.ctx.clock.advance(fx.engine.funding_interval() * 3)
    fx.engine.tick()
    assert len(await log(long, "funding rate change")) == 4  # one payment for each interval passed


async def test_inverse_funding_is_paid_in_the_collateral_coin(fx_factory):
    fx = await fx_factory(futures_funding_interval=60)
    set_index(fx, 60000)
    api = fx.add_account(fund={"fi_xbtusd:XBT": 1})
    await api.send(orderType="mkt", symbol="PI_XBTUSD", side="sell", size="1000")
    fx.ctx.clock.advance(60)
    hold(fx, 0.0008)
    fx.engine.tick()
    m = fx.engine.markets["PI_XBTUSD"]
    [entry] = await log(api, "funding rate change")
    assert entry["asset"] == "xbt" and entry["margin_account"] == "fi_xbtusd"
    assert entry["realized_funding"] == (D(1000) * m.funding_rate).quantize(D("1e-10"))
    assert m.funding_rate == (m.relative_funding_rate / m.mark).quantize(D("1e-18"))


async def test_a_position_below_maintenance_margin_is_liquidated_and_the_account_never_goes_negative(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 1000})
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.5")  # 30,000 USD on 1,000
    await api.send(orderType="lmt", symbol="PF_XBTUSD", side="sell", size="0.1", limitPrice="70000")
    set_index(fx, 59000)
    assert (await api.get(f"{P}/openpositions"))["openPositions"]  # still above maintenance margin
    set_index(fx, 57000)  # a 3,000 loss on 1,000 of collateral: far below maintenance margin
    assert (await api.get(f"{P}/openpositions"))["openPositions"] == []
    assert (await api.get(f"{P}/openorders"))["openOrders"] == []  # its orders were cancelled first
    flex = (await api.get(f"{P}/accounts"))["accounts"]["flex"]
    assert flex["currencies"]["USD"]["quantity"] >= 0
    fills = (await api.get(f"{P}/fills"))["fills"]
    assert fills[0]["fillType"] == "liquidation"
    entries = await log(api, "futures liquidation")
    assert entries and all(e["liquidation_fee"] == 0 for e in entries)


async def test_a_position_above_maintenance_margin_is_kept(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 10000})
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="sell", size="0.5")
    set_index(fx, 62000, ticks=3)
    assert (await api.get(f"{P}/openpositions"))["openPositions"][0]["size"] == D("0.5")


async def test_historical_funding_rates_are_absolute_like_the_ticker(fx):
    """fundingRate is what a contract pays (relative rate x its value): rel x mark for PF_, rel / mark for PI_."""
    set_index(fx, 60000)
    api = fx.public()
    for symbol, absolute in (("PF_XBTUSD", lambda rel, mark: rel * mark), ("PI_XBTUSD", lambda rel, mark: rel / mark)):
        mark = fx.engine.markets[symbol].mark
        rates = (await api.public("/derivatives/api/v4/historicalfundingrates", {"symbol": symbol}))["rates"]
        for r in rates[:5]:
            assert r["fundingRate"] == absolute(r["relativeFundingRate"], mark).quantize(D("1e-18")), symbol
