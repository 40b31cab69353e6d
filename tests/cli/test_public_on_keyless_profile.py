"""Market data needs no key: a profile without one (or with a locked keyring) still serves it."""

from __future__ import annotations

import json


def test_market_data_on_a_profile_without_keys_uses_its_url(cli) -> None:
    cli.profiles["nokeys"] = {"environment": "paper", "url": cli.exchange.url}
    cli._write()
    done = cli("market", "time", "-p", "nokeys", "-o", "json")
    assert done.exit_code == 0, done.output
    assert "unixtime" in json.loads(done.stdout)
    done = cli("futures", "market", "tickers", "-p", "nokeys", "-o", "json")
    assert done.exit_code == 0, done.output


def test_public_commands_never_run_the_secret_command(cli, tmp_path) -> None:
    marker = tmp_path / "secret-command-ran"
    cli.add_profile("guarded")
    cli.profiles["guarded"]["secret_command"] = ["sh", "-c", f"touch {marker}; echo x"]
    cli._write()
    done = cli("market", "ticker", "XBTUSD", "-p", "guarded", "-o", "json")
    assert done.exit_code == 0, done.output
    assert not marker.exists()


def test_private_commands_still_need_the_key(cli) -> None:
    cli.profiles["nokeys2"] = {"environment": "paper", "url": cli.exchange.url}
    cli._write()
    done = cli("balances", "-p", "nokeys2", "-o", "json")
    assert done.exit_code == 3
