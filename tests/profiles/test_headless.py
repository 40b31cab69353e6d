"""The quick start works on a machine without a keyring (issue 10, item 5).

Paper profiles keep their secrets in a 0600 file in the local exchange's state dir
when no keyring backend exists; production profiles never fall back to a file and
say how to set up a keyring or use ``secret_command``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from typer.testing import CliRunner

from kraken_ops import profiles
from kraken_ops.profiles import SecretStoreError
from kraken_ops.profiles.config import read_config
from kraken_ops.profiles.manage import add_profile, remove_profile

SECRET = "c2VjcmV0LXZhbHVlLTEyMzQ="
SECRET2 = "b3RoZXItc2VjcmV0LXZhbHVl"
URL = "http://127.0.0.1:9"


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())


def cli(*args: str, input: str | None = None) -> object:
    from kraken_ops.cli.app import app

    return CliRunner().invoke(app, list(args), input=input)


def test_a_paper_profile_without_a_keyring_keeps_its_secrets_in_a_private_file(tmp_path: Path, isolated: Path, no_keyring) -> None:
    state = tmp_path / "exchange"
    result = cli("exchange", "account", "add", "alice", "--profile", "paper", "--url", URL, "--state", str(state))
    assert result.exit_code == 0, result.output
    secrets_file = state / "profile-secrets.json"
    assert str(secrets_file) in result.stderr
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    profile = read_config().get("paper")
    assert profile.secret_file == str(secrets_file)
    kwargs = profiles.client_kwargs("paper", "spot")
    from kraken_ops.exchange.state import State

    db = State(state)
    try:
        account = db.account("alice")
        assert kwargs["secret"] == account.spot_secret
        assert profiles.client_kwargs("paper", "futures")["secret"] == account.futures_secret
    finally:
        db.close()
    assert account.spot_secret not in isolated.read_text()
    assert sorted(p.name for p in state.iterdir() if p.name.startswith(".")) == []  # no temporary file left
    assert remove_profile("paper") == []
    assert json.loads(secrets_file.read_text())["secrets"] == {}


def test_the_secrets_file_is_refused_when_others_can_read_it(tmp_path: Path, no_keyring) -> None:
    state = tmp_path / "exchange"
    profiles.store_paper_profile("paper", URL, "PSPOT", SECRET, None, None, secret_dir=state)
    (state / "profile-secrets.json").chmod(0o644)
    with pytest.raises(SecretStoreError, match=r"profile-secrets.json.*0644.*chmod 600"):
        profiles.client_kwargs("paper", "spot")


def test_two_configs_share_one_exchange_secrets_file_without_colliding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_keyring) -> None:
    state = tmp_path / "exchange"
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(tmp_path / "a.toml"))
    profiles.store_paper_profile("paper", URL, "PSPOTA", SECRET, None, None, secret_dir=state)
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(tmp_path / "b.toml"))
    profiles.store_paper_profile("paper", URL, "PSPOTB", SECRET2, None, None, secret_dir=state)
    assert profiles.client_kwargs("paper", "spot")["secret"] == SECRET2
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(tmp_path / "a.toml"))
    assert profiles.client_kwargs("paper", "spot")["secret"] == SECRET


def test_a_production_profile_never_falls_back_to_a_file(tmp_path: Path, isolated: Path, no_keyring) -> None:
    result = cli("profile", "add", "bot1", "--stdin", input=f"KEY1\n{SECRET}\n")
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no usable keyring backend")
    for fragment in ("gnome-keyring", "dbus-run-session", "secret_command", "never"):
        assert fragment in lines[0], lines[0]
    assert not isolated.parent.exists()
    assert not list(tmp_path.rglob("*secrets*"))


class _PlaintextFileKeyring(KeyringBackend):
    """Stands in for keyrings.alt's plaintext file backend, which keyring picks when nothing else exists."""

    priority = 0.5  # type: ignore[assignment]
    written: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.written.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.written[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.written.pop((service, username), None)


_PlaintextFileKeyring.__module__ = "keyrings.alt.file"


def test_a_plaintext_file_keyring_chosen_by_default_is_not_used_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    keyring.set_keyring(_PlaintextFileKeyring())
    with pytest.raises(SecretStoreError, match="keyrings.alt"):
        add_profile("bot1", "spot", "KEY1", SECRET)
    assert _PlaintextFileKeyring.written == {}
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")  # chosen on purpose: used
    add_profile("bot1", "spot", "KEY1", SECRET)
    assert list(_PlaintextFileKeyring.written.values()) == [SECRET]
    _PlaintextFileKeyring.written.clear()


def _kraken_ops(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kraken_ops.cli", *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_the_readme_quick_start_works_without_a_keyring(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KRAKEN_OPS_", "XDG_", "DBUS_"))}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # a headless machine: no Secret Service
    )
    server = subprocess.Popen([sys.executable, "-m", "kraken_ops.cli", "exchange", "serve", "--port", "0"], env=env,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), line
        added = _kraken_ops(env, "exchange", "account", "add", "alice", "--fund", "ZUSD=10000", "--fund", "XXBT=1", "--profile", "paper")
        assert added.returncode == 0, added.stderr
        balances = _kraken_ops(env, "balances", "--profile", "paper", "-o", "json")
        assert balances.returncode == 0, balances.stderr
        assert "ZUSD" in balances.stdout
        order = _kraken_ops(env, "orders", "create", "--profile", "paper", "--pair", "XBTUSD", "--side", "buy", "--type", "limit",
                            "--volume", "0.01", "--price", "50000", "-o", "json")
        assert order.returncode == 0, order.stderr
        listed = _kraken_ops(env, "orders", "list", "--profile", "paper", "-o", "json")
        assert listed.returncode == 0, listed.stderr
    finally:
        server.terminate()
        server.wait(10)
