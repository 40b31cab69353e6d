"""Wallets, transfers, preferences, subaccounts, account log (JSON and CSV) and history v2."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

from kraken_ops.exchange.futures.engine import account_uid

from .test_trading import lmt, set_index

P = "/derivatives/api/v3"


async def test_accounts_shape_cash_flex_and_margin_account(fx):
    api = fx.add_account(fund={"USD": 500, "cash:XBT": "0.5"})
    acc = (await api.get(f"{P}/accounts"))["accounts"]
    assert acc["cash"] == {"type": "cashAccount", "balances": {"xbt": D("0.5")}}
    flex = acc["flex"]
    assert flex["type"] == "multiCollateralMarginAccount" and flex["currencies"]["USD"]["quantity"] == 500
    for k in ("initialMargin", "initialMarginWithOrders", "maintenanceMargin", "balanceValue", "portfolioValue",
              "collateralValue", "pnl", "availableMargin", "marginEquity"):
        assert k in flex
    assert acc["fi_xbtusd"]["type"] == "marginAccount"


async def test_spot_wallet_transfer_credits_the_flex_wallet(fx):
    api = fx.add_account()
    fx.ctx.wallet_transfer_to_futures(api.name, "ZUSD", D("250.5"))
    flex = (await api.get(f"{P}/accounts"))["accounts"]["flex"]
    assert flex["currencies"]["USD"]["quantity"] == D("250.5")
    log = await api.get("/api/history/v2/account-log")
    assert log["logs"][0]["info"] == "cross-exchange transfer" and log["logs"][0]["new_balance"] == D("250.5")


async def test_transfer_between_futures_wallets_and_errors(fx):
    api = fx.add_account(fund={"USD": 100})
    r = await api.post(f"{P}/transfer", {"fromAccount": "flex", "toAccount": "cash", "unit": "USD", "amount": "40"})
    assert r["result"] == "success"
    acc = (await api.get(f"{P}/accounts"))["accounts"]
    assert acc["cash"]["balances"] == {"usd": 40} and acc["flex"]["currencies"]["USD"]["quantity"] == 60
    bad = {"fromAccount": "flex", "toAccount": "cash", "unit": "USD", "amount": "1000"}
    assert (await api.post(f"{P}/transfer", bad))["error"] == "insufficientFunds"
    assert (await api.post(f"{P}/transfer", dict(bad, amount="1", toAccount="moon")))["error"] == "invalidAccount"
    assert (await api.post(f"{P}/transfer", dict(bad, amount="1", unit="DOGE")))["error"] == "invalidUnit"
    assert (await api.post(f"{P}/transfer", dict(bad, amount="-1")))["error"] == "invalidAmount"
    assert (await api.post(f"{P}/transfer", {"fromAccount": "flex"}))["error"] == "requiredArgumentMissing"


async def test_withdrawal_moves_funds_back_to_the_spot_wallet(fx):
    api = fx.add_account(fund={"USD": 100, "cash:XBT": "1"})
    r = await api.post(f"{P}/withdrawal", {"currency": "xbt", "amount": "0.25"})
    assert r["result"] == "success"
    assert fx.ctx.db.balance(api.name, "XXBT", "spot") == D("0.25")
    r = await api.post(f"{P}/withdrawal", {"currency": "USD", "amount": "30", "sourceWallet": "flex"})
    assert r["result"] == "success" and fx.ctx.db.balance(api.name, "ZUSD", "spot") == D(30)
    assert (await api.post(f"{P}/withdrawal", {"currency": "USD", "amount": "1000",
                                               "sourceWallet": "flex"}))["error"] == "insufficientFunds"


async def test_subaccounts_trading_enabled_and_subaccount_transfer(fx):
    master = fx.add_account(fund={"USD": 100})
    sub = fx.add_account(parent=master.name)
    sub_uid = account_uid(sub.name)
    r = await master.get(f"{P}/subaccounts")
    assert r["masterAccountUid"] == account_uid(master.name)
    assert [s["accountUid"] for s in r["subaccounts"]] == [sub_uid]
    assert (await master.get(f"{P}/subaccount/{sub_uid}/trading-enabled"))["tradingEnabled"] is True
    r = await master.put(f"{P}/subaccount/{sub_uid}/trading-enabled", {"tradingEnabled": "false"})
    assert r["tradingEnabled"] is False
    assert (await sub.post(f"{P}/sendorder", lmt()))["error"] == "accountInactive"
    assert (await master.get(f"{P}/subaccount/nobody/trading-enabled"))["error"] == "notFound"
    r = await master.post(f"{P}/transfer/subaccount", {
        "fromUser": account_uid(master.name), "toUser": sub_uid, "fromAccount": "flex", "toAccount": "flex",
        "unit": "USD", "amount": "25"})
    assert r["result"] == "success"
    assert (await sub.get(f"{P}/accounts"))["accounts"]["flex"]["currencies"]["USD"]["quantity"] == 25
    r = await master.post(f"{P}/transfer/subaccount", {
        "fromUser": "stranger", "toUser": sub_uid, "fromAccount": "flex", "toAccount": "flex",
        "unit": "USD", "amount": "1"})
    assert r["error"] == "invalidAccount"


async def test_leverage_and_pnl_preferences_get_put(fx):
    api = fx.add_account()
    assert (await api.get(f"{P}/leveragepreferences"))["leveragePreferences"] == []
    assert (await api.put(f"{P}/leveragepreferences", {"symbol": "PF_XBTUSD", "maxLeverage": "5"}))["result"] == "success"
    assert (await api.get(f"{P}/leveragepreferences"))["leveragePreferences"] == [{"symbol": "PF_XBTUSD", "maxLeverage": 5}]
    await api.put(f"{P}/leveragepreferences", {"symbol": "PF_XBTUSD"})  # no maxLeverage: back to cross
    assert (await api.get(f"{P}/leveragepreferences"))["leveragePreferences"] == []
    assert (await api.put(f"{P}/leveragepreferences", {"symbol": "PF_XBTUSD", "maxLeverage": "0"}))["error"] == "invalidArgument"
    assert (await api.put(f"{P}/pnlpreferences", {"symbol": "PF_XBTUSD", "pnlPreference": "XBT"}))["result"] == "success"
    assert (await api.get(f"{P}/pnlpreferences"))["preferences"] == [{"symbol": "PF_XBTUSD", "pnlCurrency": "XBT"}]
    assert (await api.put(f"{P}/pnlpreferences", {"symbol": "PF_XBTUSD"}))["error"] == "requiredArgumentMissing"


async def test_notifications_unwindqueue_and_fee_volumes(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    notes = (await api.get(f"{P}/notifications"))["notifications"]
    assert notes and {"type", "priority", "note", "effectiveTime"} <= set(notes[0])
    fx.ctx.status = "post_only"
    assert (await api.get(f"{P}/notifications"))["notifications"][0]["priority"] == "high"
    fx.ctx.status = "online"
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.1")
    q = (await api.get(f"{P}/unwindqueue"))["queue"]
    assert q[0]["symbol"] == "PF_XBTUSD" and 0 < q[0]["percentile"] <= 100
    vols = (await api.get(f"{P}/feeschedules/volumes"))["volumesByFeeSchedule"]
    assert list(vols.values())[0] > 5000


async def test_account_log_json_filters_and_csv(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    log = await api.get("/api/history/v2/account-log", {"sort": "asc"})
    assert log["accountUid"] == account_uid(api.name)
    infos = [e["info"] for e in log["logs"]]
    assert infos[0] == "admin transfer" and "futures trade" in infos
    trade = [e for e in log["logs"] if e["info"] == "futures trade" and e["asset"] == "pf_xbtusd"][0]
    assert trade["new_balance"] == D("0.01") and trade["fee"] > 0 and trade["trade_price"] > 0
    ids = [e["id"] for e in log["logs"]]
    two = await api.get("/api/history/v2/account-log", {"count": 2})
    assert [e["id"] for e in two["logs"]] == sorted(ids, reverse=True)[:2]
    rng = await api.get("/api/history/v2/account-log", {"from": ids[1], "to": ids[1]})
    assert [e["id"] for e in rng["logs"]] == [ids[1]]
    only = await api.get("/api/history/v2/account-log", {"info": "admin transfer"})
    assert [e["info"] for e in only["logs"]] == ["admin transfer"]
    status, headers, text = await api.request("GET", "/api/history/v2/accountlogcsv", raw=True)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(ids) and rows[0]["uid"] == str(max(ids))
    assert {"dateTime", "type", "change", "new balance", "fee"} <= set(rows[0])
    assert any(r["type"] == "futures trade" and r["contract"] == "pf_xbtusd" for r in rows)


async def test_history_orders_and_executions_paginate(fx):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    ids = [(await api.send(**lmt(price=str(50000 + i), size="0.001")))["order_id"] for i in range(5)]
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.001")
    page = await api.get("/api/history/v2/orders", {"count": 3, "sort": "asc"})
    assert page["len"] == 3 and page["continuationToken"]
    first = [e["event"]["OrderPlaced"]["order"]["uid"] for e in page["elements"]]
    assert first == ids[:3]
    rest = await api.get("/api/history/v2/orders", {"count": 10, "sort": "asc",
                                                    "continuation_token": page["continuationToken"]})
    assert "continuationToken" not in rest and rest["len"] == 4   # 2 + the market order's OrderPlaced
    assert rest["elements"][-1]["event"]["OrderUpdated"]["reason"] == "full_fill"   # ... and its fill
    ex = await api.get("/api/history/v2/executions")
    assert ex["len"] == 1 and ex["elements"][0]["event"]["Execution"]["execution"]["takerOrder"]["accountUid"] \
        == account_uid(api.name)
    ts = page["elements"][0]["timestamp"]
    assert (await api.get("/api/history/v2/orders", {"before": ts}))["len"] == 0
    assert (await api.get("/api/history/v2/orders", {"since": ts, "tradeable": "PF_ETHUSD"}))["len"] == 0
    assert (await api.get("/api/history/v2/orders", {"sort": "sideways"}))["error"] == "invalidArgument"


async def test_state_survives_a_restart(fx, tmp_path):
    set_index(fx, 60000)
    api = fx.add_account(fund={"USD": 100000})
    o = await api.send(**lmt(price="50000", size="0.01"))
    await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    from kraken_ops.exchange.futures.engine import FuturesEngine
    again = FuturesEngine(fx.ctx)
    assert o["order_id"] in again.orders
    assert again.positions[(api.name, "PF_XBTUSD")].size == D("0.01")
