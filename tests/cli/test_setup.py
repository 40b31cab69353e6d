"""``kraken-ops setup`` without a terminal: every question answered by a flag or its default.

The wizard on a pseudo-terminal (hidden input, the questions) is tested in
``test_interactive_pty.py``. Production profiles here point at the local exchange
(``--url``: environment custom), whose accounts can have any set of permissions, so the
live test of the key is real. Secrets go to a keyring in a file of the test's own.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import keyring
import pytest

from keyring_file import FileKeyring
from kraken_ops.exchange.server import write_server_json
from kraken_ops.profiles.config import read_config

READS = ["query_funds", "query_orders", "query_ledgers", "websocket"]


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A keyring in a file: what the wizard stored, and where."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("KRAKEN_OPS_TEST_KEYRING", str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(previous)


@pytest.fixture
def running(exchange: Any) -> Any:
    """The session's exchange, recorded in its state dir's server.json as a running server would."""
    write_server_json(exchange.state_dir, exchange.url)
    return exchange


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def keys(account: Any) -> str:
    return f"{account.spot_key}\n{account.spot_secret}\n"


def production(cli: Any, exchange: Any, name: str, *extra: str, input: str | None = None) -> Any:
    piped = ["--stdin"] if input is not None else []
    return cli("setup", "--production", "--name", name, "--url", exchange.url, "-o", "json", *piped, *extra, input=input)


def error_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    return lines[0]


# --- paper ------------------------------------------------------------------------------------------------
def test_paper_uses_the_running_exchange_funds_the_account_and_makes_the_first_profile_the_default(cli, running, stored):
    name = unique("demo")
    result = cli("setup", "--paper", "--name", name, "--state", str(running.state_dir), "--fund", "ZUSD=500", "--fund", "XBT=0.25")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["profile"] == name and summary["environment"] == "paper" and summary["default"] is True
    assert summary["url"] == running.url and summary["exchange_started"] is False  # found through server.json, not started
    assert summary["funds"] == {"ZUSD": "500", "XXBT": "0.25"}
    assert f"kraken-ops balances -p {name}" in summary["next"]
    from kraken_ops.spot import User

    assert User.from_profile(name).get_account_balance() == {"XXBT": "0.2500000000", "ZUSD": "500.0000"}
    config = read_config()
    assert config.default == name and config.get(name).environment == "paper"


def test_an_existing_config_is_kept_and_the_new_profile_gets_a_free_name(cli, running, stored):
    import tomllib

    cli.add_profile("paper")
    assert cli("profile", "default", "paper").exit_code == 0
    before = tomllib.loads(cli.config.read_text())
    result = cli("setup", "--paper", "--state", str(running.state_dir))  # names it paper2: paper exists
    assert result.exit_code == 0, result.stderr
    assert "has 1 profile(s): paper (default)" in result.stderr and "never changes or overwrites" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["profile"] == "paper2" and summary["default"] is False  # the default stays
    after = tomllib.loads(cli.config.read_text())
    assert after["profiles"]["paper"] == before["profiles"]["paper"] and after["default"] == "paper"
    assert set(after["profiles"]) == {"paper", "paper2"}


def test_a_name_that_is_taken_is_refused_and_nothing_changes(cli, running, stored):
    cli.add_profile("main")
    before = cli.config.read_text()
    result = cli("setup", "--paper", "--name", "main", "--state", str(running.state_dir))
    assert result.exit_code == 3
    assert "profile 'main' already exists; setup never overwrites a profile" in error_line(result)
    assert cli.config.read_text() == before


@pytest.mark.parametrize("flags", [["--paper", "--stdin"], ["--paper", "--production"], ["--production", "--fund", "ZUSD=1"]])
def test_clashing_flags_are_usage_errors(cli, flags):
    result = cli("setup", *flags)
    assert result.exit_code == 2
    error_line(result)


# --- production -----------------------------------------------------------------------------------------------
def test_production_reads_the_key_from_stdin_tests_what_it_may_do_and_stores_no_secret_in_the_file(cli, exchange, stored):
    account = exchange.add_account(unique("reader"), fund={"ZUSD": "100"}, permissions=READS)
    name = unique("main")
    result = production(cli, exchange, name, "--tier", "intermediate", input=keys(account))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    allowed = {row["permission"]: row["result"] for row in summary["permissions"]}
    assert allowed["query funds"] == "ok" and allowed["websocket interface"] == "ok"
    assert allowed["create & modify orders"] == "denied" and allowed["withdraw funds"] == "denied"
    assert summary["read_only"] is True  # it cannot trade: read-only is the default
    assert summary["tier"] == "intermediate" and summary["environment"] == "custom" and summary["warnings"] == []
    profile = read_config().get(name)
    assert (profile.spot_key, profile.read_only, profile.tier, profile.url) == (account.spot_key, True, "intermediate", exchange.url)
    assert account.spot_secret in stored.read_text()
    assert account.spot_secret not in cli.config.read_text() + result.output


def test_a_key_that_can_trade_is_read_write_and_asks_before_money_moves_by_default(cli, exchange, stored):
    account = exchange.add_account(unique("trader"), fund={"ZUSD": "100"}, permissions=[*READS, "trade", "cancel"])
    name = unique("bot")
    result = production(cli, exchange, name, input=keys(account))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {r["permission"]: r["result"] for r in summary["permissions"]}["create & modify orders"] == "ok"
    assert summary["read_only"] is False and summary["confirm"] is True
    # the trading probe placed nothing
    from kraken_ops.spot import User

    assert User.from_profile(name).get_open_orders()["open"] == {}


def test_a_key_that_can_withdraw_is_kept_with_a_loud_warning(cli, exchange, stored):
    account = exchange.add_account(unique("treasury"), permissions=[*READS, "trade", "withdraw"])
    name = unique("treasury")
    result = production(cli, exchange, name, "--read-only", input=keys(account))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {r["permission"]: r["result"] for r in summary["permissions"]}["withdraw funds"] == "ok"
    assert "THIS KEY CAN WITHDRAW FUNDS" in summary["warnings"][0]
    assert "warning: THIS KEY CAN WITHDRAW FUNDS" in result.stderr
    assert read_config().get(name).read_only is True


def test_a_rejected_key_is_removed_again_with_the_auth_exit_code(cli, exchange, stored):
    account = exchange.add_account(unique("wrong"), permissions=READS)
    name = unique("wrong")
    result = production(cli, exchange, name, input=f"{account.spot_key}\n{'A' * 86}==\n")
    assert result.exit_code == 6
    assert "EAPI:Invalid" in error_line(result)
    assert f"removed profile {name!r}" in result.stderr
    assert name not in read_config().profiles
    assert json.loads(stored.read_text() or "{}") == {}  # its secret left the keyring with it


def test_from_env_takes_the_key_and_secret_from_the_environment(cli, exchange, stored, monkeypatch):
    account = exchange.add_account(unique("ci"), permissions=READS)
    monkeypatch.setenv("KRAKEN_OPS_API_KEY", account.spot_key)
    monkeypatch.setenv("KRAKEN_OPS_SECRET_KEY", account.spot_secret)
    name = unique("ci")
    result = production(cli, exchange, name, "--from-env", "--no-default")
    assert result.exit_code == 0, result.stderr
    assert read_config().get(name).spot_key == account.spot_key


def test_futures_key_and_no_test_read_more_stdin_lines(cli, exchange, stored):
    account = exchange.add_account(unique("both"))
    name = unique("both")
    lines = f"{account.spot_key}\n{account.spot_secret}\n{account.futures_key}\n{account.futures_secret}\n"
    result = production(cli, exchange, name, "--futures", "--no-test", "--read-write", "--no-confirm", input=lines)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert "permissions" not in summary and summary["confirm"] is False
    profile = read_config().get(name)
    assert profile.futures_key == account.futures_key and profile.read_only is False


def test_without_a_terminal_production_needs_stdin_or_env(cli, exchange, stored):
    result = cli("setup", "--production", "--name", unique("x"))
    assert result.exit_code == 2
    assert "--stdin" in error_line(result) and "--from-env" in error_line(result)
    assert not read_config().profiles


def test_profile_test_shows_trading_and_withdrawal_without_placing_anything(cli, exchange):
    account = exchange.add_account(unique("probe"), fund={"ZUSD": "1000"})
    cli.add_profile("probe", account)
    result = cli("profile", "test", "probe", "-o", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["permission"]: r for r in json.loads(result.stdout) if r["market"] == "spot"}
    assert rows["create & modify orders"]["result"] == "ok" and "checked without effect" in rows["create & modify orders"]["detail"]
    assert rows["withdraw funds"]["result"] == "ok"
    balances = cli("balances", "-p", "probe", "-o", "json")
    assert json.loads(balances.stdout)["ZUSD"].startswith("1000")
    assert json.loads(cli("orders", "list", "-p", "probe", "-o", "json").stdout)["open"] == {}
    assert os.environ.get("KRAKEN_OPS_PROFILE") is None


def test_paper_takes_another_account_name_when_the_exchange_has_one_of_that_name(cli, running, stored):
    name = unique("left")
    running.add_account(name)  # e.g. the account of a paper profile removed earlier
    result = cli("setup", "--paper", "--name", name, "--state", str(running.state_dir))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["profile"] == name and summary["account"].startswith(f"{name}-")
    assert f"created account {summary['account']!r}" in result.stderr


def test_paper_starts_the_exchange_on_a_free_port_when_another_program_has_the_default_one(cli, stored, tmp_path, monkeypatch):
    """A person whose port 8787 is busy (another program, another state dir's exchange) still gets a
    working paper profile: the wizard starts the local exchange on a free port and says so."""
    import socket

    from kraken_ops.profiles import paper

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = f"http://127.0.0.1:{busy.getsockname()[1]}"
    monkeypatch.setattr(paper, "PAPER_URL", taken)
    try:
        result = cli("setup", "--paper", "--name", unique("free"), "--state", str(tmp_path / "exchange"), "-o", "json")
        assert result.exit_code == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["exchange_started"] is True and summary["url"] != taken
        assert f"{taken} is taken by another program" in result.stderr
    finally:
        busy.close()
        if result.exit_code == 0:
            paper.stop_exchange(summary["exchange_pid"])


def test_messages_on_a_terminal_wrap_between_words_and_commands_continue_with_a_backslash() -> None:
    """At 80 columns a path or an option is never cut in two by the terminal: Output.info wraps
    between words, and the commands to try next are continued like the help's examples."""
    import io

    from kraken_ops.cli.output import Output

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    out = Output("json", stdout=io.StringIO(), stderr=err)
    path = "/tmp/a-rather-long/data/directory/kraken-ops/exchange/profile-secrets.json"
    import os

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    try:
        out.info(f"created account 'paper' on http://127.0.0.1:8787 (ZUSD=10000, XXBT=1, XETH=10); secrets in {path}")
        out.command_hint("kraken-ops orders create -p paper --pair XBTUSD --side buy --type limit --volume 0.01 --price 25000")
    finally:
        if old is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = old
    lines = err.getvalue().splitlines()
    assert all(len(line) < 80 for line in lines), lines
    assert any(path in line for line in lines) and any("--volume 0.01" in line for line in lines)
    assert any(line.endswith(" \\") for line in lines)
