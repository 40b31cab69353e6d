"""Fleet commands as MCP tools (issue 13): ``panic`` and the cross-account writes are destructive
tools acting on the server's profile only; ``deadman`` is left out (it runs until stopped);
tool calls are in the audit log as ``"via": "mcp"``; ``audit`` is a read tool of the server's profile."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

pytest.importorskip("mcp")

from kraken_ops.cli import audit  # noqa: E402
from kraken_ops.mcp.catalog import SERVICES, build_tools  # noqa: E402
from kraken_ops.mcp.server import KrakenOpsTools, ServerConfig  # noqa: E402

LIMIT = ("--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000")


def test_panic_is_a_destructive_trade_tool_and_deadman_is_no_tool():
    tools = {tool.name: tool for tool in build_tools(list(SERVICES))}
    assert "deadman" not in tools and not [name for name in tools if "deadman" in name]
    panic = tools["panic"]
    assert panic.service == "trade" and panic.destructive and not panic.read_only
    assert set(panic.input_schema()["properties"]) == {"flatten", "acknowledged"}
    for name in ("panic", "orders_cancel_all", "orders_cancel_after", "futures_orders_cancel_all"):
        tool = tools[name]
        assert tool.destructive and not tool.read_only, name
        assert not {"group", "all_profiles", "profile", "yes"} & set(tool.input_schema()["properties"]), name


def test_a_tool_call_acts_on_the_servers_profile_only_and_is_audited_as_mcp(cli):
    for name in ("a", "b"):
        cli.add_profile(name, tags=["bots"])
        assert cli("orders", "create", *LIMIT, "-p", name).exit_code == 0
    tools = KrakenOpsTools(ServerConfig(profile="a", services=["trade"]))
    result = tools.call("panic", {"acknowledged": True})
    assert not result.is_error, result.text
    report = json.loads(result.text)
    assert set(report) == {"a"} and report["a"]["spot"] == {"cancelled": 1}
    assert len(json.loads(cli("orders", "list", "-p", "b", "-o", "json").stdout)["open"]) == 1
    lines = [e for e in audit.read_entries(cli.tmp / "state" / "audit.log") if e["command"] == "panic"]
    assert lines and {e["via"] for e in lines} == {"mcp"} and {e["profile"] for e in lines} == {"a"}
    refused = tools.call("orders_cancel_all", {})
    assert refused.is_error and "acknowledged" in json.loads(refused.text)["message"]


def test_the_catalog_says_what_the_fleet_commands_do():
    """The one source of the MCP tools, the docs and the completions: kind fleet moves money."""
    from kraken_ops.cli import catalog

    specs = catalog.build()
    for path in ("panic", "deadman", "orders cancel-all", "orders cancel-after", "futures orders cancel-all"):
        spec = specs.get(path)
        assert (spec.kind, spec.needs_key, spec.moves_money, spec.read_only, spec.dangerous) == ("fleet", True, True, False, True), path
        assert {"--group", "--all-profiles", "--yes"} <= {o for p in spec.global_options for o in p.opts}, path
    audit_ = specs.get("audit")  # reads a local file: no key, changes nothing
    assert (audit_.needs_key, audit_.moves_money, audit_.read_only) == (False, False, True)
    assert specs.get("profile tag").read_only is False  # it writes the config file
    assert "--timeout" in {o for p in specs.get("deadman").params for o in p.opts}  # its own: the switch's timeout
    assert "--timeout" not in {o for p in specs.get("deadman").global_options for o in p.opts}


def test_the_audit_tool_reads_the_servers_profile_only(cli, monkeypatch):
    """`audit` is a read tool of the account service; it never shows another account's lines."""
    for name in ("a", "b"):
        cli.add_profile(name)
        assert cli("orders", "create", *LIMIT, "-p", name).exit_code == 0
    tool = {t.name: t for t in build_tools(["account"])}["audit"]
    assert tool.read_only and not tool.destructive
    result = KrakenOpsTools(ServerConfig(profile="b")).call("audit", {"since": "1h"})
    assert not result.is_error, result.text
    entries = json.loads(result.text)
    assert entries and {e["profile"] for e in entries} == {"b"}
    monkeypatch.delenv("KRAKEN_OPS_PROFILE", raising=False)
    assert cli("profile", "default", "a").exit_code == 0
    by_default = json.loads(KrakenOpsTools(ServerConfig()).call("audit", {}).text)
    assert by_default and {e["profile"] for e in by_default} == {"a"}


def test_the_portfolio_tool_values_the_servers_profile_and_always_returns(cli):
    """`portfolio` is a read tool of the account service: one snapshot of the server's profile
    (no --live: a tool call must return)."""
    for name in ("a", "b"):
        cli.add_profile(name, cli.account({"ZUSD": "1000" if name == "a" else "5"}))
    tool = {t.name: t for t in build_tools(["account"])}["portfolio"]
    assert tool.read_only and not tool.destructive
    assert not {"live", "interval", "count"} & set(tool.input_schema()["properties"])
    result = KrakenOpsTools(ServerConfig(profile="a")).call("portfolio", {"in": "USD"})
    assert not result.is_error, result.text
    report = json.loads(result.text)
    assert {h["profile"] for h in report["holdings"]} == {"a"}
    assert Decimal(report["total"]) >= Decimal("1000")
