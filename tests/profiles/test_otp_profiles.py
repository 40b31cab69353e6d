"""Profiles whose spot key requires 2FA (issue 14, item 5).

``otp = "password"`` and ``otp = "totp"`` keep the password or TOTP seed beside the
secret (keyring entry ``<config id>/<profile>:spot-otp``, the paper secrets file, or
``secret_command`` with ``{market}`` = ``spot-otp``); ``otp = "prompt"`` asks once per
command. Never on argv, in the config file or in any output. End to end against the
local exchange: the otp accepted, missing and wrong, for a password key and a TOTP key.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from profile_helpers import run_on_pty, stored
from typer.testing import CliRunner

from kraken_ops import exceptions as kx
from kraken_ops import profiles
from kraken_ops._core.otp import TOTP, prompt_scope
from kraken_ops.exchange import auth
from kraken_ops.profiles import ProfileError
from kraken_ops.profiles import otp as profile_otp
from kraken_ops.profiles.config import ConfigFileError, read_config
from kraken_ops.profiles.manage import add_profile, import_profiles, remove_profile, rename_profile
from kraken_ops.spot import User

SECRET = "c2VjcmV0LXZhbHVlLTEyMzQ="
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "correct horse battery"


def cli(*args: str, input: str | None = None) -> object:
    from kraken_ops.cli.app import app

    return CliRunner().invoke(app, list(args), input=input)


def assert_one_line_error(result: object, code: int, *fragments: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --- storing ------------------------------------------------------------------------------


def test_profile_add_stores_the_totp_seed_beside_the_secret_and_only_the_type_in_the_file(isolated: Path) -> None:
    result = cli("profile", "add", "bot", "--stdin", "--otp", "totp", input=f"KEY1\n{SECRET}\n{SEED.lower()}\n")
    assert result.exit_code == 0, result.output
    text = isolated.read_text()
    assert 'otp = "totp"' in text and SEED not in text and SEED.lower() not in text
    assert SEED not in result.stdout + result.stderr
    assert stored("bot", "spot-otp") == SEED  # normalised as authenticator apps print it
    assert stored("bot", "spot") == SECRET
    assert "requires 2FA" in result.stderr


def test_profile_add_stores_a_password(isolated: Path) -> None:
    result = cli("profile", "add", "bot", "--stdin", "--otp", "password", input=f"KEY1\n{SECRET}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert stored("bot", "spot-otp") == PASSWORD and PASSWORD not in isolated.read_text() + result.output


def test_otp_values_are_never_taken_from_the_command_line() -> None:
    for argv in (["--otp", "password", PASSWORD], ["--otp-password", PASSWORD], ["--otp-secret", SEED], ["--otp", SEED]):
        result = cli("profile", "add", "bot", "--stdin", *argv, input=f"KEY1\n{SECRET}\nx\n")
        assert result.exit_code == 2, argv
    assert read_config().profiles == {}


def test_a_missing_otp_line_or_a_bad_seed_stores_nothing(isolated: Path) -> None:
    assert_one_line_error(cli("profile", "add", "bot", "--stdin", "--otp", "totp", input=f"KEY1\n{SECRET}\n"), 2, "one more line")
    assert_one_line_error(cli("profile", "add", "bot", "--stdin", "--otp", "totp", input=f"KEY1\n{SECRET}\nnot base32!\n"), 3, "base32")
    assert read_config().profiles == {} and stored("bot", "spot") is None and stored("bot", "spot-otp") is None


def test_otp_is_for_the_spot_key_only() -> None:
    result = cli("profile", "add", "bot", "--stdin", "--market", "futures", "--otp", "password", input=f"FKEY\n{SECRET}\npw\n")
    assert_one_line_error(result, 2, "Futures API keys have no two-factor")


def test_otp_only_on_an_existing_profile_and_replace_to_change_it(isolated: Path) -> None:
    assert cli("profile", "add", "bot", "--stdin", input=f"KEY1\n{SECRET}\n").exit_code == 0
    result = cli("profile", "add", "bot", "--stdin", "--otp", "password", "--tier", "pro", input=f"{PASSWORD}\n")  # no key and secret again
    assert result.exit_code == 0, result.output
    assert read_config().get("bot").tier == "pro"  # other settings given with it are kept too
    assert stored("bot", "spot-otp") == PASSWORD and stored("bot", "spot") == SECRET
    assert_one_line_error(cli("profile", "add", "bot", "--stdin", "--otp", "totp", input=f"{SEED}\n"), 3, "already requires an otp")
    assert stored("bot", "spot-otp") == PASSWORD
    assert cli("profile", "add", "bot", "--stdin", "--otp", "totp", "--replace", input=f"{SEED}\n").exit_code == 0
    assert read_config().get("bot").otp == "totp" and stored("bot", "spot-otp") == SEED
    assert cli("profile", "add", "bot", "--otp", "prompt", "--replace").exit_code == 0
    assert read_config().get("bot").otp == "prompt" and stored("bot", "spot-otp") is None  # nothing to keep for prompt
    assert cli("profile", "add", "bot", "--otp", "none").exit_code == 0
    assert read_config().get("bot").otp is None and 'otp' not in isolated.read_text()


def test_profile_show_says_the_otp_type_and_where_its_value_is_never_the_value() -> None:
    assert cli("profile", "add", "bot", "--stdin", "--otp", "totp", input=f"KEY1\n{SECRET}\n{SEED}\n").exit_code == 0
    result = cli("profile", "show", "bot", "-o", "json")
    row = json.loads(result.stdout)
    assert (row["otp"], row["otp_source"]) == ("totp", "keyring")
    assert SEED not in result.output
    plain = cli("profile", "add", "other", "--stdin", input=f"KEY2\n{SECRET}\n")
    assert plain.exit_code == 0
    other = json.loads(cli("profile", "show", "other", "-o", "json").stdout)
    assert (other["otp"], other["otp_source"]) == ("none", None)
    listed = {r["name"]: r["otp"] for r in json.loads(cli("profile", "list", "-o", "json").stdout)}
    assert listed == {"bot": "totp", "other": "none"}


def test_remove_and_rename_take_the_stored_otp_with_them() -> None:
    add_profile("bot", "spot", "KEY1", SECRET, otp="password", otp_value=PASSWORD)
    rename_profile("bot", "bot2")
    assert stored("bot", "spot-otp") is None and stored("bot2", "spot-otp") == PASSWORD
    remove_profile("bot2")
    assert stored("bot2", "spot-otp") is None


def test_the_otp_value_round_trips_through_the_keyring(any_keyring: str) -> None:
    add_profile("bot", "spot", "KEY1", SECRET, otp="totp", otp_value=SEED)
    assert profiles.client_kwargs("bot", "spot")["otp"].at(59) == TOTP(SEED).at(59)
    rename_profile("bot", "bot2")
    assert stored("bot2", "spot-otp") == SEED and stored("bot", "spot-otp") is None
    remove_profile("bot2")
    assert stored("bot2", "spot-otp") is None and stored("bot2", "spot") is None


def test_the_config_file_names_the_type_only() -> None:
    from kraken_ops.profiles.config import Profile

    with pytest.raises(ConfigFileError, match="unknown otp"):
        Profile.from_table("bot", {"spot_key": "K", "otp": "123456"})
    with pytest.raises(ConfigFileError, match="secret"):
        Profile.from_table("bot", {"spot_key": "K", "otp_secret": SEED})


def test_import_reports_a_missing_otp_value(tmp_path: Path) -> None:
    file = tmp_path / "p.toml"
    file.write_text('[profiles.bot]\nspot_key = "KEY1"\notp = "totp"\n')
    assert import_profiles(file).needs_secret == [("bot", "spot"), ("bot", "spot-otp")]
    result = cli("profile", "import", str(tmp_path / "p.toml"), "--replace")
    assert "TOTP seed is not stored yet: kraken-ops profile add bot --otp totp --replace" in result.stderr


# --- what a client gets -------------------------------------------------------------------


def test_client_kwargs_give_the_password_or_a_totp_for_spot_and_nothing_for_futures() -> None:
    add_profile("pw", "spot", "KEY1", SECRET, otp="password", otp_value=PASSWORD)
    add_profile("pw", "futures", "FKEY1", SECRET)
    add_profile("tt", "spot", "KEY2", SECRET, otp="totp", otp_value=SEED)
    assert profiles.client_kwargs("pw", "spot")["otp"] == PASSWORD
    assert "otp" not in profiles.client_kwargs("pw", "futures")
    assert "otp" not in profiles.client_kwargs("pw", "spot", public=True)
    code = profiles.client_kwargs("tt", "spot")["otp"]
    assert isinstance(code, TOTP) and code.at(59) == TOTP(SEED).at(59)
    assert SEED not in repr(profiles.client_kwargs("tt", "spot"))


def test_a_stored_value_that_went_missing_is_a_config_error_saying_how_to_store_it() -> None:
    add_profile("tt", "spot", "KEY2", SECRET, otp="totp", otp_value=SEED)
    keyring.get_keyring().delete_password("kraken-ops", f"{read_config().id}/tt:spot-otp")
    with pytest.raises(ProfileError, match=r"no TOTP seed is stored.*profile add tt --otp totp --replace"):
        profiles.client_kwargs("tt", "spot")


def test_prompt_asks_once_per_command_and_needs_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("pr", "spot", "KEY3", SECRET, otp="prompt")
    asked: list[str] = []
    monkeypatch.setattr(profile_otp, "read_hidden", lambda text: asked.append(text) or "424242")
    monkeypatch.setattr(profile_otp, "has_terminal", lambda: True)
    with prompt_scope():
        assert profiles.client_kwargs("pr", "spot")["otp"] == "424242"
        assert profiles.client_kwargs("pr", "spot")["otp"] == "424242"
    assert len(asked) == 1 and "pr" in asked[0]
    profiles.client_kwargs("pr", "spot")  # outside a command: every client asks
    assert len(asked) == 2
    monkeypatch.setattr(profile_otp, "has_terminal", lambda: False)
    with pytest.raises(ProfileError, match="no terminal"):
        profiles.client_kwargs("pr", "spot")


def test_prompt_without_a_terminal_is_one_line_and_the_config_exit_code(isolated: Path) -> None:
    assert cli("profile", "add", "pr", "--stdin", "--otp", "prompt", input=f"KEY3\n{SECRET}\n").exit_code == 0
    result = cli("balances", "-p", "pr", input="")
    assert_one_line_error(result, 3, "otp", "no terminal")


def test_secret_command_profiles_get_the_otp_from_the_command_with_market_spot_otp(tmp_path: Path) -> None:
    (tmp_path / "bot-spot.secret").write_text(SECRET + "\n")
    (tmp_path / "bot-spot-otp.secret").write_text(PASSWORD + "\n")
    command = f"cat {tmp_path}/{{profile}}-{{market}}.secret"
    add_profile("bot", "spot", "KEY1", secret_command=command, otp="password")
    assert profiles.client_kwargs("bot", "spot")["otp"] == PASSWORD
    with pytest.raises(ProfileError, match=r"no \{market\}"):
        add_profile("fixed", "spot", "KEY2", secret_command=f"cat {tmp_path}/bot-spot.secret", otp="totp")
    assert "fixed" not in read_config().profiles


# --- the local exchange: paper profiles for keys with 2FA -------------------------------------


def _exchange_account(state: Path, *flags: str, input: str | None = None, profile: str = "paper") -> object:
    return cli("exchange", "account", "add", f"acct-{profile}", "--profile", profile, "--url", "http://127.0.0.1:9", "--state", str(state),
               *flags, input=input)


def test_exchange_account_add_otp_totp_prints_the_seed_once_and_stores_it_in_the_profile(tmp_path: Path) -> None:
    result = _exchange_account(tmp_path / "ex", "--otp-totp")
    assert result.exit_code == 0, result.output
    seed_line, uri = result.stdout.strip().splitlines()
    seed = seed_line.split(": ", 1)[1]
    assert uri.startswith("otpauth://totp/") and f"secret={seed}" in uri and "period=30" in uri and "digits=6" in uri
    assert read_config().get("paper").otp == "totp" and stored("paper", "spot-otp") == seed
    assert seed not in result.stderr
    from kraken_ops.exchange.state import State

    db = State(tmp_path / "ex")
    try:
        assert db.account("acct-paper").otp == "totp" and db.account("acct-paper").otp_secret == seed
    finally:
        db.close()


def test_exchange_account_add_otp_password_reads_stdin_and_never_prints_it(tmp_path: Path) -> None:
    result = _exchange_account(tmp_path / "ex", "--otp-password", "--print-credentials", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["spot"]["otp"] == {"type": "password"} and PASSWORD not in result.output
    assert stored("paper", "spot-otp") == PASSWORD and read_config().get("paper").otp == "password"


def test_exchange_account_add_refuses_two_kinds_and_an_empty_password(tmp_path: Path) -> None:
    assert_one_line_error(_exchange_account(tmp_path / "ex", "--otp-password", "--otp-totp", input="pw\n"), 2, "not both")
    assert_one_line_error(_exchange_account(tmp_path / "ex", "--otp-password", input="\n"), 2, "no password")
    assert read_config().profiles == {}


def test_without_a_keyring_the_paper_profiles_otp_goes_to_the_private_secrets_file(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    result = _exchange_account(tmp_path / "ex", "--otp-password", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    profile = read_config().get("paper")
    secrets_file = Path(profile.secret_file or "")
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert profiles.client_kwargs("paper", "spot")["otp"] == PASSWORD
    assert json.loads(cli("profile", "show", "paper", "-o", "json").stdout)["otp_source"] == f"file {secrets_file}"


# --- end to end: the SDK from a profile against the local exchange ---------------------------------


def _paper(name: str, exchange, **otp) -> object:
    with exchange._lock:
        acct = exchange.db.add_account(f"otp-{name}-{time.time_ns()}", **otp)
    add_profile(name, "spot", acct.spot_key, acct.spot_secret, environment="paper", url=exchange.url)
    return acct


def test_password_key_from_a_profile_accepted_missing_and_wrong(exchange) -> None:
    _paper("pw", exchange, otp_password=PASSWORD)
    with pytest.raises(kx.KrakenInvalidSignatureError):  # missing: the profile does not know the key needs an otp
        User.from_profile("pw").get_account_balance()
    add_profile("pw", "spot", otp="password", otp_value="wrong password")
    with pytest.raises(kx.KrakenInvalidSignatureError):
        User.from_profile("pw").get_account_balance()
    add_profile("pw", "spot", otp="password", otp_value=PASSWORD, replace_otp=True)
    assert isinstance(User.from_profile("pw").get_account_balance(), dict)


def test_totp_key_from_a_profile_accepted_missing_and_wrong(exchange) -> None:
    _paper("tt", exchange, otp_totp_seed=SEED)
    with pytest.raises(kx.KrakenInvalidSignatureError):
        User.from_profile("tt").get_account_balance()
    add_profile("tt", "spot", otp="totp", otp_value="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")  # another key's seed
    with pytest.raises(kx.KrakenInvalidSignatureError):
        User.from_profile("tt").get_account_balance()
    add_profile("tt", "spot", otp="totp", otp_value=SEED, replace_otp=True)
    user = User.from_profile("tt")
    for _ in range(3):  # several calls within one 30-second step
        assert isinstance(user.get_account_balance(), dict)
    assert auth.otp_accepted("totp", SEED, user._otp(), exchange.ctx.clock())


def test_verbose_http_logging_never_shows_the_otp(exchange) -> None:
    _paper("pw", exchange, otp_password=PASSWORD)
    add_profile("pw", "spot", otp="password", otp_value=PASSWORD)
    result = cli("balances", "-p", "pw", "-o", "json", "-v")
    assert result.exit_code == 0, result.output
    assert "POST /0/private/Balance" in result.stderr  # -v did log the request
    assert PASSWORD not in result.stdout + result.stderr


def test_the_websocket_token_request_sends_the_profiles_otp(exchange) -> None:
    from kraken_ops.spot import SpotWSClient

    _paper("tt", exchange, otp_totp_seed=SEED)
    add_profile("tt", "spot", otp="totp", otp_value=SEED)

    async def token() -> dict:
        client = SpotWSClient.from_profile("tt")
        try:
            return await client.get_ws_token()
        finally:
            await client.close()

    assert asyncio.run(token())["token"]
    add_profile("tt", "spot", otp="none")
    with pytest.raises(kx.KrakenInvalidSignatureError):
        asyncio.run(token())


def _secret_command_profile(tmp_path: Path, name: str, acct: object, url: str, **fields: object) -> None:
    (tmp_path / f"{name}-spot.secret").write_text(acct.spot_secret + "\n")  # type: ignore[attr-defined]
    add_profile(name, "spot", acct.spot_key, environment="paper", url=url,  # type: ignore[attr-defined]
                secret_command=f"cat {tmp_path}/{{profile}}-{{market}}.secret", **fields)


def _env(isolated: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAKEN_OPS_")}
    env.update(KRAKEN_OPS_CONFIG=str(isolated), KRAKEN_OPS_STATE_DIR=str(isolated.parent.parent / "state"), NO_COLOR="1", COLUMNS="200",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return env


def test_prompt_on_a_terminal_asks_once_for_a_command_that_makes_several_clients(exchange, isolated: Path, tmp_path: Path) -> None:
    with exchange._lock:
        acct = exchange.db.add_account(f"otp-prompt-{time.time_ns()}", otp_password=PASSWORD)
    _secret_command_profile(tmp_path, "pr", acct, exchange.url, otp="prompt")
    argv = [sys.executable, "-m", "kraken_ops.cli", "profile", "test", "pr", "-o", "json"]
    code, screen = run_on_pty(argv, PASSWORD, _env(isolated), prompt="2FA code (otp) of profile pr", timeout=90)
    assert code == 0, screen
    assert screen.count("2FA code (otp)") == 1  # five checks, one question
    assert PASSWORD not in screen  # hidden input
    rows = json.loads(screen[screen.index("["):screen.rindex("]") + 1])
    assert {r["result"] for r in rows} == {"ok"}


def test_the_raw_kraken_command_uses_the_profiles_otp(exchange, isolated: Path, tmp_path: Path) -> None:
    with exchange._lock:
        acct = exchange.db.add_account(f"otp-raw-{time.time_ns()}", otp_password=PASSWORD)
    _secret_command_profile(tmp_path, "raw", acct, exchange.url, otp="password")
    (tmp_path / "raw-spot-otp.secret").write_text(PASSWORD + "\n")
    done = subprocess.run([sys.executable, "-c", "from kraken_ops.cli.raw import main; main()", "spot", "-X", "POST",
                           "/0/private/Balance", "--profile", "raw"], capture_output=True, text=True, env=_env(isolated), timeout=60)
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), dict) and PASSWORD not in done.stdout + done.stderr


def test_a_refused_otp_is_the_auth_exit_code_with_a_hint_about_2fa(exchange) -> None:
    _paper("nootp", exchange, otp_password=PASSWORD)
    result = cli("balances", "-p", "nootp", "-o", "json")
    assert result.exit_code == 6, result.output
    assert "EAPI:Invalid signature" in result.stderr and "--otp" in result.stderr
