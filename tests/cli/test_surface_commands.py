"""Issue 14's commands against the local exchange, in each output format; their bad paths;
their MCP tools; and the table of Kraken's official CLI commands in docs/cli.md."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

FORMATS = ["json", "ndjson", "csv", "table"]

# (command line, key a JSON result must have, or None)
COMMANDS = [
    (["market", "book", "BTC/USD", "--grouping", "100"], "grouping"),
    (["market", "book", "XBTUSD", "--grouping", "1000", "--depth", "25"], "bids"),
    (["market", "book-l3", "BTC/USD", "--depth", "10"], "bids"),
    (["market", "book-l3", "XBTUSD", "--depth", "0"], "asks"),
    (["balances", "credit-lines"], None),
    (["balances", "credit-lines", "--rebase-multiplier", "base"], None),
    (["balances", "--rebase-multiplier", "base"], "ZUSD"),
    (["balances", "--holds", "--rebase-multiplier", "rebased"], "ZUSD"),
    (["balances", "show", "USD", "--rebase-multiplier", "base"], "available_balance"),
    (["trade-balance", "--rebase-multiplier", "base"], "eb"),
    (["futures", "market", "ticker", "PF_XBTUSD"], "ticker"),
    (["futures", "market", "instrument-status"], "instrumentStatus"),
    (["futures", "market", "instrument-status", "PF_XBTUSD"], "tradeable"),
    (["futures", "market", "trading-instruments"], "instruments"),
    (["futures", "market", "trading-instruments", "--contract-type", "futures_inverse", "--contract-type", "flexible_futures"], "instruments"),
    (["futures", "transfers"], "transfers"),
    (["futures", "unwind-queue"], "queue"),
    (["futures", "assignment-programs"], "participants"),
    (["futures", "subaccounts"], "subaccounts"),
]


def _check_format(fmt: str, stdout: str, key: str | None) -> None:
    if fmt == "json":
        data = json.loads(stdout, parse_float=Decimal)
        if key:
            assert key in data
    elif fmt == "ndjson":
        for line in stdout.splitlines():
            json.loads(line)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(stdout)))
        assert len({len(r) for r in rows if r}) <= 1
    else:
        assert stdout.strip()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("args,key", COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_new_command_in_each_format(cli, args, key, fmt):
    cli.add_profile("bot1")
    result = cli(*args, "--profile", "bot1", "-o", fmt)
    assert result.exit_code == 0, result.stderr
    _check_format(fmt, result.stdout, key)


def test_book_l3_lists_my_resting_order_by_id(cli):
    account = cli.add_profile("bot1")
    book = json.loads(cli("market", "book", "XBTUSD", "--count", "1", "-p", "bot1", "--json").stdout)
    # far below the market: the simulated market moves while the suite runs, and an order
    # $40 below the best bid was filled now and then before book-l3 could list it
    price = str((Decimal(book["XXBTZUSD"]["bids"][0][0]) * Decimal("0.8")).quantize(Decimal("0.1")))
    created = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.002", "--price", price, "-p", "bot1", "--json")
    assert created.exit_code == 0, created.stderr
    txid = json.loads(created.stdout)["txid"][0]
    rows = [json.loads(line) for line in cli("market", "book-l3", "XBTUSD", "--depth", "0", "-p", "bot1", "-o", "ndjson").stdout.splitlines()]
    mine = [r for r in rows if r["order_id"] == txid]
    assert mine and mine[0]["side"] == "bid" and mine[0]["qty"] == "0.00200000"
    assert cli("orders", "cancel", txid, "-p", "bot1", "--json").exit_code == 0
    rows = cli("market", "book-l3", "XBTUSD", "--depth", "0", "-p", "bot1", "-o", "csv").stdout
    assert txid not in rows and account.name


def test_grouped_book_table_has_one_row_per_group(cli):
    cli.add_profile("paper")
    data = json.loads(cli("market", "book", "BTC/USD", "--grouping", "100", "--depth", "10", "-p", "paper", "--json").stdout)
    assert len(data["bids"]) == len(data["asks"]) == 10
    rows = list(csv.DictReader(io.StringIO(cli("market", "book", "BTC/USD", "--grouping", "100", "-p", "paper", "-o", "csv").stdout)))
    assert [r["side"] for r in rows] == ["ask"] * 10 + ["bid"] * 10


@pytest.mark.parametrize(
    "args",
    [
        ["market", "book", "XBTUSD", "--grouping", "3"],
        ["market", "book", "XBTUSD", "--grouping", "10", "--count", "7"],
        ["market", "book-l3", "XBTUSD", "--depth", "7"],
        ["stream", "level3", "BTC/USD", "--depth", "25"],
        ["futures", "market", "trading-instruments", "--contract-type", "swaps"],
        ["futures", "subaccounts", "trading-enabled", "x", "--set", "maybe"],
    ],
)
def test_bad_values_are_one_line_and_exit_2(cli, args):
    cli.add_profile("bot1")
    result = cli(*args, "-p", "bot1")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def _subaccount(cli, master):
    sub = f"{master.name}sub"
    cli.exchange.db.add_account(sub, parent=master.name)
    from kraken_ops.exchange.futures.engine import account_uid

    return account_uid(sub)


def test_subaccount_trading_switch_reads_and_sets(cli):
    master = cli.add_profile("boss")
    uid = _subaccount(cli, master)
    listed = json.loads(cli("futures", "subaccounts", "-p", "boss", "--json").stdout)
    assert [s["accountUid"] for s in listed["subaccounts"]] == [uid]
    shown = cli("futures", "subaccounts", "trading-enabled", uid, "-p", "boss", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["tradingEnabled"] is True
    switched = cli("futures", "subaccounts", "trading-enabled", uid, "--set", "false", "-p", "boss", "--json")
    assert switched.exit_code == 0, switched.stderr
    assert json.loads(switched.stdout)["tradingEnabled"] is False
    table = cli("futures", "subaccounts", "trading-enabled", uid, "-p", "boss", "-o", "table")
    assert "tradingEnabled  no" in table.stdout  # tables say yes/no; JSON keeps false
    assert cli("futures", "subaccounts", "trading-enabled", "nobody", "-p", "boss", "--json").exit_code == 1


def test_subaccount_trading_switch_moves_only_on_purpose(cli):
    master = cli.add_profile("guarded", confirm=True)
    uid = _subaccount(cli, master)
    refused = cli("futures", "subaccounts", "trading-enabled", uid, "--set", "false", "-p", "guarded")
    assert refused.exit_code == 2 and "needs confirmation" in refused.stderr
    assert json.loads(cli("futures", "subaccounts", "trading-enabled", uid, "-p", "guarded", "--json").stdout)["tradingEnabled"] is True
    assert cli("futures", "subaccounts", "trading-enabled", uid, "--set", "false", "-p", "guarded", "--yes", "--json").exit_code == 0

    reader = cli.add_profile("reader", master, read_only=True)
    assert reader is master
    assert cli("futures", "subaccounts", "trading-enabled", uid, "--set", "true", "-p", "reader", "--yes").exit_code == 3
    assert cli("futures", "subaccounts", "trading-enabled", uid, "-p", "reader", "--json").exit_code == 0


def test_futures_transfers_lists_a_wallet_transfer(cli):
    cli.add_profile("bot1")
    assert cli("funding", "transfer", "ZUSD", "25", "-p", "bot1", "--json").exit_code == 0
    assert cli("futures", "transfer", "wallet", "5", "USD", "--from", "flex", "--to", "cash", "-p", "bot1", "--json").exit_code == 0
    rows = list(csv.DictReader(io.StringIO(cli("futures", "transfers", "-p", "bot1", "-o", "csv").stdout)))
    assert [(r["from"], r["to"], r["amount"]) for r in rows] == [("flex", "cash", "5"), ("spot", "flex", "25")]


def test_stream_level3_prints_the_snapshot_and_checks_it(cli):
    cli.add_profile("bot1")
    result = cli("stream", "level3", "BTC/USD", "--depth", "10", "--count", "2", "-p", "bot1")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line, parse_float=Decimal) for line in result.stdout.splitlines()]
    assert lines[0]["channel"] == "level3" and lines[0]["type"] == "snapshot"
    assert "checksum_mismatch" not in result.stderr

    from kraken_ops.spot.level3 import Level3Book

    book = Level3Book("BTC/USD", 10, 1, 8)
    assert book.apply(lines[0]["data"][0], snapshot=True) is True


def test_stream_level3_needs_a_profile(cli):
    result = cli("stream", "level3", "BTC/USD", "--count", "1")
    assert result.exit_code == 3 and "Traceback" not in result.stderr


# ------------------------------------------------------------------ MCP
def test_new_commands_are_mcp_tools_with_the_right_danger_flags():
    from kraken_ops.mcp.catalog import SERVICES, build_tools

    tools = {t.name: t for t in build_tools(list(SERVICES))}
    safe = ["market_book", "market_book_l3", "balances_credit_lines", "futures_market_ticker", "futures_market_instrument_status",
            "futures_market_trading_instruments", "futures_transfers", "futures_unwind_queue", "futures_assignment_programs",
            "futures_subaccounts"]
    for name in safe:
        assert name in tools and not tools[name].destructive, name
    assert "grouping" in {p.name for p in tools["market_book"].params}
    assert "rebase_multiplier" in {p.name for p in tools["balances"].params}
    switch = tools["futures_subaccounts_trading_enabled"]
    assert switch.destructive and switch.takes_yes
    assert switch.input_schema()["properties"]["set"]["enum"] == ["true", "false"]


# ------------------------------------------------------------------ Kraken's official CLI, mapped
def _command_paths() -> set[tuple[str, ...]]:
    from kraken_ops.cli.app import build_all
    from typer._click.core import Context

    found: set[tuple[str, ...]] = set()

    def walk(command, path, parent=None):
        ctx = Context(command, info_name=path[-1] if path else "kraken-ops", parent=parent)
        found.add(tuple(path))
        for name in getattr(command, "list_commands", lambda c: [])(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                walk(sub, [*path, name], ctx)

    walk(build_all(), [])
    return found


def test_every_kraken_cli_command_maps_to_an_existing_kraken_ops_command():
    from kraken_ops.cli.kraken_cli_map import MAPPINGS

    paths = _command_paths()
    kraken = [m.kraken for m in MAPPINGS]
    assert len(kraken) == len(set(kraken)) == 152  # every entry of kraken-cli's catalog, once
    missing = [m for m in MAPPINGS if m.path not in paths]
    assert not missing, missing
    # issue 14's commands are the equivalents of the ones python-kraken-sdk never reached
    targets = {m.kraken: m.path for m in MAPPINGS}
    assert targets["kraken orderbook-l3 <PAIR>"] == ("market", "book-l3")
    assert targets["kraken ws level3 <PAIR...>"] == ("stream", "level3")
    assert targets["kraken futures set-subaccount-status <UID> <ENABLED>"] == ("futures", "subaccounts", "trading-enabled")


def test_the_mapping_points_at_the_fleet_setup_and_shell_commands():
    """kraken-cli's cancel-all/cancel-after on one account lead to the fleet commands (issue 13);
    `kraken setup` and `kraken shell` have their own kraken-ops commands now (issue 12)."""
    from kraken_ops.cli.kraken_cli_map import MAPPINGS

    rows = {m.kraken: m for m in MAPPINGS}
    assert rows["kraken setup"].path == ("setup",) and rows["kraken shell"].path == ("shell",)
    assert "`deadman`" in rows["kraken order cancel-after <SECONDS>"].note
    assert "`panic`" in rows["kraken order cancel-all"].note and "--group" in rows["kraken futures cancel-all"].note


def test_docs_cli_md_carries_the_mapping_table():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    assert "## Kraken CLI command -> kraken-ops command" in text
    assert "| `kraken orderbook-grouped <PAIR>` | `kraken-ops market book PAIR --grouping N --depth N` |" in text


def test_grouped_book_of_an_xstock_names_its_asset_class(cli):
    cli.add_profile("paper")
    assert cli("market", "book", "AAPLxUSD", "--grouping", "10", "-p", "paper", "--json").exit_code == 10  # unknown pair
    result = cli("market", "book", "AAPLxUSD", "--grouping", "10", "--asset-class", "tokenized_asset", "-p", "paper", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["grouping"] == 10
