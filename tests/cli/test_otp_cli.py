"""Commands on a profile whose spot key requires 2FA, against the local exchange.

The profiles take their secrets from ``secret_command`` (``cat {profile}-{market}.secret``),
so the TOTP seed is the file ``{profile}-spot-otp.secret``. A REST command, a WebSocket
command (its token is a private REST call) and a multi-profile read; a profile without
its otp fails with the auth exit code.
"""

from __future__ import annotations

import json
import time
from typing import Any

from kraken_ops.cli.commands import ws as ws_commands

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LIMIT_BUY = ["--pair", "BTC/USD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000"]


def totp_profile(cli: Any, name: str, *, store_seed: bool = True) -> Any:
    with cli.exchange._lock:
        account = cli.exchange.db.add_account(f"cli-otp-{name}-{time.time_ns()}", otp_totp_seed=SEED)
    cli.exchange.deposit(account.name, "ZUSD", "1000")
    cli.add_profile(name, account, otp="totp")
    if store_seed:
        (cli.tmp / f"{name}-spot-otp.secret").write_text(SEED + "\n")
    return account


def test_a_rest_command_sends_the_totp_code(cli):
    totp_profile(cli, "bot")
    result = cli("balances", "-p", "bot", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert SEED not in result.stdout + result.stderr


def test_a_websocket_command_gets_its_token_with_the_otp(cli):
    totp_profile(cli, "bot")
    result = cli.runner.invoke(ws_commands.app, [*["add-order", *LIMIT_BUY], "--validate", "-p", "bot", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "order_id" not in json.loads(result.stdout)


def test_several_profiles_each_with_its_own_otp(cli):
    totp_profile(cli, "a")
    cli.add_profile("b")  # no 2FA
    result = cli("balances", "-p", "a", "-p", "b", "-o", "json")
    assert result.exit_code == 0, result.stderr


def test_a_profile_without_its_otp_value_is_refused_by_the_exchange(cli):
    totp_profile(cli, "bot")
    cli.profiles["bot"].pop("otp")
    cli._write()
    result = cli("balances", "-p", "bot", "-o", "json")
    assert result.exit_code == 6, result.stderr
    assert "EAPI:Invalid signature" in result.stderr


def test_a_private_stream_gets_its_token_with_the_otp(cli):
    totp_profile(cli, "bot")
    result = cli("stream", "balances", "-p", "bot", "--count", "1")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])
