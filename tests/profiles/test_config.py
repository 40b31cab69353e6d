"""The config file: location, format, validation, atomic writes, and bad input."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from kraken_ops.profiles import config as cfg
from kraken_ops.profiles.errors import ConfigFileError, ProfileError
from kraken_ops.profiles.manage import add_profile

SECRET = "c2VjcmV0LXZhbHVlLTEyMzQ="


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_config_path_honours_env(isolated: Path) -> None:
    assert cfg.config_path() == isolated


def test_config_path_defaults_to_user_config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KRAKEN_OPS_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert cfg.config_path() == tmp_path / "xdg" / "kraken-ops" / "config.toml"


def test_state_dir_honours_env(tmp_path: Path) -> None:
    assert cfg.state_dir() == tmp_path / "state"


def test_missing_file_is_an_empty_config(isolated: Path) -> None:
    config = cfg.read_config()
    assert config.profiles == {} and config.default is None
    assert not isolated.exists()


def test_round_trip_keeps_every_field_and_other_top_level_settings(isolated: Path) -> None:
    write(
        isolated,
        """
default = "bot1"
colour = "never"

[profiles.bot1]
environment = "custom"
url = "https://kraken.example"
spot_key = "SPOTKEY"
futures_key = "FUTKEY"
read_only = true
confirm = false
tier = "pro"
nonce_window = 5
description = "a bot"
secret_command = ["pass", "show", "kraken/{profile}-{market}"]
secret_command_timeout = 5
""",
    )
    config = cfg.read_config()
    p = config.get("bot1")
    assert (p.environment, p.url, p.spot_key, p.futures_key) == ("custom", "https://kraken.example", "SPOTKEY", "FUTKEY")
    assert (p.read_only, p.confirm, p.tier, p.nonce_window, p.description) == (True, False, "pro", 5, "a bot")
    assert p.secret_command == ["pass", "show", "kraken/{profile}-{market}"] and p.secret_command_timeout == 5
    cfg.write_config(config)
    again = cfg.read_config()
    assert again.get("bot1") == p and again.default == "bot1" and again.extra == {"colour": "never"}


def test_written_file_has_mode_0600_and_no_temporary_files_left(isolated: Path) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    assert stat.S_IMODE(isolated.stat().st_mode) == 0o600
    assert sorted(p.name for p in isolated.parent.iterdir()) == ["config.toml"]  # no lock file either


def test_write_replaces_the_file_atomically(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    before = isolated.read_bytes()
    inode = isolated.stat().st_ino
    calls: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        # at the moment of the rename the new content is complete in the temporary file
        assert Path(src).parent == isolated.parent and Path(src).read_bytes() != before
        calls.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(cfg.os, "replace", spy)
    add_profile("bot2", "spot", "KEY2", SECRET)
    assert len(calls) == 1 and Path(calls[0][1]) == isolated
    assert isolated.stat().st_ino != inode  # a new file, renamed over the old one


def test_the_config_file_never_holds_a_secret(isolated: Path) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    assert SECRET not in isolated.read_text()


# --- bad input: one clear error, the file left as it was -------------------------------------------


def test_syntax_error_names_the_file_and_line_and_is_not_overwritten(isolated: Path) -> None:
    text = 'default = "bot1"\n\n[profiles.bot1\nspot_key = "K"\n'
    write(isolated, text)
    with pytest.raises(ConfigFileError) as err:
        cfg.read_config()
    message = str(err.value)
    assert str(isolated) in message and "line 3" in message and "\n" not in message
    with pytest.raises(ConfigFileError):
        add_profile("bot2", "spot", "KEY2", SECRET)
    assert isolated.read_text() == text


def test_unknown_environment_names_the_profile_line_and_choices(isolated: Path) -> None:
    text = '[profiles.ok]\nenvironment = "paper"\n\n[profiles.bot1]\nenvironment = "prod"\n'
    write(isolated, text)
    with pytest.raises(ConfigFileError) as err:
        cfg.read_config()
    message = str(err.value)
    assert "line 4" in message and "'bot1'" in message and "'prod'" in message and "production" in message
    with pytest.raises(ConfigFileError):
        add_profile("bot2", "spot", "KEY2", SECRET)
    assert isolated.read_text() == text


@pytest.mark.parametrize(
    "table, expected",
    [
        ('spot_secret = "abc"', "looks like a secret"),
        ('secret = "abc"', "looks like a secret"),
        ('key = "abc"', "use spot_key or futures_key"),
        ('readonly = true', "unknown field 'readonly'"),
        ('tier = "gold"', "unknown tier"),
        ('nonce_window = -1', "nonce_window must be 0 or more"),
        ('nonce_window = true', "nonce_window must be an integer"),
        ('read_only = "yes"', "read_only must be true or false"),
        ('environment = "custom"', "needs a url"),
        ('environment = "production"\nurl = "http://x"', "only used with environment 'paper' or 'custom'"),
        ('environment = "paper"\nurl = "ftp://x"', "url must start with http"),
        ('spot_key = "has space"', "invalid spot_key"),
    ],
)
def test_invalid_profile_values_are_one_line_errors(isolated: Path, table: str, expected: str) -> None:
    write(isolated, f"[profiles.bot1]\n{table}\n")
    with pytest.raises(ConfigFileError) as err:
        cfg.read_config()
    assert expected in str(err.value) and "\n" not in str(err.value) and str(isolated) in str(err.value)


def test_secret_value_is_not_echoed_in_the_error(isolated: Path) -> None:
    write(isolated, f'[profiles.bot1]\nspot_secret = "{SECRET}"\n')
    with pytest.raises(ConfigFileError) as err:
        cfg.read_config()
    assert SECRET not in str(err.value)


def test_default_must_name_a_profile(isolated: Path) -> None:
    write(isolated, 'default = "ghost"\n[profiles.bot1]\n')
    with pytest.raises(ConfigFileError, match="default profile 'ghost' is not defined"):
        cfg.read_config()


def test_invalid_profile_name(isolated: Path) -> None:
    with pytest.raises(ProfileError, match="invalid profile name"):
        add_profile("bad name", "spot", "KEY", SECRET)
    assert not isolated.exists()


def test_read_only_config_file_is_refused_and_left_alone(isolated: Path) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    before = isolated.read_bytes()
    isolated.chmod(0o400)
    try:
        with pytest.raises(ConfigFileError, match="read-only"):
            add_profile("bot2", "spot", "KEY2", SECRET)
        assert isolated.read_bytes() == before
    finally:
        isolated.chmod(0o600)


def test_unwritable_directory_is_a_clear_error_and_the_file_is_left_alone(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    before = isolated.read_bytes()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cfg.tempfile, "mkstemp", refuse)
    with pytest.raises(ConfigFileError) as err:
        add_profile("bot2", "spot", "KEY2", SECRET)
    assert "cannot write config file" in str(err.value) and "Permission denied" in str(err.value)
    assert isolated.read_bytes() == before


def test_failed_rename_leaves_the_file_and_no_temporary_file(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET)
    before = isolated.read_bytes()

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cfg.os, "replace", refuse)
    with pytest.raises(ConfigFileError, match="No space left"):
        add_profile("bot2", "spot", "KEY2", SECRET)
    assert isolated.read_bytes() == before
    assert not [p for p in isolated.parent.iterdir() if p.name.endswith(".tmp")]


def test_config_path_under_a_regular_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(blocker / "config.toml"))
    with pytest.raises(ConfigFileError, match="cannot"):
        add_profile("bot1", "spot", "KEY1", SECRET)


def _add_in_process(args: tuple[str, str, str]) -> None:
    import keyring

    from keyring_memory import MemoryKeyring

    os.environ["KRAKEN_OPS_CONFIG"], os.environ["KRAKEN_OPS_STATE_DIR"], name = args
    keyring.set_keyring(MemoryKeyring())
    add_profile(name, "spot", f"KEY-{name}", SECRET)


def test_concurrent_profile_adds_from_many_processes_lose_nothing(isolated: Path, tmp_path: Path) -> None:
    names = [f"bot{i}" for i in range(8)]
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        pool.map(_add_in_process, [(str(isolated), str(tmp_path / "state"), n) for n in names])
    assert cfg.read_config().names() == sorted(names)
