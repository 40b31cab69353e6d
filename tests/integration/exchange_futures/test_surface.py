"""The Futures endpoints python-kraken-sdk never wrapped (issue 14): trading instruments,
transfer history, assignment programs; plus one ticker and instrument status per symbol."""

from __future__ import annotations

from decimal import Decimal as D

from kraken_ops.exchange.futures.engine import account_uid

P = "/derivatives/api/v3"


async def test_trading_instruments_need_a_key_and_filter_by_contract_type(fx):
    api = fx.add_account()
    assert (await fx.public().get(f"{P}/trading/instruments", auth=False))["error"] == "authenticationError"
    every = (await api.get(f"{P}/trading/instruments"))["instruments"]
    public = (await fx.public().get(f"{P}/instruments", auth=False))["instruments"]
    assert [i["symbol"] for i in every] == [i["symbol"] for i in public]
    inverse = (await api.get(f"{P}/trading/instruments", [("contractType", "futures_inverse")]))["instruments"]
    assert inverse and {i["type"] for i in inverse} == {"futures_inverse"}
    both = await api.get(f"{P}/trading/instruments", [("contractType", "futures_inverse"), ("contractType", "flexible_futures")])
    assert {i["type"] for i in both["instruments"]} == {"futures_inverse", "flexible_futures"}
    assert len((await api.get(f"{P}/trading/instruments", {"contractType": "all"}))["instruments"]) == len(every)
    assert (await api.get(f"{P}/trading/instruments", {"contractType": "swaps"}))["error"] == "invalidArgument"


async def test_trading_instruments_need_a_funds_query_permission(fx):
    api = fx.add_account(permissions=["futures", "trade"])
    assert (await api.get(f"{P}/trading/instruments"))["error"] == "authenticationError"


async def test_transfers_list_wallet_spot_and_subaccount_transfers_newest_first(fx):
    master = fx.add_account(fund={"USD": 500})
    sub = fx.add_account(parent=master.name)
    assert (await master.get(f"{P}/transfers"))["transfers"] == []
    assert (await master.post(f"{P}/transfer", {"fromAccount": "flex", "toAccount": "cash", "unit": "USD", "amount": "40"}))["result"] == "success"
    fx.ctx.wallet_transfer_to_futures(master.name, "ZUSD", D("12.5"))
    r = await master.post(f"{P}/transfer/subaccount", {
        "fromUser": account_uid(master.name), "toUser": account_uid(sub.name), "fromAccount": "flex",
        "toAccount": "flex", "unit": "USD", "amount": "25"})
    assert r["result"] == "success"
    transfers = (await master.get(f"{P}/transfers"))["transfers"]
    assert [(t["from"], t["to"], t["asset"], t["amount"]) for t in transfers] == [
        ("flex", "subaccount", "usd", 25),
        ("spot", "flex", "usd", D("12.5")),
        ("flex", "cash", "usd", 40),
    ]
    assert all(t["status"] == "complete" and t["date"].endswith("Z") for t in transfers)
    received = (await sub.get(f"{P}/transfers"))["transfers"]
    assert [(t["from"], t["to"], t["amount"]) for t in received] == [("subaccount", "flex", 25)]


async def test_transfers_before_a_time_and_a_bad_time(fx):
    api = fx.add_account(fund={"USD": 100})
    await api.post(f"{P}/transfer", {"fromAccount": "flex", "toAccount": "cash", "unit": "USD", "amount": "1"})
    first = (await api.get(f"{P}/transfers"))["transfers"][0]
    assert (first["from"], first["to"]) == ("flex", "cash")
    assert (await api.get(f"{P}/transfers", {"lastTransferTime": "2000-01-01T00:00:00.000Z"}))["transfers"] == []
    assert (await api.get(f"{P}/transfers", {"lastTransferTime": first["date"]}))["transfers"] == [first]
    assert (await api.get(f"{P}/transfers", {"lastTransferTime": "yesterday"}))["error"] == "invalidArgument"


async def test_a_transfer_whose_halves_are_logged_a_millisecond_apart_stays_one_entry(fx):
    """The cutoff applies to the transfer's time (its first half), after both halves are paired."""
    api = fx.add_account(fund={"USD": 100})
    await api.post(f"{P}/transfer", {"fromAccount": "flex", "toAccount": "cash", "unit": "USD", "amount": "1"})
    fx.ctx.clock.advance(0.001)
    rows = fx.ctx.db.query("SELECT id, time FROM fut_log ORDER BY id DESC LIMIT 1")
    fx.ctx.db.execute("UPDATE fut_log SET time=? WHERE id=?", (rows[0]["time"] + 1, rows[0]["id"]))  # the credit half, 1 ms later
    first = (await api.get(f"{P}/transfers"))["transfers"][0]
    assert (await api.get(f"{P}/transfers", {"lastTransferTime": first["date"]}))["transfers"] == [first]
    assert (first["from"], first["to"]) == ("flex", "cash")


async def test_assignment_programs_of_an_account_without_any(fx):
    api = fx.add_account()
    r = await api.get(f"{P}/assignmentprogram/current")
    assert r["result"] == "success" and r["participants"] == []
    assert (await fx.public().get(f"{P}/assignmentprogram/current", auth=False))["error"] == "authenticationError"


async def test_one_ticker_and_one_instrument_status(fx):
    pub = fx.public()
    every = {t["symbol"]: t for t in (await pub.get(f"{P}/tickers", auth=False))["tickers"]}
    one = (await pub.get(f"{P}/tickers/PF_XBTUSD", auth=False))["ticker"]
    assert one["symbol"] == "PF_XBTUSD" and one["markPrice"] == every["PF_XBTUSD"]["markPrice"]
    status = await pub.get(f"{P}/instruments/PF_XBTUSD/status", auth=False)
    assert status["tradeable"] == "PF_XBTUSD" and status["experiencingDislocation"] is False
    assert (await pub.get(f"{P}/instruments/NOPE/status", auth=False))["error"] == "notFound"
