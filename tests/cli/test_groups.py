"""``--group TAG`` on commands that take several profiles (issue 13, item 1)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kraken_ops.cli.app import app as root


def test_group_on_a_read_command_merges_by_profile_even_for_one_member(cli):
    cli.add_profile("a", cli.account({"ZUSD": "1"}), tags=["bots"])
    cli.add_profile("b", cli.account({"ZUSD": "2"}), tags=["bots", "eu"])
    cli.add_profile("c", cli.account({"ZUSD": "3"}))
    both = json.loads(cli("balances", "--group", "bots", "-o", "json").stdout)
    assert set(both) == {"a", "b"}
    one = json.loads(cli("--group", "eu", "balances", "-o", "json").stdout)
    assert set(one) == {"b"} and one["b"]["ZUSD"].startswith("2")
    mixed = json.loads(cli("balances", "-g", "eu", "-p", "c", "-o", "json").stdout)
    assert set(mixed) == {"b", "c"}


def test_group_nobody_carries_is_a_configuration_error(cli):
    cli.add_profile("a", tags=["bots"])
    result = cli("balances", "--group", "robots", "-o", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["message"].startswith("no profile carries the tag 'robots'")


def test_group_completion_offers_the_configured_tags(cli):
    from kraken_ops.cli.context import complete_tag

    cli.add_profile("a", tags=["bots", "eu"])
    cli.add_profile("b", tags=["backup"])
    assert complete_tag("b") == ["backup", "bots"]



def test_every_tag_parameter_completes_from_the_config():
    """--group (global and profile list's), profile add --tag and profile tag's TAG...: dynamic in the catalog,
    so the generated bash/zsh/fish completions ask kraken-ops for the tags."""
    from kraken_ops.cli import catalog

    specs = catalog.build()
    found = {
        (" ".join(path), p.name): p.completion
        for path in (["balances"], ["profile", "list"], ["profile", "add"], ["profile", "tag"])
        for p in [*specs.get(path).params, *specs.get(path).global_options]
        if (p.metavar or "").startswith("TAG")
    }
    assert found == {("balances", "group"): "dynamic", ("profile list", "group"): "dynamic", ("profile add", "tag"): "dynamic", ("profile tag", "tag"): "dynamic"}


def test_the_root_group_option_is_documented_in_help():
    result = CliRunner().invoke(root, ["balances", "--help"])
    assert "--group" in result.stdout


def test_reading_several_profiles_imports_no_aiohttp(cli):
    """Several profiles are read from threads with the sync SDK: the process imports what a
    one-profile read imports (aiohttp alone costs a short command a good part of its time)."""
    import subprocess
    import sys

    cli.add_profile("a", tags=["bots"])
    cli.add_profile("b", tags=["bots"])
    code = (
        "import sys\n"
        "from kraken_ops.cli.app import app\n"
        "try:\n    app(['balances', '--group', 'bots', '-o', 'json'], standalone_mode=False)\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('AIOHTTP', 'aiohttp' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli.env(), timeout=60)
    assert run.returncode == 0, run.stderr
    data, flag = run.stdout.rsplit("AIOHTTP", 1)
    assert set(json.loads(data)) == {"a", "b"}
    assert flag.strip() == "False"


def test_the_config_file_is_read_once_however_many_profiles(cli, monkeypatch):
    from kraken_ops.profiles import config as config_module

    for name in ("a", "b", "c", "d"):
        cli.add_profile(name, tags=["bots"])
    reads = []
    real = config_module.parse_document
    monkeypatch.setattr(config_module, "parse_document", lambda *a, **k: reads.append(1) or real(*a, **k))
    assert cli("balances", "-p", "a", "-p", "b", "-o", "json").exit_code == 0
    two = len(reads)
    reads.clear()
    assert cli("balances", "-p", "a", "-p", "b", "-p", "c", "-p", "d", "-o", "json").exit_code == 0
    assert len(reads) == two <= 2
    reads.clear()
    assert cli("orders", "cancel-all", "--group", "bots", "-o", "json").exit_code == 0
    assert len(reads) <= 2


@pytest.mark.parametrize("args", [
    ["spot", "/0/public/Time"],
    ["stream", "ticker", "XBT/USD", "--count", "1"],
    ["profile", "show"],
    ["market", "time"],
])
@pytest.mark.parametrize("selection", [["--group", "bots"], ["--all-profiles"]])
def test_one_profile_commands_refuse_a_selection_of_several(cli, args, selection):
    cli.add_profile("a", tags=["bots"])
    cli.add_profile("b", tags=["bots"])
    result = cli(*selection, *args)
    assert result.exit_code == 2, result.stderr
    assert "acts on one profile" in result.stderr
