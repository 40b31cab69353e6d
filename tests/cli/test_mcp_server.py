"""``kraken-ops mcp``: the MCP server, spoken to with the official ``mcp`` client over stdio.

The server is spawned as ``python -m kraken_ops.cli.commands.mcp`` (independent of the
registration in the root app) with the isolated config of the ``cli`` fixture, whose paper
profiles point at the local exchange.
"""

from __future__ import annotations

import json
import sys
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import pytest

mcp = pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402

from kraken_ops.cli.commands import orders as orders_cli  # noqa: E402
from kraken_ops.mcp.catalog import HIDDEN_PARAMS, SERVICES, build_tools  # noqa: E402

ORDER = {"pair": "XBTUSD", "side": "buy", "type": "limit", "volume": "0.01", "price": "20000"}


@asynccontextmanager
async def session(cli: Any, *args: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "kraken_ops.cli.commands.mcp", *args], env=cli.env())
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as client:
            await client.initialize()
            yield client


def payload(result: Any) -> Any:
    return json.loads(result.content[0].text)


async def tools_of(client: ClientSession) -> dict[str, Any]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


async def test_default_services_are_read_only_and_a_read_tool_answers(cli):
    cli.add_profile("bot1")
    async with session(cli, "--profile", "bot1") as client:
        tools = await tools_of(client)
        assert {"market_time", "market_ticker", "balances", "orders_list", "trades_list"} <= set(tools)
        assert not [name for name, tool in tools.items() if tool.annotations.destructive_hint]
        assert "orders_create" not in tools and "funding_withdraw" not in tools
        assert tools["orders_list"].annotations.read_only_hint is True

        balances = await client.call_tool("balances", {})
        assert not balances.is_error, balances.content
        assert payload(balances)["ZUSD"].startswith("10000")

        ticker = await client.call_tool("market_ticker", {"pair": ["XBTUSD"]})
        assert not ticker.is_error, ticker.content
        assert payload(ticker)


async def test_destructive_tool_refuses_without_acknowledgement_and_runs_with_it(cli):
    cli.add_profile("bot1")
    async with session(cli, "--profile", "bot1", "--services", "account,trade") as client:
        tools = await tools_of(client)
        create = tools["orders_create"]
        assert create.annotations.destructive_hint is True
        assert "acknowledged" in create.input_schema["properties"]

        refused = await client.call_tool("orders_create", ORDER)
        assert refused.is_error
        envelope = payload(refused)
        assert envelope["error"] == "usage" and "acknowledged" in envelope["message"]
        assert envelope["retryable"] is False and envelope["profile"] == "bot1"
        assert payload(await client.call_tool("orders_list", {}))["open"] == {}

        placed = await client.call_tool("orders_create", {**ORDER, "acknowledged": True})
        assert not placed.is_error, placed.content
        txid = payload(placed)["txid"][0]
        assert txid in payload(await client.call_tool("orders_list", {}))["open"]

        cancelled = await client.call_tool("ws_cancel_all", {"acknowledged": True})
        assert not cancelled.is_error, cancelled.content
        assert payload(cancelled) == {"count": 1}


async def test_allow_dangerous_needs_no_acknowledgement(cli):
    cli.add_profile("bot1")
    async with session(cli, "--profile", "bot1", "--services", "trade", "--allow-dangerous") as client:
        result = await client.call_tool("orders_cancel_all", {})
        assert not result.is_error, result.content
        assert payload(result)["count"] == 0


async def test_read_only_profile_never_exposes_destructive_tools(cli):
    cli.add_profile("ro", read_only=True)
    async with session(cli, "--profile", "ro", "--services", "market,account,trade,funding,earn,futures", "--allow-dangerous") as client:
        tools = await tools_of(client)
        assert "orders_list" in tools and "futures_positions" in tools
        assert not [name for name, tool in tools.items() if tool.annotations.destructive_hint]
        result = await client.call_tool("orders_cancel_all", {"acknowledged": True})
        assert result.is_error and payload(result)["error"] == "usage"
        assert "unknown tool" in payload(result)["message"]


async def test_failures_come_back_as_error_envelopes(cli):
    cli.add_profile("bot1")
    async with session(cli, "--profile", "bot1") as client:
        unknown_pair = await client.call_tool("market_ticker", {"pair": ["NOPEUSD"]})
        assert unknown_pair.is_error
        envelope = payload(unknown_pair)
        assert envelope["error"] == "validation" and envelope["kraken_error"].startswith("EQuery:")

        bad_name = await client.call_tool("orders_list", {"bogus": 1})
        assert bad_name.is_error and payload(bad_name)["error"] == "usage" and "bogus" in payload(bad_name)["message"]

        bad_choice = await client.call_tool("orders_closed", {"offset": "many"})
        assert bad_choice.is_error and payload(bad_choice)["error"] == "usage"


def test_unknown_profile_fails_at_start_with_one_line(cli):
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "kraken_ops.cli.commands.mcp", "--profile", "ghost"], capture_output=True, text=True, env=cli.env(), timeout=60, stdin=subprocess.DEVNULL, check=False
    )
    assert result.returncode == 3
    assert result.stdout == ""
    assert "ghost" in result.stderr


# --- the tool catalog is generated from the typer apps (no exchange needed) ----------------------
def test_schemas_come_from_the_cli_parameters():
    tools = {tool.name: tool for tool in build_tools(["trade"])}
    schema = tools["orders_create"].input_schema()
    assert set(schema["required"]) == {"pair", "side", "type", "volume"}
    assert schema["properties"]["type"]["enum"] == [t.value for t in orders_cli.OrderType]
    assert schema["properties"]["oflags"]["type"] == "array"
    assert schema["properties"]["validate"] == {"type": "boolean", "description": "Validate only (Kraken's dry run; nothing is placed).", "default": False}
    after = tools["orders_cancel_after"].input_schema()["properties"]["seconds"]
    assert (after["minimum"], after["maximum"]) == (0, 86399)
    assert not any(name.startswith("_g_") or name in ("profile", "output", "yes") for name in schema["properties"])


def test_every_command_that_takes_yes_is_destructive_and_reads_are_not():
    tools = build_tools(list(SERVICES))
    destructive = {tool.name for tool in tools if tool.destructive}
    assert {"orders_create", "orders_cancel_all", "funding_withdraw", "funding_transfer", "earn_allocate", "earn_deallocate",
            "futures_orders_create", "futures_transfer_wallet", "ws_add_order", "subaccounts_transfer"} <= destructive
    assert not destructive & {"orders_list", "balances", "market_ticker", "funding_deposits", "futures_positions"}
    assert all(tool.takes_yes for tool in tools if tool.destructive and not tool.name.startswith("exchange_"))


def test_tools_map_arguments_back_to_the_command_line():
    tools = {tool.name: tool for tool in build_tools(["trade"])}
    argv = tools["orders_create"].argv({**ORDER, "oflags": ["post", "fciq"], "validate": True})
    assert argv == ["create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000",
                    "--oflags", "post", "--oflags", "fciq", "--validate"]
    assert tools["orders_cancel"].argv({"txid": ["A", "B"]}, ["--yes"]) == ["cancel", "--yes", "--", "A", "B"]
    with pytest.raises(ValueError):
        tools["orders_cancel"].argv({"txids": ["A"]})


def test_tools_are_the_catalog_commands_of_each_service():
    """One source: a command in the catalog under a served prefix is a tool, with the catalog's facts."""
    from kraken_ops.cli import catalog

    specs = {"_".join(c.path).replace("-", "_"): c for c in catalog.build().runnable()}
    tools = build_tools(list(SERVICES))
    for tool in tools:
        spec = specs[tool.name]
        assert tool.destructive == spec.dangerous and tool.read_only == spec.read_only, tool.name
        hidden = set(HIDDEN_PARAMS).union(*(s.hide for s in SERVICES[tool.service] if s.prefix == tool.prefix))
        shown = [p.name for p in spec.params if p.dest not in hidden]
        assert [p.name for p in tool.params] == shown, tool.name
        assert tool.takes_yes == spec.moves_money, tool.name
    served = {name for name, spec in specs.items() if any(tuple(spec.path[: len(s.prefix)]) == s.prefix for ss in SERVICES.values() for s in ss)}
    assert {t.name for t in tools} == served - {"futures_url", "exchange_serve"}
    assert {t.name for t in tools if t.destructive} >= {"exchange_account_remove", "orders_create"}
