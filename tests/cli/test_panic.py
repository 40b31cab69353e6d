"""``kraken-ops panic`` (issue 13, item 3): every open Spot and Futures order cancelled on each
account at once, Futures positions closed with ``--flatten``, a report per account."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from kraken_ops.cli import audit, safety

LIMIT = ("--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000")


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return result


def busy_account(cli: Any, name: str, *, spot_orders: int = 2, position: bool = True, **fields: Any) -> None:
    """A profile with open Spot orders, one open Futures order and (optionally) a long Futures position."""
    cli.add_profile(name, cli.account({"ZUSD": "20000", "XXBT": "1"}), **fields)
    for _ in range(spot_orders):
        ok(cli("orders", "create", *LIMIT, "-p", name, "--yes"))
    ok(cli("funding", "transfer", "ZUSD", "5000", "-p", name, "--yes"))  # to the Futures flex wallet
    ok(cli("futures", "orders", "create", "--symbol", "PF_XBTUSD", "--side", "buy", "--type", "lmt", "--price", "1000", "--size", "0.01", "-p", name, "--yes"))
    if position:
        ok(cli("futures", "orders", "create", "--symbol", "PF_XBTUSD", "--side", "buy", "--type", "mkt", "--size", "0.02", "-p", name, "--yes"))


def state(cli: Any, name: str) -> tuple[int, int, list[Any]]:
    spot = json.loads(ok(cli("orders", "list", "-p", name, "-o", "json")).stdout)["open"]
    futures = json.loads(ok(cli("futures", "orders", "list", "-p", name, "-o", "json")).stdout)["openOrders"]
    positions = json.loads(ok(cli("futures", "positions", "-p", name, "-o", "json")).stdout)["openPositions"]
    return len(spot), len(futures), positions


def test_panic_cancels_spot_and_futures_orders_on_every_account_and_flattens(cli):
    busy_account(cli, "a", tags=["bots"])
    busy_account(cli, "b", tags=["bots"])
    busy_account(cli, "c")
    result = ok(cli("panic", "--group", "bots", "--flatten", "-o", "json"))
    report = json.loads(result.stdout)
    assert set(report) == {"a", "b"}
    for name in ("a", "b"):
        account = report[name]
        assert account["status"] == "ok" and account["environment"] == "paper"
        assert account["spot"] == {"cancelled": 2}
        assert account["futures"]["cancelled"] == 1 and account["futures"]["positions"] == 1
        (closed,) = account["futures"]["closed"]
        assert (closed["symbol"], closed["side"], Decimal(str(closed["size"]))) == ("PF_XBTUSD", "sell", Decimal("0.02"))
        assert state(cli, name) == (0, 0, [])
    spot, futures, positions = state(cli, "c")  # not in the group: untouched
    assert (spot, futures, len(positions)) == (2, 1, 1)


def test_without_flatten_positions_stay_open(cli):
    busy_account(cli, "a")
    report = json.loads(ok(cli("panic", "-p", "a", "-o", "json")).stdout)
    assert report["a"]["futures"] == {"cancelled": 1}
    spot, futures, positions = state(cli, "a")
    assert (spot, futures, len(positions)) == (0, 0, 1)


def test_every_request_of_panic_is_in_the_audit_log(cli):
    busy_account(cli, "a")
    ok(cli("panic", "-p", "a", "--flatten", "-o", "json"))
    lines = [e for e in audit.read_entries(cli.tmp / "state" / "audit.log") if e["command"] == "panic"]
    assert sorted((e["action"], e["outcome"]["status"]) for e in lines) == [
        ("cancel every open Futures order", "ok"),
        ("cancel every open Spot order", "ok"),
        ("close the long 0.02 PF_XBTUSD position (reduce-only market sell)", "ok"),
    ]
    close = [e for e in lines if e["params"].get("flatten")]
    assert close[0]["params"]["reduceOnly"] is True and close[0]["outcome"]["ids"]


def test_a_table_row_per_account_on_a_terminal(cli):
    busy_account(cli, "a", position=False, tags=["bots"])
    cli.add_profile("ro", read_only=True, tags=["bots"])
    result = ok(cli("panic", "--group", "bots", "-o", "table"))
    lines = result.stdout.splitlines()
    assert any("a " in line and " ok " in line and " 2 " in line for line in lines)
    assert any("ro" in line and "skipped" in line for line in lines)
    assert "warning: [ro] skipped: read-only profile" in result.stderr


def test_a_spot_only_profile_gets_its_spot_orders_cancelled(cli):
    cli.add_profile("spotonly", tags=["bots"])
    del cli.profiles["spotonly"]["futures_key"]
    cli._write()
    ok(cli("orders", "create", *LIMIT, "-p", "spotonly"))
    report = json.loads(ok(cli("panic", "--group", "bots", "--flatten", "-o", "json")).stdout)
    assert report["spotonly"] == {"environment": "paper", "status": "ok", "spot": {"cancelled": 1}}


def test_a_lost_cancel_all_answer_is_reported_as_unknown_for_that_account(cli, exchange_factory):
    from test_order_outcome_cli import LOSE, Script

    busy_account(cli, "good", position=False, tags=["bots"])
    lossy = exchange_factory(faults=["lost-response=0.5"])
    cli.add_profile("lost", lossy.add_account("paniclossy", fund={"ZUSD": "10000"}), url=lossy.url, tags=["bots"])
    del cli.profiles["lost"]["futures_key"]
    cli._write()
    lossy.ctx.fault_rng = Script(LOSE)
    result = cli("panic", "--group", "bots", "-o", "json")
    assert result.exit_code == 5
    report = json.loads(result.stdout)
    assert report["good"]["status"] == "ok"
    lost = report["lost"]
    assert lost["status"] == "unknown" and lost["spot"]["cancelled"] is None
    (error,) = lost["spot"]["errors"]
    assert (error["step"], error["error"], error["outcome"]) == ("cancel", "outcome", "unknown")
    assert error["check"] == "kraken-ops orders list --profile lost"
    assert "error: [lost] the answer to CancelAll was lost" in result.stderr
    lossy.ctx.fault_rng = Script(LOSE)
    rows = {line.split(",")[0]: line for line in cli("panic", "--group", "bots", "-o", "csv").stdout.splitlines()}
    assert rows["lost"].endswith(",unknown,?,-,-,spot cancel: outcome unknown: the answer was lost")  # a few words in a table


def test_every_answer_lost_exits_14(cli, exchange_factory):
    from test_order_outcome_cli import LOSE, Script

    lossy = exchange_factory(faults=["lost-response=0.5"])
    cli.add_profile("lost", lossy.add_account("paniclost1", fund={"ZUSD": "10000"}), url=lossy.url)
    del cli.profiles["lost"]["futures_key"]
    cli._write()
    lossy.ctx.fault_rng = Script(LOSE)
    assert cli("panic", "-p", "lost", "-o", "json").exit_code == 14


def test_one_market_failing_does_not_stop_the_other(cli):
    busy_account(cli, "a", position=False)
    (cli.tmp / "a-futures.secret").write_text("bm90LXRoZS1yaWdodC1zZWNyZXQ=\n")  # a wrong futures secret
    result = cli("panic", "-p", "a", "-o", "json")
    assert result.exit_code != 0
    report = json.loads(result.stdout)["a"]
    assert report["status"] == "error"
    assert report["spot"] == {"cancelled": 2}
    assert report["futures"]["cancelled"] is None and report["futures"]["errors"][0]["error"] == "auth"


def test_panic_asks_once_listing_each_account_and_its_markets(cli, monkeypatch):
    busy_account(cli, "a", position=False, confirm=True)
    no_terminal = cli("panic", "-p", "a")
    assert no_terminal.exit_code == 2 and "--yes" in no_terminal.stderr
    monkeypatch.setattr(safety, "stdin_is_tty", lambda: True)
    result = cli("panic", "-p", "a", "--flatten", "-o", "json", input="n\n")
    assert result.exit_code == 2 and result.stderr.count("Proceed?") == 1
    assert "cancel every Spot order, cancel every Futures order, close every Futures position (reduce-only market orders)" in result.stderr
    assert state(cli, "a")[:2] == (2, 1)
