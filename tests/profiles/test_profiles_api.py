"""The public profile API and the secret sources, against every keyring backend.

``any_keyring`` runs each test twice: with the in-memory backend and with a real
Secret Service (``-m keyring_real``, see run_real_keyring.sh).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from kraken_ops import profiles
from kraken_ops.exceptions import KrakenConfigError
from kraken_ops.profiles import secrets
from kraken_ops.profiles.config import read_config, write_config
from kraken_ops.profiles.errors import ProfileError, SecretStoreError
from kraken_ops.profiles.manage import (
    add_profile,
    export_document,
    import_profiles,
    remove_profile,
    rename_profile,
    set_default,
)
from kraken_ops.profiles.nonce_store import NonceStore

from profile_helpers import stored

pytestmark = pytest.mark.usefixtures("any_keyring")

SPOT_SECRET = "c3BvdC1zZWNyZXQtdmFsdWU="
FUT_SECRET = "ZnV0dXJlcy1zZWNyZXQtdmFsdWU="
OTHER_SECRET = "b3RoZXItc2VjcmV0LXZhbHVl"
REPO = Path(__file__).resolve().parents[2]


# --- choosing a profile ------------------------------------------------------------------------------


def test_profile_error_is_a_config_error() -> None:
    assert issubclass(ProfileError, KrakenConfigError)


def test_explicit_name_then_environment_variable_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)  # first profile becomes the default
    add_profile("bot2", "spot", "KEY2", OTHER_SECRET)
    assert profiles.get_profile(None).name == "bot1"
    monkeypatch.setenv("KRAKEN_OPS_PROFILE", "bot2")
    assert profiles.get_profile(None).name == "bot2"
    assert profiles.get_profile("bot1").name == "bot1"
    assert profiles.load("bot1").spot_key == "KEY1"


def test_unknown_profile_lists_the_known_ones() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    add_profile("treasury", "spot", "KEY2", OTHER_SECRET)
    with pytest.raises(ProfileError) as err:
        profiles.get_profile("bot3")
    assert str(err.value) == "unknown profile 'bot3'; known profiles: bot1, treasury"


def test_no_profile_at_all_says_what_to_do() -> None:
    with pytest.raises(ProfileError, match="no profile chosen.*profile add"):
        profiles.get_profile(None)


# --- client_kwargs -----------------------------------------------------------------------------------------


def test_client_kwargs_production_uses_krakens_urls_and_the_shared_nonce_store() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET, tier="pro", nonce_window=3)
    add_profile("bot1", "futures", "FKEY1", FUT_SECRET)
    spot = profiles.client_kwargs("bot1", market="spot")
    assert spot["key"] == "KEY1" and spot["secret"] == SPOT_SECRET and spot["url"] == "https://api.kraken.com"
    assert spot["tier"] == "pro" and isinstance(spot["nonce_source"], NonceStore)
    assert spot["nonce_source"].nonce_window == 3 and "sandbox" not in spot
    fut = profiles.client_kwargs("bot1", market="futures")
    assert (fut["key"], fut["secret"], fut["url"]) == ("FKEY1", FUT_SECRET, "https://futures.kraken.com")


def test_client_kwargs_paper_and_custom_use_the_profile_url() -> None:
    add_profile("paper", "spot", "PKEY", SPOT_SECRET, environment="paper")
    add_profile("mine", "spot", "MKEY", OTHER_SECRET, environment="custom", url="https://kraken.internal:9443/")
    assert profiles.client_kwargs("paper", "spot")["url"] == "http://127.0.0.1:8787"
    assert profiles.client_kwargs("mine", "spot")["url"] == "https://kraken.internal:9443"


def test_sandbox_is_futures_only() -> None:
    add_profile("demo", "futures", "DKEY", FUT_SECRET, environment="sandbox")
    add_profile("demo", "spot", "DSPOT", SPOT_SECRET)
    fut = profiles.client_kwargs("demo", "futures")
    assert fut["url"] == "https://demo-futures.kraken.com" and fut["sandbox"] is True
    with pytest.raises(ProfileError, match="no Spot sandbox"):
        profiles.client_kwargs("demo", "spot")


def test_sdk_clients_build_from_a_profile() -> None:
    from kraken_ops.futures.base import FuturesClient
    from kraken_ops.spot.base import SpotAsyncClient, SpotClient

    add_profile("bot1", "spot", "KEY1", SPOT_SECRET, environment="paper", url="http://127.0.0.1:9")
    add_profile("bot1", "futures", "FKEY1", FUT_SECRET)
    client = SpotClient.from_profile("bot1")
    assert client.url == "http://127.0.0.1:9" and client._key == "KEY1" and isinstance(client._nonce, NonceStore)
    assert SPOT_SECRET not in repr(client)
    assert isinstance(SpotAsyncClient.from_profile("bot1")._nonce, NonceStore)
    assert FuturesClient.from_profile("bot1")._key == "FKEY1"


def test_profile_without_a_key_for_the_market() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    with pytest.raises(ProfileError, match="no futures key.*profile add bot1 --market futures"):
        profiles.client_kwargs("bot1", "futures")


def test_profile_without_a_secret_is_a_clear_error(isolated: Path) -> None:
    isolated.parent.mkdir(parents=True)
    isolated.write_text('[profiles.bot1]\nspot_key = "KEY1"\n')
    before = isolated.read_bytes()
    with pytest.raises(ProfileError, match="no spot secret in the keyring.*profile add bot1"):
        profiles.client_kwargs("bot1", "spot")
    assert isolated.read_bytes() == before


# --- secret sources and precedence -----------------------------------------------------------------------------


def test_environment_credentials_without_any_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_OPS_API_KEY", "ENVKEY")
    monkeypatch.setenv("KRAKEN_OPS_SECRET_KEY", OTHER_SECRET)
    kwargs = profiles.client_kwargs(None, "spot")
    assert (kwargs["key"], kwargs["secret"], kwargs["url"]) == ("ENVKEY", OTHER_SECRET, "https://api.kraken.com")


def test_environment_secret_wins_for_the_same_key(monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    monkeypatch.setenv("KRAKEN_OPS_API_KEY", "KEY1")
    monkeypatch.setenv("KRAKEN_OPS_SECRET_KEY", OTHER_SECRET)
    assert profiles.client_kwargs("bot1", "spot")["secret"] == OTHER_SECRET
    assert secrets.secret_source(profiles.get_profile("bot1"), "spot") == "environment"


def test_environment_never_swaps_another_accounts_key_into_a_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    monkeypatch.setenv("KRAKEN_OPS_API_KEY", "SOMEONE-ELSE")
    monkeypatch.setenv("KRAKEN_OPS_SECRET_KEY", OTHER_SECRET)
    kwargs = profiles.client_kwargs("bot1", "spot")
    assert (kwargs["key"], kwargs["secret"]) == ("KEY1", SPOT_SECRET)


def test_only_one_environment_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    monkeypatch.setenv("KRAKEN_OPS_SECRET_KEY", OTHER_SECRET)
    with pytest.raises(ProfileError) as err:
        profiles.client_kwargs("bot1", "spot")
    assert "KRAKEN_OPS_API_KEY is not set" in str(err.value) and OTHER_SECRET not in str(err.value)


def _command(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def test_secret_command_beats_the_keyring_and_gets_profile_and_market() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    script = "import sys; print('c2VjcmV0LS' + sys.argv[1] + sys.argv[2]); print('second line ignored')"
    config = read_config()
    config.profiles["bot1"] = replace(config.get("bot1"), secret_command=_command(script) + ["{profile}", "{market}"])
    write_config(config)
    kwargs = profiles.client_kwargs("bot1", "spot")
    assert kwargs["secret"] == "c2VjcmV0LSbot1spot"
    assert secrets.secret_source(profiles.get_profile("bot1"), "spot") == "secret_command"


@pytest.mark.parametrize(
    "argv, timeout, expected",
    [
        (["/nonexistent/kraken-secret"], 5, "program /nonexistent/kraken-secret not found"),
        (_command("import sys; sys.exit(3)"), 5, "failed with exit code 3"),
        (_command("pass"), 5, "printed no secret"),
        (_command("import time; time.sleep(5)"), 0.3, "did not finish within 0.3s"),
    ],
)
def test_secret_command_failures_are_clear(argv: list[str], timeout: float, expected: str) -> None:
    profile = profiles.Profile(name="bot1", spot_key="KEY1", secret_command=argv, secret_command_timeout=timeout)
    with pytest.raises(SecretStoreError, match=expected):
        secrets.resolve(profile, "spot")


def test_a_missing_secret_command_program_is_named_by_its_full_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "not-executable").write_text("#!/bin/sh\necho x\n")
    monkeypatch.setenv("PATH", f"{bin_dir}:/nonexistent-dir")
    monkeypatch.chdir(tmp_path)

    def failure(argv: list[str]) -> str:
        profile = profiles.Profile(name="bot1", spot_key="KEY1", secret_command=argv)
        with pytest.raises(SecretStoreError) as err:
            secrets.resolve(profile, "spot")
        return str(err.value)

    message = failure(["kraken-secret-nope"])
    assert "'kraken-secret-nope' was not found in PATH" in message and f"{bin_dir}:/nonexistent-dir" in message
    assert f"program {tmp_path}/bin/gone not found" in failure(["./bin/gone"])  # a relative path, made absolute
    assert f"program {bin_dir}/not-executable is not executable" in failure(["not-executable"])  # found in PATH, like the shell
    assert f"program {bin_dir}/not-executable is not executable" in failure([str(bin_dir / "not-executable")])
    assert f"program {tmp_path}/bin is not executable (a directory)" in failure(["./bin"])


def test_a_secret_command_program_on_path_runs_by_its_resolved_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "print-secret"
    tool.write_text(f"#!/bin/sh\necho {SPOT_SECRET}\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ.get('PATH', '')}")
    profile = profiles.Profile(name="bot1", spot_key="KEY1", secret_command="print-secret {profile}")
    assert secrets.resolve(profile, "spot").secret == SPOT_SECRET


def test_secret_command_output_is_never_in_an_error() -> None:
    leaky = _command(f"import sys; print('{SPOT_SECRET}'); sys.exit(1)")
    profile = profiles.Profile(name="bot1", spot_key="KEY1", secret_command=leaky)
    with pytest.raises(SecretStoreError) as err:
        secrets.resolve(profile, "spot")
    assert SPOT_SECRET not in str(err.value)


# --- changing profiles ------------------------------------------------------------------------------------------------


def test_add_stores_the_secret_in_the_keyring_per_profile_and_market() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    add_profile("bot1", "futures", "FKEY1", FUT_SECRET)
    assert stored("bot1", "spot") == SPOT_SECRET
    assert stored("bot1", "futures") == FUT_SECRET
    assert read_config().get("bot1").markets == ("spot", "futures")


def test_add_refuses_a_key_another_profile_uses(isolated: Path) -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    before = isolated.read_bytes()
    with pytest.raises(ProfileError, match="already used by profile bot1.*--allow-shared-key"):
        add_profile("bot2", "spot", "KEY1", SPOT_SECRET)
    assert isolated.read_bytes() == before and stored("bot2", "spot") is None
    result = add_profile("bot2", "spot", "KEY1", SPOT_SECRET, allow_shared_key=True)
    assert result.shared_with == ["bot1"]
    assert read_config().shared_keys() == {("spot", "KEY1"): ["bot1", "bot2"]}


def test_add_needs_replace_to_change_an_existing_key() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    with pytest.raises(ProfileError, match="already has a spot key.*--replace"):
        add_profile("bot1", "spot", "KEY9", OTHER_SECRET)
    add_profile("bot1", "spot", "KEY9", OTHER_SECRET, replace_key=True)
    assert profiles.client_kwargs("bot1", "spot")["secret"] == OTHER_SECRET


def test_add_rejects_a_secret_that_is_not_base64(isolated: Path) -> None:
    with pytest.raises(ProfileError, match="not valid base64") as err:
        add_profile("bot1", "spot", "KEY1", "not base64 !!")
    assert "not base64 !!" not in str(err.value) and not isolated.exists()


def test_remove_deletes_the_keyring_entries() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    add_profile("bot1", "futures", "FKEY1", FUT_SECRET)
    assert remove_profile("bot1") == []
    assert read_config().profiles == {} and read_config().default is None
    assert stored("bot1", "spot") is None and stored("bot1", "futures") is None


def test_rename_moves_the_keyring_entries_and_the_default() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    rename_profile("bot1", "alpha")
    config = read_config()
    assert config.names() == ["alpha"] and config.default == "alpha"
    assert stored("alpha", "spot") == SPOT_SECRET and stored("bot1", "spot") is None
    assert profiles.client_kwargs("alpha", "spot")["secret"] == SPOT_SECRET


def test_rename_onto_an_existing_profile_is_refused() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    add_profile("bot2", "spot", "KEY2", OTHER_SECRET)
    with pytest.raises(ProfileError, match="'bot2' already exists"):
        rename_profile("bot1", "bot2")
    assert stored("bot2", "spot") == OTHER_SECRET


def test_set_default() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    add_profile("bot2", "spot", "KEY2", OTHER_SECRET)
    set_default("bot2")
    assert read_config().default == "bot2"
    with pytest.raises(ProfileError, match="unknown profile"):
        set_default("ghost")


def test_store_paper_profile_writes_both_keys_and_secrets() -> None:
    profile = profiles.store_paper_profile("paper", "http://127.0.0.1:9999", "PSPOT", SPOT_SECRET, "PFUT", FUT_SECRET)
    assert profile.environment == "paper" and profile.url == "http://127.0.0.1:9999"
    assert profiles.client_kwargs("paper", "spot")["secret"] == SPOT_SECRET
    assert profiles.client_kwargs("paper", "futures")["url"] == "http://127.0.0.1:9999"
    again = profiles.store_paper_profile("paper", None, "PSPOT2", OTHER_SECRET, "PFUT2", FUT_SECRET, replace=True)
    assert again.spot_key == "PSPOT2" and profiles.client_kwargs("paper", "spot")["secret"] == OTHER_SECRET


def test_store_paper_profile_never_replaces_a_production_profile() -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    with pytest.raises(ProfileError, match="already exists with environment 'production'"):
        profiles.store_paper_profile("bot1", None, "PSPOT", OTHER_SECRET, "PFUT", FUT_SECRET)
    assert stored("bot1", "spot") == SPOT_SECRET


# --- import / export -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", ["paper.toml", "treasury-readonly.toml", "bot1.toml", "bot2.toml"])
def test_example_profile_files_import(example: str) -> None:
    result = import_profiles(REPO / "profiles" / example)
    assert result.imported and all(name in read_config().profiles for name in result.imported)


def test_import_all_examples_gives_the_documented_profiles() -> None:
    for example in ("paper.toml", "treasury-readonly.toml", "bot1.toml", "bot2.toml"):
        import_profiles(REPO / "profiles" / example)
    config = read_config()
    assert config.names() == ["bot1", "bot2", "paper", "treasury"] and config.default == "paper"
    assert config.get("treasury").read_only and config.get("paper").environment == "paper"


def test_import_refuses_clashes_and_shared_keys(tmp_path: Path) -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    file = tmp_path / "in.toml"
    file.write_text('[profiles.bot1]\nspot_key = "KEY2"\n')
    with pytest.raises(ProfileError, match="bot1 already exists; pass --replace"):
        import_profiles(file)
    file.write_text('[profiles.bot7]\nspot_key = "KEY1"\n')
    with pytest.raises(ProfileError, match="shared by profiles bot1, bot7"):
        import_profiles(file)
    result = import_profiles(file, allow_shared_key=True)
    assert result.needs_secret == [("bot7", "spot")]


def test_import_rejects_a_file_with_a_secret(tmp_path: Path) -> None:
    file = tmp_path / "in.toml"
    file.write_text(f'[profiles.bot1]\nspot_key = "K"\nspot_secret = "{SPOT_SECRET}"\n')
    with pytest.raises(ProfileError) as err:
        import_profiles(file)
    assert "looks like a secret" in str(err.value) and SPOT_SECRET not in str(err.value) and "line 1" in str(err.value)


def test_export_round_trips_without_secrets(tmp_path: Path) -> None:
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET, tier="pro", description="bot")
    add_profile("bot2", "futures", "FKEY2", FUT_SECRET, environment="paper")
    text = export_document()
    assert SPOT_SECRET not in text and FUT_SECRET not in text and "KEY1" in text
    assert "KEY1" not in export_document(include_keys=False)
    file = tmp_path / "out.toml"
    file.write_text(text)
    remove_profile("bot1")
    remove_profile("bot2")
    import_profiles(file)
    assert read_config().get("bot1").tier == "pro" and read_config().get("bot2").environment == "paper"


# --- a keyring that says no -----------------------------------------------------------------------------------------------


def test_keyring_that_refuses_leaves_config_and_keyring_as_they_were(isolated: Path, memory_keyring, any_keyring: str) -> None:
    if any_keyring != "memory":
        pytest.skip("needs the scriptable in-memory backend")
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    before = isolated.read_bytes()
    memory_keyring.refuse = True
    with pytest.raises(SecretStoreError) as err:
        add_profile("bot2", "spot", "KEY2", OTHER_SECRET)
    message = str(err.value)
    assert "refused to store the spot secret of profile 'bot2'" in message and OTHER_SECRET not in message
    assert isolated.read_bytes() == before


def test_locked_keyring_says_to_unlock_it(memory_keyring, any_keyring: str) -> None:
    if any_keyring != "memory":
        pytest.skip("needs the scriptable in-memory backend")
    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    memory_keyring.locked = True
    with pytest.raises(SecretStoreError, match="keyring is locked: unlock it"):
        profiles.client_kwargs("bot1", "spot")


def test_config_write_failure_rolls_the_keyring_back(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kraken_ops.profiles import config as cfg

    add_profile("bot1", "spot", "KEY1", SPOT_SECRET)

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cfg.os, "replace", refuse)
    with pytest.raises(ProfileError):
        add_profile("bot2", "spot", "KEY2", OTHER_SECRET)
    with pytest.raises(ProfileError):
        add_profile("bot1", "spot", "KEY9", OTHER_SECRET, replace_key=True)
    assert stored("bot2", "spot") is None
    assert stored("bot1", "spot") == SPOT_SECRET


def test_no_keyring_backend_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    with pytest.raises(SecretStoreError) as err:
        add_profile("bot1", "spot", "KEY1", SPOT_SECRET)
    message = str(err.value)
    assert "no usable keyring backend" in message and "secret_command" in message and "KRAKEN_OPS_API_KEY" in message
