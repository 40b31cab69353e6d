"""Bad parameters get Kraken's error strings at the boundary (issue 10, item 7): the issue's
examples one by one, the bounds of admin amounts, and a database that already holds a bad row.
The property-based sweep over every endpoint is tests/integration/exchange_fuzz."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest
import requests
from helpers import Spot, name
from typer.testing import CliRunner

from kraken_ops.cli.app import app
from kraken_ops.exchange.state import AmountError, State

HUGE = ["1e400", "1e30", "-1e400", "NaN", "Infinity", "9" * 5000]


@pytest.mark.parametrize("method", ["Trades", "OHLC", "Spread"])
@pytest.mark.parametrize("since", ["abc", "1e400", "-1e400", "NaN", "inf", "-5", "1_0x"])
def test_public_since_junk_is_invalid_arguments_since(exchange, method, since):
    r = requests.get(f"{exchange.url}/0/public/{method}", params={"pair": "XBTUSD", "since": since}, timeout=10)
    assert r.status_code == 200
    assert r.json() == {"error": ["EGeneral:Invalid arguments:since"]}


@pytest.mark.parametrize("method", ["Trades", "OHLC", "Spread"])
def test_public_since_still_takes_seconds_and_trades_nanoseconds(exchange, method):
    c = Spot(exchange.url)
    last = c.public(method, pair="XBTUSD")["result"]["last"]
    assert c.public(method, pair="XBTUSD", since="0")["error"] == []
    assert c.public(method, pair="XBTUSD", since=str(last))["error"] == []


@pytest.mark.parametrize("field", ["price", "volume"])
@pytest.mark.parametrize("value", HUGE)
def test_addorder_huge_numbers_are_invalid_arguments(exchange, field, value):
    acct = exchange.add_account(name(), {"USD": "100000", "XBT": "1"})
    params = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "1000",
              "validate": "true", field: value}
    assert Spot(exchange.url, acct).error("AddOrder", params) == [f"EGeneral:Invalid arguments:{field}"]


def test_json_bodies_with_lists_and_objects_for_single_values(exchange):
    acct = exchange.add_account(name(), {"USD": "1000"})
    c = Spot(exchange.url, acct)
    assert c.error("TradeBalance", {"asset": ["ZUSD"]}, json_body=True) == ["EGeneral:Invalid arguments:asset"]
    assert c.error("ClosedOrders", {"ofs": {"a": 1}}, json_body=True) == ["EGeneral:Invalid arguments:ofs"]
    assert c.error("Ledgers", {"ofs": "1e400"}) == ["EGeneral:Invalid arguments:ofs"]
    assert c.error("TradesHistory", {"start": "inf"}) == ["EGeneral:Invalid arguments:start"]
    assert c.error("CancelOrderBatch", {"orders": 5}, json_body=True) == ["EGeneral:Invalid arguments:orders"]
    assert c.error("RetrieveExport", {"id": [1, 2]}, json_body=True) == ["EGeneral:Invalid arguments:id"]
    # numbers and booleans in JSON are their text, as before
    assert c.ok("TradeBalance", {"asset": "ZUSD"}, json_body=True)["eb"]


@pytest.mark.parametrize("value", ["1e400", "1e30", "NaN"])
def test_funding_amounts_beyond_the_bound_are_invalid_amount(exchange, value):
    acct = exchange.add_account(name(), {"XBT": "1"})
    exchange.db.add_withdraw_key(acct.name, "XXBT", "cold", "bc1qx")
    c = Spot(exchange.url, acct)
    assert c.error("WithdrawInfo", {"asset": "XBT", "key": "cold", "amount": value}) == ["EFunding:Invalid amount"]
    assert c.error("Earn/Allocate", {"strategy_id": "ESRFUO3-Q62XD-WIOIL7", "amount": value}) == \
        ["EGeneral:Invalid arguments:amount"]


# ------------------------------------------------------------------ Futures
def _futures(exchange, acct, path, params, method="POST"):
    from urllib.parse import urlencode

    from kraken_ops.exchange.futures.auth import authent, endpoint_path
    from helpers import next_nonce

    body = urlencode(params)
    nonce = str(next_nonce())
    query, data = ("", body) if method == "POST" else (body, "")
    headers = {"APIKey": acct.futures_key, "Nonce": nonce, "Content-Type": "application/x-www-form-urlencoded",
               "Authent": authent(acct.futures_secret, query + data, nonce, endpoint_path(path))}
    r = requests.request(method, exchange.url + path + ("?" + query if query else ""), data=data or None,
                         headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("field,value,status", [
    ("size", "1e400", "invalidSize"), ("size", "1e30", "invalidSize"), ("size", "NaN", "invalidSize"),
    ("limitPrice", "1e400", "invalidPrice"), ("limitPrice", "1e30", "invalidPrice"),
])
def test_futures_sendorder_huge_numbers_are_refused_in_send_status(exchange, field, value, status):
    acct = exchange.add_account(name(), {"USD": "10000"})
    r = _futures(exchange, acct, "/derivatives/api/v3/sendorder",
                 {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "0.01", "limitPrice": "1000",
                  field: value})
    assert r["result"] == "success" and r["sendStatus"]["status"] == status


def test_futures_editorder_junk_price_is_refused_not_ignored(exchange):
    acct = exchange.add_account(name(), {"USD": "10000"})
    exchange.call(lambda: exchange.ctx.futures_engine.credit(acct.name, "flex", "USD", Decimal(10000),
                                                             info="admin transfer"))
    placed = _futures(exchange, acct, "/derivatives/api/v3/sendorder",
                      {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "0.01", "limitPrice": "1000"})
    oid = placed["sendStatus"]["order_id"]
    r = _futures(exchange, acct, "/derivatives/api/v3/editorder", {"orderId": oid, "limitPrice": "1e400"})
    assert r["editStatus"]["status"] == "invalidPrice"


def test_futures_structured_json_values_are_invalid_argument(exchange):
    acct = exchange.add_account(name(), {"USD": "10000"})
    import json as _json

    from kraken_ops.exchange.futures.auth import authent, endpoint_path
    from helpers import next_nonce

    path = "/derivatives/api/v3/sendorder"
    body = _json.dumps({"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "0.01",
                        "limitPrice": "1000", "cliOrdId": ["a", "b"]})
    nonce = str(next_nonce())
    r = requests.post(exchange.url + path, data=body, timeout=10, headers={
        "APIKey": acct.futures_key, "Nonce": nonce, "Content-Type": "application/json",
        "Authent": authent(acct.futures_secret, body, nonce, endpoint_path(path))}).json()
    assert r["result"] == "error" and r["error"] == "invalidArgument"
    # the order was never taken in: the account's orders still cancel cleanly
    r = _futures(exchange, acct, "/derivatives/api/v3/cancelallorders", {})
    assert r["result"] == "success"


def test_futures_history_integers_beyond_64_bits_are_invalid_argument(exchange):
    r = requests.get(f"{exchange.url}/api/history/v2/market/PF_XBTUSD/executions",
                     params={"since": "9" * 30}, timeout=10).json()
    assert r["result"] == "error" and r["error"] == "invalidArgument"


# ------------------------------------------------------------------ admin amounts
runner = CliRunner()


def _cli(*args):
    return runner.invoke(app, ["exchange", *args])


@pytest.mark.parametrize("amount", ["1e400", "1e15", "1000000000000000", "NaN", "0", "9" * 400])
def test_admin_amounts_are_bounded_with_one_line_and_exit_2(tmp_path, amount):
    st = ["--state", str(tmp_path)]
    assert _cli("account", "add", "alice", *st).exit_code == 0
    for args in (("account", "fund", "alice", f"XBT={amount}"), ("deposit", "alice", "XBT", amount),
                 ("account", "add", "bob", "--fund", f"USD={amount}")):
        r = _cli(*args, *st)
        assert r.exit_code == 2, (args, r.output)
        assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1, r.output
        assert len(r.output) < 200
    listed = json.loads(_cli("account", "list", "-o", "json", *st).stdout)
    assert [a["name"] for a in listed] == ["alice"] and listed[0]["balances"] == {}


def test_admin_credits_may_not_push_a_balance_to_the_bound(tmp_path):
    st = ["--state", str(tmp_path)]
    assert _cli("account", "add", "alice", "--fund", "USD=999999999999999", *st).exit_code == 0
    r = _cli("account", "fund", "alice", "USD=1", *st)
    assert r.exit_code == 2 and "1e15" in r.output
    assert _cli("account", "add", "bob", "--fund", "USD=6e14", "--fund", "USD=6e14", *st).exit_code == 2
    db = State(tmp_path)
    with pytest.raises(AmountError):
        db.deposit("alice", "ZUSD", Decimal("1e400"))
    db.close()


# ------------------------------------------------------------------ a bad row written before the bounds
def _plant_bad_rows(state_dir, account: str) -> None:
    """What an older kraken-ops wrote for ``exchange account fund NAME XBT=1e400``."""
    db = sqlite3.connect(state_dir / "exchange.sqlite3")
    with db:
        db.execute("INSERT OR REPLACE INTO balances(account, wallet, asset, amount) VALUES(?, 'spot', 'XXBT', '1E+400')",
                   (account,))
        db.execute("INSERT INTO ledgers(id, account, refid, time, type, subtype, aclass, asset, wallet, amount, fee,"
                   " balance) VALUES('LBAD00-AAAAA-AAAAAA', ?, 'FBAD', 1.0, 'deposit', '', 'currency', 'XXBT', 'spot',"
                   " '1E+400', '0', '1E+400')", (account,))
        db.execute("INSERT OR REPLACE INTO balances(account, wallet, asset, amount) VALUES(?, 'spot', 'XETH', 'junk')",
                   (account,))
    db.close()


def test_an_account_with_a_bad_row_still_serves_balance_and_ledgers(exchange, caplog):
    acct = exchange.add_account(name(), {"USD": "1000"})
    _plant_bad_rows(exchange.state_dir, acct.name)
    c = Spot(exchange.url, acct)
    with caplog.at_level("WARNING", logger="kraken_ops.exchange"):
        assert c.ok("Balance") == {"ZUSD": "1000.0000"}
        assert set(c.ok("BalanceEx")) == {"ZUSD"}
        assert c.ok("TradeBalance")["eb"] == "1000.0000"
        ledgers = c.ok("Ledgers")
        assert ledgers["count"] == 1 and "LBAD00-AAAAA-AAAAAA" not in ledgers["ledger"]
        assert c.error("QueryLedgers", {"id": "LBAD00-AAAAA-AAAAAA"}) == ["EGeneral:Invalid arguments:id"]
    assert "skipped unreadable balance" in caplog.text and "1E+400" in caplog.text
    assert exchange.ctx.internal_error_count == 0
    # the next credit replaces the bad balance
    exchange.deposit(acct.name, "XBT", "2")
    assert c.ok("Balance")["XXBT"] == "2.0000000000"


def test_account_list_skips_a_bad_row_with_a_warning(tmp_path):
    st = ["--state", str(tmp_path)]
    assert _cli("account", "add", "alice", "--fund", "USD=5", *st).exit_code == 0
    _plant_bad_rows(tmp_path, "alice")
    r = runner.invoke(app, ["exchange", "account", "list", "-o", "json", *st])
    assert r.exit_code == 0 and "Traceback" not in r.output
    assert json.loads(r.stdout)[0]["balances"] == {"ZUSD": "5.0000"}
    assert "skipped unreadable balance" in r.stderr and "1E+400" in r.stderr
    assert _cli("account", "list", "-o", "table", *st).exit_code == 0
