"""Writes across accounts (issue 13, item 2): ``orders cancel-all``, ``orders cancel-after`` and
``futures orders cancel-all`` with ``--group``/``--all-profiles``/several ``--profile``.

One confirmation listing every account; read-only profiles skipped and reported; each
account its own result; partial failure exits 5; a lost answer is an honest ``unknown``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kraken_ops.cli import audit, safety

LIMIT = ("--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000")


def place(cli: Any, profile: str, n: int = 1) -> None:
    for _ in range(n):
        result = cli("orders", "create", *LIMIT, "-p", profile, "--yes", "-o", "json")
        assert result.exit_code == 0, result.stderr


def open_count(cli: Any, profile: str) -> int:
    result = cli("orders", "list", "-p", profile, "-o", "json")
    assert result.exit_code == 0, result.stderr
    return len(json.loads(result.stdout)["open"])


def fleet(cli: Any, *tags: str, **fields: Any) -> None:
    """Profiles a, b (tagged bots) and c (not tagged), with an open order each."""
    for name in ("a", "b", "c"):
        cli.add_profile(name, tags=["bots"] if name != "c" else ["other"], **fields)
        place(cli, name)


def test_cancel_all_on_a_group_cancels_on_every_member_and_nowhere_else(cli):
    fleet(cli)
    result = cli("orders", "cancel-all", "--group", "bots", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"a": {"count": 1}, "b": {"count": 1}}
    assert (open_count(cli, "a"), open_count(cli, "b"), open_count(cli, "c")) == (0, 0, 1)


def test_each_account_gets_its_own_audit_line(cli):
    fleet(cli)
    cli("orders", "cancel-all", "--all-profiles", "-o", "json")
    lines = [e for e in audit.read_entries(cli.tmp / "state" / "audit.log") if e["command"] == "orders cancel-all"]
    assert sorted((e["profile"], e["outcome"]["status"], e["outcome"]["result"]["count"]) for e in lines) == [("a", "ok", 1), ("b", "ok", 1), ("c", "ok", 1)]


def test_read_only_profiles_are_skipped_and_reported(cli):
    fleet(cli)
    cli.profiles["b"]["read_only"] = True
    cli._write()
    result = cli("orders", "cancel-all", "--group", "bots", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"a": {"count": 1}, "b": {"skipped": "read-only profile"}}
    assert "warning: [b] skipped: read-only profile" in result.stderr
    assert open_count(cli, "b") == 1
    skipped = [e for e in audit.read_entries(cli.tmp / "state" / "audit.log") if e["profile"] == "b" and e["command"] == "orders cancel-all"]
    assert [e["outcome"]["status"] for e in skipped] == ["skipped"]


def test_every_account_skipped_is_a_configuration_error(cli):
    cli.add_profile("ro1", read_only=True, tags=["bots"])
    cli.add_profile("ro2", read_only=True, tags=["bots"])
    result = cli("orders", "cancel-all", "--group", "bots")
    assert result.exit_code == 3 and "every selected profile is skipped" in result.stderr


def test_without_a_terminal_production_style_profiles_need_yes_and_nothing_is_sent(cli):
    fleet(cli, confirm=True)
    result = cli("orders", "cancel-all", "--group", "bots")
    assert result.exit_code == 2
    assert "needs confirmation" in result.stderr and "a (paper)" in result.stderr and "--yes" in result.stderr
    assert open_count(cli, "a") == open_count(cli, "b") == 1
    assert cli("orders", "cancel-all", "--group", "bots", "--yes").exit_code == 0
    assert open_count(cli, "a") == open_count(cli, "b") == 0


def test_a_terminal_lists_every_account_and_what_happens_to_it_and_asks_once(cli, monkeypatch):
    fleet(cli, confirm=True)
    cli.profiles["c"]["read_only"] = True
    cli._write()
    monkeypatch.setattr(safety, "stdin_is_tty", lambda: True)
    result = cli("orders", "cancel-all", "--all-profiles", "-o", "json", input="y\n")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("Proceed?") == 1
    assert "About to act on 2 accounts:" in result.stderr
    for line in ("a  paper  cancel ALL open Spot orders", "b  paper  cancel ALL open Spot orders", "c  paper  skipped: read-only profile"):
        assert line in result.stderr
    assert (open_count(cli, "a"), open_count(cli, "b"), open_count(cli, "c")) == (0, 0, 1)


def test_a_no_on_the_terminal_sends_nothing(cli, monkeypatch):
    fleet(cli, confirm=True)
    monkeypatch.setattr(safety, "stdin_is_tty", lambda: True)
    result = cli("orders", "cancel-all", "--group", "bots", input="n\n")
    assert result.exit_code == 2 and "not confirmed; nothing was sent" in result.stderr
    assert open_count(cli, "a") == open_count(cli, "b") == 1


def test_partial_failure_exits_5_with_each_accounts_result(cli):
    fleet(cli)
    cli.add_profile("down", url="http://127.0.0.1:9", tags=["bots"])  # nothing listens there
    result = cli("--timeout", "2", "orders", "cancel-all", "--group", "bots", "-o", "json")
    assert result.exit_code == 5
    data = json.loads(result.stdout)
    assert data["a"] == data["b"] == {"count": 1}
    assert data["down"]["error"]["error"] == "network"
    assert "error: [down]" in result.stderr


def test_every_account_failing_alike_exits_with_that_category(cli):
    cli.add_profile("d1", url="http://127.0.0.1:9", tags=["down"])
    cli.add_profile("d2", url="http://127.0.0.1:9", tags=["down"])
    result = cli("--timeout", "2", "orders", "cancel-all", "--group", "down", "-o", "json")
    assert result.exit_code == 4


def test_a_lost_answer_is_an_unknown_outcome_for_that_account_only(cli, exchange_factory):
    from test_order_outcome_cli import LOSE, Script

    cli.add_profile("a", tags=["bots"])
    place(cli, "a")
    lossy = exchange_factory(faults=["lost-response=0.5"])
    cli.add_profile("lost", lossy.add_account("fleetlossy", fund={"ZUSD": "10000"}), url=lossy.url, tags=["bots"])
    lossy.ctx.fault_rng = Script(LOSE)
    result = cli("orders", "cancel-all", "--group", "bots", "-o", "json")
    assert result.exit_code == 5
    data = json.loads(result.stdout)
    assert data["a"] == {"count": 1}
    envelope = data["lost"]["error"]
    assert (envelope["error"], envelope["outcome"], envelope["retryable"]) == ("outcome", "unknown", False)
    assert envelope["check"] == "kraken-ops orders list --profile lost"
    line = [e for e in audit.read_entries(cli.tmp / "state" / "audit.log") if e["profile"] == "lost"][-1]
    assert line["outcome"]["status"] == "unknown"


def test_every_answer_lost_exits_14(cli, exchange_factory):
    from test_order_outcome_cli import LOSE, Script

    lossy = exchange_factory(faults=["lost-response=0.5"])
    for name in ("l1", "l2"):
        cli.add_profile(name, lossy.add_account(f"fleet{name}", fund={"ZUSD": "10000"}), url=lossy.url, tags=["lost"])
    lossy.ctx.fault_rng = Script(LOSE, LOSE)
    result = cli("orders", "cancel-all", "--group", "lost", "-o", "csv")
    assert result.exit_code == 14
    rows = result.stdout.splitlines()
    assert rows[0] == "profile,environment,status,count,detail"
    assert all(",unknown,," in row for row in rows[1:])


def test_cancel_after_on_a_group_arms_and_disarms_each_member(cli):
    fleet(cli)
    armed = cli("orders", "cancel-after", "60", "--group", "bots", "-o", "json")
    assert armed.exit_code == 0, armed.stderr
    data = json.loads(armed.stdout)
    assert set(data) == {"a", "b"} and all(v["triggerTime"] != "0" for v in data.values())
    accounts = {cli.exchange.db.query("SELECT name FROM accounts WHERE spot_key=?", (cli.profiles[n]["spot_key"],))[0][0] for n in "ab"}
    assert accounts <= set(cli.exchange.ctx.engine.dead_man)
    disarmed = json.loads(cli("orders", "cancel-after", "0", "--group", "bots", "-o", "json").stdout)
    assert all(v["triggerTime"] == "0" for v in disarmed.values())
    assert not accounts & set(cli.exchange.ctx.engine.dead_man)


def test_futures_cancel_all_skips_profiles_without_a_futures_key(cli):
    cli.add_profile("both", tags=["bots"])
    cli.add_profile("spotonly", tags=["bots"])
    del cli.profiles["spotonly"]["futures_key"]
    cli._write()
    result = cli("futures", "orders", "cancel-all", "--group", "bots", "-o", "ndjson")
    assert result.exit_code == 0, result.stderr
    rows = {r["profile"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["both"]["status"] == "ok" and rows["both"]["cancelled"] == 0
    assert rows["spotonly"] == {"profile": "spotonly", "environment": "paper", "status": "skipped", "detail": "no futures key"}


def test_one_profile_keeps_the_single_account_output(cli):
    cli.add_profile("a")
    place(cli, "a")
    result = cli("orders", "cancel-all", "-p", "a", "-o", "json")
    assert json.loads(result.stdout) == {"count": 1}


@pytest.mark.parametrize("args", [["orders", "cancel-all"], ["orders", "cancel-after", "30"], ["futures", "orders", "cancel-all"]])
def test_the_fleet_writes_take_group_and_all_profiles(cli, args):
    from typer.testing import CliRunner

    from kraken_ops.cli.app import app

    text = CliRunner().invoke(app, [*args, "--help"]).stdout
    assert "--group" in text and "--all-profiles" in text and "--yes" in text
