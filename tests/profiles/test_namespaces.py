"""Keyring entries are namespaced by their config file (issue 10, item 1).

Two config files (``KRAKEN_OPS_CONFIG``) may both have a profile ``bot1``; each keeps
its own secret. Entries written before config ids existed (``bot1:spot``) are copied
into the config's namespace on first use, verified, and never lost.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kraken_ops import profiles
from kraken_ops.profiles import secrets
from kraken_ops.profiles.config import read_config
from kraken_ops.profiles.manage import add_profile, export_document, import_profiles, remove_profile, rename_profile

from profile_helpers import stored

SECRET_A = "c2VjcmV0LW9mLWNvbmZpZy1h"
SECRET_B = "c2VjcmV0LW9mLWNvbmZpZy1i"


@pytest.fixture
def two_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Switch ``KRAKEN_OPS_CONFIG`` between two files, like two MCP servers of docs/mcp.md."""
    paths = {"a": tmp_path / "a" / "config.toml", "b": tmp_path / "b" / "config.toml"}

    def use(which: str) -> Path:
        monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(paths[which]))
        return paths[which]

    return use


def test_the_same_profile_name_in_two_config_files_keeps_two_secrets(two_configs, any_keyring: str) -> None:
    two_configs("a")
    add_profile("bot1", "spot", "KEYA", SECRET_A)
    two_configs("b")
    add_profile("bot1", "spot", "KEYB", SECRET_B)
    two_configs("a")
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A
    two_configs("b")
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_B
    assert read_config().id and read_config().id != read_config(two_configs("a")).id


def test_remove_deletes_only_its_own_configs_secret(two_configs, any_keyring: str) -> None:
    two_configs("a")
    add_profile("bot1", "spot", "KEYA", SECRET_A)
    two_configs("b")
    add_profile("bot1", "spot", "KEYB", SECRET_B)
    assert remove_profile("bot1") == []
    assert stored("bot1", "spot") is None
    two_configs("a")
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A


def test_the_config_id_is_in_the_file_and_names_the_keyring_entry(isolated: Path, memory_keyring) -> None:
    add_profile("bot1", "spot", "KEY1", SECRET_A)
    config_id = read_config().id
    assert config_id and f'id = "{config_id}"' in isolated.read_text()
    assert list(memory_keyring.entries) == [("kraken-ops", f"{config_id}/bot1:spot")]
    assert secrets.entry_name("bot1", "spot", config_id) == f"{config_id}/bot1:spot"


def _legacy_config(path: Path, *, comment: str = "# my bots\n") -> str:
    text = comment + 'default = "bot1"\n\n[profiles.bot1]\nenvironment = "production"\nspot_key = "KEY1"\n'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def test_an_old_entry_is_copied_into_the_namespace_on_first_use_and_kept(isolated: Path, any_keyring: str) -> None:
    text = _legacy_config(isolated)
    secrets.keyring_set("bot1", "spot", SECRET_A)  # written by a kraken-ops without config ids
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A
    config = read_config()
    assert config.id is not None
    after = isolated.read_text()
    assert after.endswith(text) and "# my bots" in after  # only the id line was added: comments stay
    assert stored("bot1", "spot") == SECRET_A
    # another config file may still use the old entry: it stays until the user deletes it
    assert secrets.keyring_get("bot1", "spot") == SECRET_A
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A


def test_a_second_old_config_migrates_from_the_same_old_entry(two_configs, any_keyring: str) -> None:
    _legacy_config(two_configs("a"))
    _legacy_config(two_configs("b"))
    secrets.keyring_set("bot1", "spot", SECRET_A)
    two_configs("a")
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A
    two_configs("b")
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A
    add_profile("bot1", "spot", "KEY1", SECRET_B, replace_key=True)
    two_configs("a")
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A


def test_a_migration_that_cannot_copy_loses_nothing(isolated: Path, memory_keyring) -> None:
    text = _legacy_config(isolated)
    secrets.keyring_set("bot1", "spot", SECRET_A)
    memory_keyring.refuse = True
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A  # still works from the old entry
    assert isolated.read_text() == text and read_config().id is None
    memory_keyring.refuse = False
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A
    assert read_config().id is not None and stored("bot1", "spot") == SECRET_A


def test_a_config_that_cannot_be_written_keeps_using_the_old_entry(isolated: Path, memory_keyring) -> None:
    text = _legacy_config(isolated)
    secrets.keyring_set("bot1", "spot", SECRET_A)
    isolated.chmod(0o400)
    try:
        assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A
    finally:
        isolated.chmod(0o600)
    assert isolated.read_text() == text
    assert list(memory_keyring.entries) == [("kraken-ops", "bot1:spot")]  # no orphaned copy


def test_editing_an_old_config_migrates_its_entries_first(isolated: Path, any_keyring: str) -> None:
    _legacy_config(isolated)
    secrets.keyring_set("bot1", "spot", SECRET_A)
    add_profile("bot2", "spot", "KEY2", SECRET_B)
    assert read_config().id is not None
    assert stored("bot1", "spot") == SECRET_A and stored("bot2", "spot") == SECRET_B
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A


def test_remove_after_migration_says_the_old_entry_is_left_in_place(isolated: Path, any_keyring: str) -> None:
    _legacy_config(isolated)
    secrets.keyring_set("bot1", "spot", SECRET_A)
    profiles.client_kwargs("bot1", "spot")
    warnings = remove_profile("bot1")
    assert stored("bot1", "spot") is None
    assert secrets.keyring_get("bot1", "spot") == SECRET_A
    assert len(warnings) == 1 and "bot1:spot" in warnings[0] and "keyring del" in warnings[0]


def test_rename_moves_the_namespaced_secret(two_configs, any_keyring: str) -> None:
    two_configs("a")
    add_profile("bot1", "spot", "KEYA", SECRET_A)
    two_configs("b")
    add_profile("bot1", "spot", "KEYB", SECRET_B)
    rename_profile("bot1", "alpha")
    assert stored("alpha", "spot") == SECRET_B and stored("bot1", "spot") is None
    two_configs("a")
    assert stored("bot1", "spot") == SECRET_A


def test_export_never_carries_the_id_and_import_keeps_the_target_configs_id(two_configs, tmp_path: Path, any_keyring: str) -> None:
    two_configs("a")
    add_profile("bot1", "spot", "KEYA", SECRET_A)
    text = export_document()
    assert "id =" not in text
    exported = tmp_path / "bot1.toml"
    exported.write_text(text)
    two_configs("b")
    add_profile("other", "spot", "KEYO", SECRET_B)
    b_id = read_config().id
    result = import_profiles(exported)
    assert result.needs_secret == [("bot1", "spot")]  # config a's secret is a's, not b's
    assert read_config().id == b_id
    two_configs("a")
    assert profiles.client_kwargs("bot1", "spot")["secret"] == SECRET_A


def test_a_bad_id_in_the_file_is_a_clear_error(isolated: Path) -> None:
    from kraken_ops.profiles.errors import ConfigFileError

    isolated.parent.mkdir(parents=True)
    isolated.write_text('id = 5\n[profiles]\n')
    with pytest.raises(ConfigFileError, match="id"):
        read_config()
