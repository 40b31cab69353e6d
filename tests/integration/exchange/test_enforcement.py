"""Private request enforcement, one test per error string (kraken-protocol.md §7.1)."""

import base64
import os

from helpers import Spot, name, next_nonce


def test_unknown_key(exchange):
    acct = exchange.add_account(name())
    c = Spot(exchange.url, acct)
    assert c.error("Balance", key="A" * 56) == ["EAPI:Invalid key"]


def test_bad_signature(exchange):
    acct = exchange.add_account(name())
    c = Spot(exchange.url, acct)
    assert c.error("Balance", secret=base64.b64encode(os.urandom(64)).decode()) == ["EAPI:Invalid signature"]


def test_nonce_must_increase(exchange):
    acct = exchange.add_account(name())
    c = Spot(exchange.url, acct)
    n = next_nonce()
    c.ok("Balance", nonce=n)
    assert c.error("Balance", nonce=n) == ["EAPI:Invalid nonce"]
    assert c.error("Balance", nonce=n - 5) == ["EAPI:Invalid nonce"]


def test_nonce_window_tolerates_small_lag(exchange):
    acct = exchange.add_account(name(), nonce_window=1000)
    c = Spot(exchange.url, acct)
    n = next_nonce()
    c.ok("Balance", nonce=n)
    c.ok("Balance", nonce=n - 10)
    assert c.error("Balance", nonce=n - 10) == ["EAPI:Invalid nonce"]  # never a repeat
    assert c.error("Balance", nonce=n - 5000) == ["EAPI:Invalid nonce"]


def test_permission_denied(exchange):
    acct = exchange.add_account(name(), permissions=["query_funds"])
    c = Spot(exchange.url, acct)
    c.ok("Balance")
    assert c.error("OpenOrders") == ["EGeneral:Permission denied"]
    assert c.error("GetWebSocketsToken") == ["EGeneral:Permission denied"]


def test_rest_rate_limit(exchange):
    acct = exchange.add_account(name(), tier="starter")
    c = Spot(exchange.url, acct)
    errors = [c.private("Ledgers")["error"] for _ in range(10)]
    assert ["EAPI:Rate limit exceeded"] in errors
    assert errors[0] == []


def test_rest_counter_decays(exchange):
    acct = exchange.add_account(name(), tier="starter")
    c = Spot(exchange.url, acct)
    while c.private("Ledgers")["error"] != ["EAPI:Rate limit exceeded"]:
        pass
    exchange.ctx.rest_counter.values[acct.spot_key] = (0.0, exchange.ctx.clock())
    c.ok("Ledgers")


def test_trading_rate_limit_with_cancel_penalties(exchange):
    acct = exchange.add_account(name(), fund={"USD": "1000000"}, tier="starter")
    c = Spot(exchange.url, acct)
    errs = []
    for _ in range(12):
        r = c.private("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.001",
                                   "price": "1000.0"})
        if r["error"]:
            errs = r["error"]
            break
        c.ok("CancelOrder", {"txid": r["result"]["txid"][0]})  # +8 each within 5 s
    assert errs == ["EOrder:Rate limit exceeded"]


def test_unknown_private_method(exchange):
    acct = exchange.add_account(name())
    assert Spot(exchange.url, acct).error("NoSuchThing") == ["EGeneral:Unknown method"]


def test_invalid_arguments_names_field(exchange):
    acct = exchange.add_account(name(), fund={"USD": "1000"})
    c = Spot(exchange.url, acct)
    assert c.error("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "bogus", "volume": "1"}) == [
        "EGeneral:Invalid arguments:ordertype"]
    assert c.error("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "x",
                                "price": "1"}) == ["EGeneral:Invalid arguments:volume"]


def test_maintenance_mode(exchange_factory):
    ex = exchange_factory(status="maintenance")
    acct = ex.add_account("m")
    c = Spot(ex.url, acct)
    assert c.public("SystemStatus")["result"]["status"] == "maintenance"
    assert c.error("Balance") == ["EService:Unavailable"]


def test_cancel_only_mode(exchange_factory):
    ex = exchange_factory(status="cancel_only")
    acct = ex.add_account("m", fund={"USD": "100000"})
    c = Spot(ex.url, acct)
    assert c.error("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
                                "price": "1000.0"}) == ["EService:Market in cancel_only mode"]
    assert c.ok("CancelAll") == {"count": 0}


def test_post_only_mode(exchange_factory):
    ex = exchange_factory(status="post_only")
    acct = ex.add_account("m", fund={"USD": "100000"})
    c = Spot(ex.url, acct)
    assert c.error("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"}) == [
        "EService:Market in post_only mode"]
    c.ok("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "1000.0"})


def test_account_added_while_running_works_at_once(exchange, tmp_path):
    from typer.testing import CliRunner

    from kraken_ops.cli.app import app

    n = name()
    r = CliRunner().invoke(app, ["exchange", "account", "add", n, "--fund", "USD=5", "--print-credentials",
                                 "--state", str(exchange.state_dir)])
    assert r.exit_code == 0, r.output
    import json

    creds = json.loads(r.stdout)

    class A:
        spot_key = creds["spot"]["key"]
        spot_secret = creds["spot"]["secret"]

    assert Spot(exchange.url, A()).ok("Balance") == {"ZUSD": "5.0000"}
