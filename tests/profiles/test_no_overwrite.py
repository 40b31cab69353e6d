"""Nothing is replaced silently, and a failing command leaves nothing behind (issue 10, items 2 and 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kraken_ops import profiles
from kraken_ops.profiles import ProfileError
from kraken_ops.profiles.config import read_config
from kraken_ops.profiles.manage import add_profile

from profile_helpers import stored

SECRET = "c2VjcmV0LXZhbHVlLTEyMzQ="
SECRET2 = "b3RoZXItc2VjcmV0LXZhbHVl"
URL = "http://127.0.0.1:9"


def exchange(*args: str) -> object:
    from kraken_ops.cli.app import app

    return CliRunner().invoke(app, ["exchange", *args])


def accounts(state: Path) -> list[str]:
    from kraken_ops.exchange.state import State

    db = State(state)
    try:
        return sorted(a.name for a in db.accounts())
    finally:
        db.close()


def one_line_error(result: object, code: int, *fragments: str) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# --- store_paper_profile --------------------------------------------------------------------------------------


def test_store_paper_profile_refuses_an_existing_paper_profile_unless_replace(isolated: Path) -> None:
    profiles.store_paper_profile("paper", URL, "PSPOT", SECRET, "PFUT", SECRET)
    before = isolated.read_bytes()
    with pytest.raises(ProfileError, match=r"profile 'paper' already exists.*replace=True"):
        profiles.store_paper_profile("paper", URL, "PSPOT2", SECRET2, "PFUT2", SECRET2)
    assert isolated.read_bytes() == before and stored("paper", "spot") == SECRET
    again = profiles.store_paper_profile("paper", URL, "PSPOT2", SECRET2, "PFUT2", SECRET2, replace=True)
    assert again.spot_key == "PSPOT2" and stored("paper", "spot") == SECRET2


# --- exchange account add --profile ---------------------------------------------------------------------------


def test_account_add_refuses_to_replace_an_existing_profile_and_creates_no_account(tmp_path: Path) -> None:
    state = tmp_path / "exchange"
    assert exchange("account", "add", "alice", "--profile", "paper", "--url", URL, "--state", str(state)).exit_code == 0
    keys = read_config().get("paper").spot_key
    result = exchange("account", "add", "bob", "--profile", "paper", "--url", URL, "--state", str(state))
    one_line_error(result, 3, "profile 'paper' already exists", "--replace")
    assert accounts(state) == ["alice"]  # refused before the account was created
    assert read_config().get("paper").spot_key == keys
    result = exchange("account", "add", "bob", "--profile", "paper", "--url", URL, "--state", str(state), "--replace")
    assert result.exit_code == 0, result.output
    assert accounts(state) == ["alice", "bob"] and read_config().get("paper").spot_key != keys


def test_account_add_never_takes_the_url_of_a_stale_server_json(tmp_path: Path) -> None:
    state = tmp_path / "exchange"
    state.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (state / "server.json").write_text(json.dumps({"url": "http://127.0.0.1:5999", "pid": dead.pid}))
    result = exchange("account", "add", "alice", "--profile", "paper", "--state", str(state))
    one_line_error(result, 3, "server.json", "not running", "--url")
    assert accounts(state) == [] and "paper" not in read_config().profiles


def test_account_add_rolls_the_account_back_when_the_profile_cannot_be_stored(tmp_path: Path, memory_keyring) -> None:
    state = tmp_path / "exchange"
    memory_keyring.refuse = True  # a keyring that exists but says no
    result = exchange("account", "add", "alice", "--fund", "USD=10", "--profile", "paper", "--url", URL, "--state", str(state))
    one_line_error(result, 3, "cannot store profile 'paper'", "account 'alice' was removed again")
    assert accounts(state) == []
    assert "paper" not in read_config().profiles


# --- a failing command creates nothing ------------------------------------------------------------------------------


def test_a_failing_profile_add_creates_no_config_directory_and_no_lock_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring) -> None:
    config = tmp_path / "nothing" / "here" / "config.toml"
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(config))
    memory_keyring.refuse = True
    with pytest.raises(ProfileError):
        add_profile("bot1", "spot", "KEY1", SECRET)
    assert not (tmp_path / "nothing").exists()
    from kraken_ops.profiles.manage import set_default

    with pytest.raises(ProfileError, match="unknown profile"):
        set_default("ghost")
    assert not (tmp_path / "nothing").exists()


def test_a_failing_edit_of_an_existing_config_leaves_no_lock_file(isolated: Path, memory_keyring) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    memory_keyring.refuse = True
    with pytest.raises(ProfileError):
        add_profile("bot2", "spot", "KEY2", SECRET2)
    assert sorted(p.name for p in isolated.parent.iterdir()) == ["config.toml"]


def test_concurrent_edits_still_never_lose_a_change(isolated: Path) -> None:
    """The config lock (now on the directory, not a lock file) still serialises writers."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "import keyring; from keyring_memory import MemoryKeyring; keyring.set_keyring(MemoryKeyring());"
        "from kraken_ops.profiles.manage import add_profile;"
        "add_profile(sys.argv[1], 'spot', 'K' + sys.argv[1], 'c2VjcmV0LXZhbHVlLTEyMzQ=')"
    )
    here = str(Path(__file__).parent)
    procs = [subprocess.Popen([sys.executable, "-c", script, f"bot{i}", here], env=dict(os.environ)) for i in range(6)]
    assert [p.wait(60) for p in procs] == [0] * 6
    config = read_config()
    assert config.names() == [f"bot{i}" for i in range(6)] and config.id


def test_the_nonce_store_never_creates_a_file_behind_a_dangling_symlink(tmp_path: Path) -> None:
    from kraken_ops.profiles.nonce_store import NonceStore, key_id

    directory = tmp_path / "nonces"
    directory.mkdir()
    target = tmp_path / "elsewhere.nonce"
    (directory / f"{key_id('spot', 'KEY1')}.nonce").symlink_to(target)
    with pytest.raises(ProfileError, match="symbolic link"):
        NonceStore("spot", "KEY1", directory=directory).next()
    assert not target.exists()


def test_a_state_dir_that_is_a_dangling_symlink_is_named_and_nothing_is_created(tmp_path: Path) -> None:
    from kraken_ops.profiles.nonce_store import NonceStore

    link = tmp_path / "state"
    link.symlink_to(tmp_path / "gone" / "state")
    with pytest.raises(ProfileError, match=r"points to .*gone.*which does not exist"):
        NonceStore("spot", "KEY2", directory=link / "nonces").next()
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize(
    "args",
    [["account", "remove", "ghost", "--yes"], ["account", "fund", "ghost", "USD=1"], ["deposit", "ghost", "XBT", "1"],
     ["account", "add-withdraw-key", "ghost", "XBT", "cold", "bc1q"]],
)
def test_exchange_commands_on_a_missing_state_fail_without_creating_it(tmp_path: Path, args: list[str]) -> None:
    state = tmp_path / "no-exchange-here"
    one_line_error(exchange(*args, "--state", str(state)), 3, "no exchange state in", str(state))
    assert not state.exists()
