"""Bad paths: usage errors, profiles, safety, Kraken errors, network failures, exit codes."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from kraken_ops.cli import safety


def test_missing_required_option_is_a_usage_error(cli):
    cli.add_profile("bot1")
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "-p", "bot1")
    assert result.exit_code == 2


def test_invalid_enum_value_is_a_usage_error(cli):
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "hold", "--type", "limit", "--volume", "1", "--price", "1")
    assert result.exit_code == 2
    assert cli("-o", "yaml", "market", "time").exit_code == 2


def test_volume_must_be_a_decimal(cli):
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "market", "--volume", "lots")
    assert result.exit_code == 2


def test_limit_order_without_price_is_refused_before_sending(cli):
    cli.add_profile("bot1")
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "1", "-p", "bot1")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --type limit needs --price")


def test_unknown_profile_is_a_config_error(cli):
    cli.add_profile("bot1")
    result = cli("balances", "--profile", "nope")
    assert result.exit_code == 3
    assert "nope" in result.stderr and result.stderr.startswith("error: ")


def test_unknown_profile_envelope_in_json_mode(cli):
    cli.add_profile("bot1")
    result = cli("balances", "--profile", "nope", "-o", "json")
    envelope = json.loads(result.stdout)
    assert envelope["error"] == "config" and envelope["retryable"] is False and envelope["profile"] == "nope"


def test_read_only_profile_refuses_money_moves(cli):
    cli.add_profile("watch", read_only=True)
    result = cli("orders", "cancel-all", "-p", "watch", "--yes")
    assert result.exit_code == 3
    assert "read-only" in result.stderr


def test_cancel_all_requires_confirmation_on_production_without_terminal(cli):
    cli.add_profile("prod", confirm=True)
    result = cli("orders", "cancel-all", "-p", "prod")
    assert result.exit_code == 2
    assert "--yes" in result.stderr


def test_refused_confirmation_sends_nothing(cli, monkeypatch):
    cli.add_profile("prod", confirm=True)
    monkeypatch.setattr(safety, "stdin_is_tty", lambda: True)
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000", "-p", "prod", input="n\n")
    assert result.exit_code == 2
    assert "About to place an order" in result.stderr
    listed = json.loads(cli("orders", "list", "-p", "prod", "--json").stdout)
    assert listed["open"] == {}


def test_accepted_confirmation_places_the_order(cli, monkeypatch):
    cli.add_profile("prod", confirm=True)
    monkeypatch.setattr(safety, "stdin_is_tty", lambda: True)
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000", "-p", "prod", "--json", input="y\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["txid"]


def test_yes_skips_the_question(cli):
    cli.add_profile("prod", confirm=True)
    assert cli("orders", "cancel-all", "-p", "prod", "--yes").exit_code == 0
    assert cli("--yes", "orders", "cancel-all", "-p", "prod").exit_code == 0


def test_validate_needs_no_confirmation(cli):
    cli.add_profile("prod", confirm=True)
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "market", "--volume", "0.01", "--validate", "-p", "prod")
    assert result.exit_code == 0, result.stderr


def test_write_commands_take_one_profile(cli):
    cli.add_profile("a")
    cli.add_profile("b")
    result = cli("--profile", "a", "--profile", "b", "orders", "cancel", "OABCDE-FGHIJ-KLMNOP", "--yes")
    assert result.exit_code == 2


@pytest.mark.parametrize("selection", [["--all-profiles"], ["--group", "bots"]])
def test_single_account_writes_refuse_a_selection_of_several(cli, selection):
    # before issue 13, `kraken-ops --all-profiles orders create ...` quietly used the first profile
    cli.add_profile("a", tags=["bots"])
    cli.add_profile("b", tags=["bots"])
    result = cli(*selection, "orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "1000", "--yes")
    assert result.exit_code == 2
    assert "acts on one profile" in result.stderr
    assert cli("orders", "list", "-p", "a", "-o", "json").stdout.count("XBTUSD") == 0


def test_kraken_rejection_is_one_line_with_exit_1(cli):
    cli.add_profile("poor", cli.account({"ZUSD": "1"}))
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "1", "--price", "20000", "-p", "poor", "-o", "json")
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ") and "(EOrder:Insufficient funds)" in first
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["kraken_error"] == "EOrder:Insufficient funds"


def test_verbose_adds_the_traceback(cli):
    cli.add_profile("poor", cli.account({"ZUSD": "1"}))
    result = cli("-v", "orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "1", "--price", "20000", "-p", "poor")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr


def test_unknown_pair_hints_the_closest_known_pair(cli):
    cli.add_profile("paper")
    result = cli("market", "ticker", "XBTUSDD", "-p", "paper")
    assert result.exit_code == 10  # validation
    assert "EQuery:Unknown asset pair" in result.stderr
    assert "did you mean" in result.stderr


def test_missing_permission_hint(cli):
    cli.add_profile("limited", cli.account(permissions=["query_funds"]))
    result = cli("orders", "cancel-all", "-p", "limited", "--yes")
    assert result.exit_code == 7  # permission
    assert "hint:" in result.stderr and "permission" in result.stderr


def _dropping_server() -> tuple[str, socket.socket]:
    """A server that accepts connections and closes them without answering."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", server


def test_dropped_connection_is_a_network_error(cli):
    url, server = _dropping_server()
    try:
        cli.add_profile("flaky", url=url)
        result = cli("balances", "-p", "flaky", "--timeout", "3")
        assert result.exit_code == 4
        assert result.stderr.startswith("error: ")
        result = cli("market", "time", "-p", "flaky", "--timeout", "3", "-o", "json")
        assert result.exit_code == 4
        assert json.loads(result.stdout)["retryable"] is True
    finally:
        server.close()


def test_no_profile_for_private_command_is_a_config_error(cli):
    result = cli("balances")
    assert result.exit_code == 3
    assert "profile" in result.stderr


def test_all_profiles_without_config(cli):
    assert cli("balances", "--all-profiles").exit_code == 3


def test_orders_batch_without_pair(cli):
    cli.add_profile("bot1")
    result = cli("orders", "batch", "-p", "bot1", input='[{"ordertype": "limit", "type": "buy", "volume": "1", "price": "1"}]')
    assert result.exit_code == 2 and "pair" in result.stderr


def test_amend_needs_something_to_change(cli):
    cli.add_profile("bot1")
    assert cli("orders", "amend", "OABC", "-p", "bot1").exit_code == 2
