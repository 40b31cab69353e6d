"""Destructive local commands confirm (issue 10, item 4).

``profile remove`` deletes secrets Kraken never shows again, ``exchange account
remove`` deletes an account that profiles may still point at: both ask on a terminal
(tested on a real pseudo-terminal) and need ``--yes`` otherwise (exit 2).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from typer.testing import CliRunner

from kraken_ops.profiles.config import read_config
from kraken_ops.profiles.manage import add_profile

from profile_helpers import run_on_pty, stored

SECRET = "c2VjcmV0LXZhbHVlLTEyMzQ="
URL = "http://127.0.0.1:9"


def cli(*args: str) -> object:
    from kraken_ops.cli.app import app

    return CliRunner().invoke(app, list(args))


def one_line_error(result: object, code: int, *fragments: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def accounts(state: Path) -> list[str]:
    from kraken_ops.exchange.state import State

    db = State(state)
    try:
        return sorted(a.name for a in db.accounts())
    finally:
        db.close()


def headless_env(isolated: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAKEN_OPS_")}
    env.update(
        KRAKEN_OPS_CONFIG=str(isolated),
        KRAKEN_OPS_STATE_DIR=str(isolated.parent.parent / "state"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        NO_COLOR="1",
        COLUMNS="200",
    )
    return env


def paper_profile_without_keyring(state: Path, name: str = "paper", account: str = "alice") -> None:
    """An account and a paper profile whose secrets live in the exchange's secrets file (no keyring)."""
    keyring.set_keyring(fail.Keyring())
    result = cli("exchange", "account", "add", account, "--profile", name, "--url", URL, "--state", str(state))
    assert result.exit_code == 0, result.output


# --- profile remove ------------------------------------------------------------------------------------------


def test_profile_remove_without_a_terminal_needs_yes_and_keeps_everything() -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    result = cli("profile", "remove", "bot1")
    one_line_error(result, 2, "profile remove", "bot1", "--yes")
    assert "bot1" in read_config().profiles and stored("bot1", "spot") == SECRET


@pytest.mark.parametrize("where", [["profile", "remove", "bot1", "--yes"], ["--yes", "profile", "remove", "bot1"]])
def test_profile_remove_with_yes_deletes_the_profile_and_its_secret(where: list[str]) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    result = cli(*where)
    assert result.exit_code == 0, result.output
    assert "bot1" not in read_config().profiles and stored("bot1", "spot") is None


@pytest.mark.parametrize("answer, kept", [("n", True), ("", True), ("y", False)])
def test_profile_remove_asks_on_a_terminal(isolated: Path, tmp_path: Path, answer: str, kept: bool) -> None:
    state = tmp_path / "exchange"
    paper_profile_without_keyring(state)
    code, screen = run_on_pty([sys.executable, "-m", "kraken_ops.cli", "profile", "remove", "paper"], answer, headless_env(isolated))
    assert "Remove profile 'paper'" in screen and "never shows a secret again" in screen, screen
    profile_left = "paper" in read_config().profiles
    assert profile_left is kept
    if kept:
        assert code == 2 and "not confirmed" in screen
    else:
        assert code == 0, screen
        assert json.loads((state / "profile-secrets.json").read_text())["secrets"] == {}


# --- exchange account remove --------------------------------------------------------------------------------------


def test_account_remove_without_a_terminal_needs_yes_and_names_the_profiles_using_it(tmp_path: Path) -> None:
    state = tmp_path / "exchange"
    assert cli("exchange", "account", "add", "alice", "--profile", "paper", "--url", URL, "--state", str(state)).exit_code == 0
    result = cli("exchange", "account", "remove", "alice", "--state", str(state))
    one_line_error(result, 2, "account 'alice'", "profile paper", "--yes")
    assert accounts(state) == ["alice"]


def test_account_remove_with_yes_removes_it_and_warns_about_the_profiles(tmp_path: Path) -> None:
    state = tmp_path / "exchange"
    assert cli("exchange", "account", "add", "alice", "--profile", "paper", "--url", URL, "--state", str(state)).exit_code == 0
    assert cli("exchange", "account", "add", "bob", "--state", str(state)).exit_code == 0
    result = cli("exchange", "account", "remove", "alice", "--yes", "--state", str(state))
    assert result.exit_code == 0, result.output
    assert accounts(state) == ["bob"]
    assert "profile paper" in result.stderr and "kraken-ops profile remove paper" in result.stderr
    result = cli("exchange", "account", "remove", "bob", "--yes", "--state", str(state))
    assert result.exit_code == 0 and "profile" not in result.stderr


def test_account_remove_of_an_unknown_account_fails_before_asking(tmp_path: Path) -> None:
    state = tmp_path / "exchange"
    assert cli("exchange", "account", "add", "bob", "--state", str(state)).exit_code == 0
    one_line_error(cli("exchange", "account", "remove", "ghost", "--state", str(state)), 3, "no account named 'ghost'")


@pytest.mark.parametrize("answer, kept", [("no", True), ("yes", False)])
def test_account_remove_asks_on_a_terminal(isolated: Path, tmp_path: Path, answer: str, kept: bool) -> None:
    state = tmp_path / "exchange"
    paper_profile_without_keyring(state)
    argv = [sys.executable, "-m", "kraken_ops.cli", "exchange", "account", "remove", "alice", "--state", str(state)]
    code, screen = run_on_pty(argv, answer, headless_env(isolated))
    assert "Remove account 'alice'" in screen and "profile paper" in screen, screen
    assert (accounts(state) == ["alice"]) is kept
    assert code == (2 if kept else 0), screen
