"""``kraken-ops profile add NAME --paper``: the local exchange, an account and a profile in one step.

Every test uses its own exchange state dir under ``tmp_path`` (never the user's data
dir) and port 0 (the server picks a free port); background servers are killed at
teardown.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from kraken_ops.cli.commands.profile import app
from kraken_ops.profiles import ProfileError
from kraken_ops.profiles.config import read_config
from kraken_ops.profiles.paper import add_paper_profile, ensure_exchange, read_server_json, start_exchange, stop_exchange

from profile_helpers import stored

FREE = "http://127.0.0.1:0"


@pytest.fixture
def exchange_state(tmp_path: Path) -> Iterator[Path]:
    """A private exchange state dir; whatever server was started on it is stopped afterwards."""
    state = tmp_path / "exchange"
    yield state
    info = read_server_json(state)
    if info and isinstance(info.get("pid"), int):
        stop_exchange(info["pid"])


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_paper_starts_the_exchange_and_stores_a_funded_profile_with_both_keys(exchange_state: Path, isolated: Path) -> None:
    result = run("add", "demo", "--paper", "--url", FREE, "--state", str(exchange_state))
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["started"] is True and row["profile"] == "demo" and row["account"] == "demo"
    assert "started the local exchange" in result.stderr and str(exchange_state / "server.log") in result.stderr
    server = read_server_json(exchange_state)
    assert server is not None and server["url"] == row["url"] and server["pid"] == row["pid"]
    assert (exchange_state / "server.log").read_text().count("listening on") == 1

    profile = read_config().get("demo")
    assert (profile.environment, profile.url, profile.tier, profile.nonce_window) == ("paper", row["url"], "pro", 0)
    assert profile.spot_key and profile.futures_key
    spot_secret = stored("demo", "spot")
    assert spot_secret and spot_secret not in result.stdout + result.stderr + isolated.read_text()

    from kraken_ops.futures import User as FuturesUser
    from kraken_ops.spot import User

    assert User.from_profile("demo").get_account_balance() == {"XETH": "10.0000000000", "XXBT": "1.0000000000", "ZUSD": "10000.0000"}
    assert FuturesUser.from_profile("demo").get_wallets()["result"] == "success"


def test_a_second_paper_profile_uses_the_running_exchange_and_its_own_funding(exchange_state: Path) -> None:
    first = add_paper_profile("demo", url=FREE, state_dir=exchange_state)
    second = add_paper_profile("demo2", url=first.exchange.url, state_dir=exchange_state, funds=["USD=250", "XBT=0.5"])
    assert second.exchange.started is False and second.exchange.pid == first.exchange.pid
    assert second.funds == [("ZUSD", "250"), ("XXBT", "0.5")]

    from kraken_ops.spot import User

    assert User.from_profile("demo2").get_account_balance() == {"XXBT": "0.5000000000", "ZUSD": "250.0000"}
    assert read_config().get("demo2").url == first.exchange.url


def test_an_existing_exchange_account_name_is_a_clear_error_and_no_profile_is_stored(exchange_state: Path) -> None:
    first = add_paper_profile("demo", url=FREE, state_dir=exchange_state)
    with pytest.raises(ProfileError, match="account 'demo' already exists.*--account"):
        add_paper_profile("other", url=first.exchange.url, state_dir=exchange_state, account="demo")
    assert "other" not in read_config().profiles
    assert add_paper_profile("other", url=first.exchange.url, state_dir=exchange_state, account="other-acct").account == "other-acct"


def test_a_profile_that_cannot_be_stored_leaves_no_account_behind(exchange_state: Path, isolated: Path) -> None:
    running = ensure_exchange(FREE, exchange_state)
    isolated.parent.mkdir(parents=True, exist_ok=True)
    isolated.write_text("default = \n")  # broken: never overwritten
    with pytest.raises(ProfileError):
        add_paper_profile("demo", url=running.url, state_dir=exchange_state)
    assert isolated.read_text() == "default = \n"
    from kraken_ops.exchange.state import State

    db = State(exchange_state)
    try:
        assert db.account("demo") is None
    finally:
        db.close()


def test_something_else_listening_on_the_url_is_a_clear_error(exchange_state: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(ProfileError, match="not the local exchange.*--state.*port 0"):
            add_paper_profile("demo", url=url, state_dir=exchange_state)
    assert read_config().profiles == {}


def test_an_exchange_that_cannot_start_is_a_clear_error_naming_its_log(exchange_state: Path) -> None:
    with pytest.raises(ProfileError, match=r"did not start.*server\.log"):
        add_paper_profile("demo", url="http://192.0.2.1:0", state_dir=exchange_state)  # not a local address
    assert read_config().profiles == {}


def test_an_exchange_that_does_not_listen_in_time_is_a_clear_error(exchange_state: Path) -> None:
    with pytest.raises(ProfileError, match=r"did not listen on .* within"):
        start_exchange(FREE, exchange_state, timeout=0.01)


def test_bad_input_fails_before_anything_starts(exchange_state: Path) -> None:
    result = run("add", "demo", "--paper", "--url", FREE, "--state", str(exchange_state), "--fund", "DOGECOIN=5")
    assert result.exit_code == 3 and "unknown asset 'DOGECOIN'" in result.stderr
    result = run("add", "demo", "--paper", "--url", FREE, "--state", str(exchange_state), "--fund", "USD=-1")
    assert result.exit_code == 3 and "positive" in result.stderr
    result = run("add", "demo", "--paper", "--market", "futures")
    assert result.exit_code == 2 and "--market futures" in result.stderr
    result = run("add", "demo", "--stdin", "--fund", "USD=1")
    assert result.exit_code == 2 and "--paper" in result.stderr
    assert not exchange_state.exists()


def test_paper_refuses_an_existing_profile_name(exchange_state: Path) -> None:
    from kraken_ops.profiles.manage import add_profile

    add_profile("demo", "spot", "KEY1", "c2VjcmV0LXZhbHVlLTEyMzQ=")
    with pytest.raises(ProfileError, match="already exists"):
        add_paper_profile("demo", url=FREE, state_dir=exchange_state)
    assert not exchange_state.exists()


def test_paper_funds_futures_collateral_as_asked(exchange_state: Path) -> None:
    result = run("add", "fut", "--paper", "--url", FREE, "--state", str(exchange_state), "--fund-futures", "USD=2500",
                 "--fund-futures", "cash:USDT=40", "--fund-futures", "fi_ethusd:ETH=0.25")
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["futures_funds"] == {"flex:USD": "2500", "cash:USDT": "40", "fi_ethusd:ETH": "0.25"}
    assert "Futures flex:USD=2500, cash:USDT=40, fi_ethusd:ETH=0.25" in result.stderr

    from decimal import Decimal

    from kraken_ops.futures import User

    accounts = User.from_profile("fut").get_wallets()["accounts"]
    assert accounts["flex"]["currencies"]["USD"]["quantity"] == Decimal("2500")
    assert accounts["cash"]["balances"] == {"usdt": Decimal("40")}
    assert accounts["fi_ethusd"]["balances"]["eth"] == Decimal("0.25") and accounts["fi_xbtusd"]["balances"]["xbt"] == 0
    log = User.from_profile("fut").get_account_log()["logs"]
    assert {entry["info"] for entry in log} == {"admin transfer"} and len(log) == 3


@pytest.mark.parametrize("item, says", [
    ("USD", "expected [WALLET:]ASSET=AMOUNT"), ("piggy:USD=1", "unknown wallet 'piggy'"),
    ("fi_xbtusd:ETH=1", "the fi_xbtusd wallet holds XBT"), ("DOGE=5", "the flex wallet holds"),
    ("USD=-1", "positive"), ("USD=abc", "not a decimal number"),
])
def test_bad_futures_funding_fails_before_anything_starts(exchange_state: Path, item: str, says: str) -> None:
    result = run("add", "demo", "--paper", "--url", FREE, "--state", str(exchange_state), "--fund-futures", item)
    assert result.exit_code == 3 and says in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not exchange_state.exists()
