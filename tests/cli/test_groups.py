"""``--group TAG`` on commands that take several profiles (issue 13, item 1)."""

from __future__ import annotations

import json

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
    from kraken_ops.cli.context import _complete_tag

    cli.add_profile("a", tags=["bots", "eu"])
    cli.add_profile("b", tags=["backup"])
    assert _complete_tag("b") == ["backup", "bots"]


def test_the_root_group_option_is_documented_in_help():
    result = CliRunner().invoke(root, ["balances", "--help"])
    assert "--group" in result.stdout
