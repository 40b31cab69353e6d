"""Exports, funding, subaccounts, Earn and WebSocket tokens."""

import io
import time
import zipfile
from decimal import Decimal as D

from helpers import Spot, name


def _acct(exchange, **kw):
    a = exchange.add_account(name(), fund={"USD": "100000", "XBT": "5", "DOT": "100"}, **kw)
    return a, Spot(exchange.url, a)


def test_export_lifecycle_produces_zip(exchange):
    a, c = _acct(exchange)
    c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"})
    eid = c.ok("AddExport", {"report": "trades", "description": "my trades", "format": "TSV"})["id"]
    seen = set()
    deadline = time.time() + 5
    while time.time() < deadline:
        st = c.ok("ExportStatus", {"report": "trades"})[0]
        seen.add(st["status"])
        if st["status"] == "Processed":
            break
        time.sleep(0.05)
    assert "Processed" in seen and "Queued" in seen
    r = c.raw("RetrieveExport", {"id": eid})
    assert r.headers["Content-Type"] == "application/octet-stream"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        text = zf.read("trades.tsv").decode()
    # a market order may fill against several maker levels: one row per trade of the account
    trades = c.ok("TradesHistory", {})["trades"]
    lines = text.splitlines()
    assert lines[0].startswith("txid\tordertxid\tpair") and len(lines) == 1 + len(trades) >= 2
    assert {line.split("\t")[0] for line in lines[1:]} == set(trades)
    assert c.ok("RemoveExport", {"id": eid, "type": "delete"}) == {"delete": True}
    assert c.ok("ExportStatus", {"report": "trades"}) == []
    assert c.error("AddExport", {"report": "bogus", "description": "x"}) == ["EGeneral:Invalid arguments:report"]


def test_ledger_export_csv(exchange):
    a, c = _acct(exchange)
    eid = c.ok("AddExport", {"report": "ledgers", "description": "l"})["id"]
    exchange.ctx.clock.advance(0)  # status is time based
    time.sleep(0.7)
    r = c.raw("RetrieveExport", {"id": eid})
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        rows = zf.read("ledgers.csv").decode().splitlines()
    assert rows[0].startswith("txid,refid,time,type") and len(rows) == 4  # 3 deposits


def test_deposits(exchange):
    a, c = _acct(exchange)
    assert c.ok("DepositMethods", {"asset": "XBT"})[0]["method"] == "Bitcoin"
    assert c.ok("DepositAddresses", {"asset": "XBT", "method": "Bitcoin"})[0]["address"].startswith("bc1q")
    exchange.deposit(a.name, "XBT", "0.5")
    st = c.ok("DepositStatus", {"asset": "XBT"})
    assert st[0]["amount"] == "0.5" and st[0]["status"] == "Success"
    assert "deposit" in c.ok("DepositStatus", {"cursor": "true"})
    assert c.error("DepositMethods", {"asset": "NOPE"}) == ["EQuery:Unknown asset"]


def test_withdraw_flow(exchange):
    a, c = _acct(exchange)
    exchange.db.add_withdraw_key(a.name, "XXBT", "cold", "bc1qcold")
    assert c.ok("WithdrawAddresses", {"asset": "XBT"})[0]["key"] == "cold"
    assert c.ok("WithdrawMethods", {"asset": "XBT"})[0]["method"] == "Bitcoin"
    info = c.ok("WithdrawInfo", {"asset": "XBT", "key": "cold", "amount": "1"})
    assert info["fee"] == "0.0004000000" and info["amount"] == "0.9996000000"
    assert c.error("Withdraw", {"asset": "XBT", "key": "nokey", "amount": "1"}) == ["EFunding:Unknown withdraw key"]
    assert c.error("Withdraw", {"asset": "XBT", "key": "cold", "amount": "1", "max_fee": "0.0001"}) == [
        "EFunding:Max fee exceeded"]
    assert c.error("Withdraw", {"asset": "XBT", "key": "cold", "amount": "-1"}) == ["EFunding:Invalid amount"]
    refid = c.ok("Withdraw", {"asset": "XBT", "key": "cold", "amount": "1"})["refid"]
    assert D(c.ok("Balance")["XXBT"]) == D("4")
    assert c.ok("WithdrawStatus", {"asset": "XBT"})[0]["refid"] == refid
    assert c.ok("WithdrawCancel", {"asset": "XBT", "refid": refid}) is True
    assert D(c.ok("Balance")["XXBT"]) == D("5")
    assert c.error("WithdrawCancel", {"asset": "XBT", "refid": refid}) == ["EFunding:Invalid reference id"]
    assert c.error("WithdrawCancel", {"asset": "XBT", "refid": "NOPE"}) == ["EFunding:Unknown reference id"]


def test_wallet_transfer_to_futures(exchange):
    a, c = _acct(exchange)
    got = []
    old = exchange.ctx.on_futures_credit
    exchange.ctx.on_futures_credit = lambda n, asset, amount: got.append((n, asset, amount))
    try:
        r = c.ok("WalletTransfer", {"asset": "XBT", "from": "Spot Wallet", "to": "Futures Wallet", "amount": "1"})
    finally:
        exchange.ctx.on_futures_credit = old
    assert r["refid"] and got == [(a.name, "XXBT", D("1"))]
    assert D(c.ok("Balance")["XXBT"]) == D("4")
    assert c.error("WalletTransfer", {"asset": "XBT", "from": "Spot Wallet", "to": "Moon", "amount": "1"}) == [
        "EGeneral:Invalid arguments:to"]


def test_subaccounts_and_account_transfer(exchange):
    a, c = _acct(exchange)
    sub = name("sub")
    assert c.ok("CreateSubaccount", {"username": sub, "email": "s@example.com"}) is True
    r = c.ok("AccountTransfer", {"asset": "USD", "amount": "100", "from": a.name, "to": sub})
    assert r["status"] == "complete"
    assert exchange.db.balance(sub, "ZUSD") == D("100")
    other = exchange.add_account(name())
    assert c.error("AccountTransfer", {"asset": "USD", "amount": "1", "from": a.name, "to": other.name}) == [
        "EGeneral:Permission denied"]


def test_earn_allocate_pending_then_done(exchange):
    a, c = _acct(exchange)
    strategies = c.ok("Earn/Strategies")["items"]
    dot = next(s for s in strategies if s["asset"] == "DOT")
    assert c.ok("Earn/Allocate", {"strategy_id": dot["id"], "amount": "10"}) is True
    assert c.ok("Earn/AllocateStatus", {"strategy_id": dot["id"]}) == {"pending": True}
    assert c.error("Earn/Allocate", {"strategy_id": dot["id"], "amount": "1"}) == [
        "EEarnings:Busy:Another (de)allocation for the same strategy is in progress"]
    exchange.ctx.clock.advance(2)
    assert c.ok("Earn/AllocateStatus", {"strategy_id": dot["id"]}) == {"pending": False}
    alloc = c.ok("Earn/Allocations")
    assert alloc["items"][0]["amount_allocated"]["total"]["native"] == "10.0000000000"
    assert D(c.ok("Balance")["DOT"]) == D("90") and c.ok("Balance")["DOT.F"] == "10.0000000000"
    assert c.ok("Earn/Deallocate", {"strategy_id": dot["id"], "amount": "4"}) is True
    assert c.ok("Earn/DeallocateStatus", {"strategy_id": dot["id"]}) == {"pending": True}
    exchange.ctx.clock.advance(2)
    assert c.error("Earn/Allocate", {"strategy_id": "ENOPE", "amount": "1"}) == [
        "EGeneral:Invalid arguments:Invalid strategy ID"]
    assert c.error("Earn/Allocate", {"strategy_id": dot["id"], "amount": "0.001"}) == [
        "EEarnings:Below min:(De)allocation operation amount less than minimum"]
    assert c.error("Earn/Allocate", {"strategy_id": dot["id"], "amount": "1000"}) == [
        "EEarnings:Insufficient funds:Insufficient funds to complete the (de)allocation request"]


def test_websockets_token(exchange):
    a, c = _acct(exchange)
    r = c.ok("GetWebSocketsToken")
    assert r["expires"] == 900 and len(r["token"]) > 20
