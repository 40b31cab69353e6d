"""``orders create --leverage``/``--reduce-only``/trailing stops, ``positions`` and ``positions close``."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from kraken_ops.cli import safety
from kraken_ops.cli.commands.positions import CloseOptions, plan_close, position_rows

OPEN = ("orders", "create", "--pair", "XBTUSD", "--type", "market")


def _open(cli, profile: str, side: str = "buy", volume: str = "0.01", leverage: str = "2") -> str:
    result = cli(*OPEN, "--side", side, "--volume", volume, "--leverage", leverage, "-p", profile, "--json", "--yes")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["txid"][0]


def _positions(cli, profile: str) -> dict:
    result = cli("positions", "-p", profile, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout, parse_float=Decimal)


def test_orders_create_with_leverage_opens_a_position_that_positions_lists(cli):
    cli.add_profile("bot1")
    txid = _open(cli, "bot1", volume="0.02", leverage="3")
    positions = _positions(cli, "bot1")
    assert positions and all(p["ordertxid"] == txid for p in positions.values())
    assert all("net" in p and "value" in p for p in positions.values())  # docalcs by default
    bare = json.loads(cli("positions", "--no-calcs", "-p", "bot1", "--json").stdout)
    assert all("net" not in p for p in bare.values())
    grouped = json.loads(cli("positions", "--consolidation", "market", "-p", "bot1", "--json").stdout)
    assert [(g["pair"], g["type"], g["vol"]) for g in grouped] == [("XXBTZUSD", "buy", "0.02000000")]
    one = next(iter(positions))
    assert list(json.loads(cli("positions", "--txid", one, "-p", "bot1", "--json").stdout)) == [one]


def test_the_positions_table_shows_pair_side_volume_cost_value_and_pnl(cli):
    cli.add_profile("bot1")
    _open(cli, "bot1", side="sell", volume="0.01")
    result = cli("positions", "-p", "bot1", "-o", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:7] == ["pair", "side", "volume", "cost", "value", "pnl", "position"]
    assert {r["side"] for r in rows} == {"short"} and sum(Decimal(r["volume"]) for r in rows) == Decimal("0.01")
    table = cli("positions", "-p", "bot1", "-o", "table")
    assert table.exit_code == 0 and "short" in table.stdout
    assert table.stdout.splitlines()[0].split()[:6] == ["pair", "side", "volume", "cost", "value", "P&L"]
    assert max(len(line) for line in table.stdout.splitlines()) <= 80


def test_positions_close_by_pair_name_uses_a_reduce_only_market_order(cli):
    cli.add_profile("bot1")
    _open(cli, "bot1", volume="0.02")
    result = cli("positions", "close", "BTC/USD", "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    [order] = json.loads(result.stdout)["orders"]
    assert order["side"] == "sell" and order["volume"] == "0.02000000" and order["descr"].startswith("sell 0.02000000")
    assert _positions(cli, "bot1") == {}
    shown = json.loads(cli("orders", "show", order["txid"], "-p", "bot1", "--json").stdout)[order["txid"]]
    assert shown["reduce_only"] is True and shown["status"] == "closed"


def test_positions_close_settle_pays_back_the_loan_and_keeps_the_asset(cli):
    account = cli.add_profile("bot1", cli.account({"ZUSD": "10000"}))
    txid = _open(cli, "bot1", volume="0.01")
    result = cli("positions", "close", txid, "--how", "settle", "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    assert "settle position" in json.loads(result.stdout)["orders"][0]["descr"]
    assert _positions(cli, "bot1") == {}
    balances = json.loads(cli("balances", "-p", "bot1", "--json").stdout)
    assert Decimal(balances["XXBT"]) == Decimal("0.01") and account.name


def test_positions_close_moves_money_so_it_confirms_on_production(cli, monkeypatch):
    cli.add_profile("prod", confirm=True)
    _open(cli, "prod", volume="0.01")
    result = cli("positions", "close", "XBTUSD", "-p", "prod")
    assert result.exit_code == 2 and "--yes" in result.stderr
    monkeypatch.setattr(safety, "stdin_is_tty", lambda: True)
    refused = cli("positions", "close", "XBTUSD", "-p", "prod", input="n\n")
    assert refused.exit_code == 2 and "About to close with a reduce-only market sell of 0.01" in refused.stderr
    assert _positions(cli, "prod")  # nothing was sent
    done = cli("positions", "close", "XBTUSD", "-p", "prod", "--yes", "--json")
    assert done.exit_code == 0, done.stderr and _positions(cli, "prod") == {}


def test_positions_close_of_nothing_is_the_accounts_answer_not_a_usage_error(cli):
    """Like Kraken's answer to an unknown order id (exit 1): the command line was right."""
    cli.add_profile("bot1")
    result = cli("positions", "close", "TAAAAA-BBBBB-CCCCCC", "-p", "bot1")
    assert result.exit_code == 1
    assert "no open position matches TAAAAA-BBBBB-CCCCCC" in result.stderr and "Traceback" not in result.stderr


def test_orders_create_reduce_only_and_trailing_stops(cli):
    cli.add_profile("bot1")
    refused = cli(*OPEN, "--side", "sell", "--volume", "0.01", "--reduce-only", "-p", "bot1")
    assert refused.exit_code == 10 and "EOrder:Reduce only:No position exists" in refused.stderr  # validation
    trailing = cli("orders", "create", "--pair", "XBTUSD", "--side", "sell", "--type", "trailing-stop-limit",
                   "--volume", "0.01", "--price", "+1.5%", "--price2", "-50", "--trigger", "index", "--validate",
                   "-p", "bot1", "--json")
    assert trailing.exit_code == 0, trailing.stderr
    assert json.loads(trailing.stdout)["descr"]["order"] == \
        "sell 0.01000000 XBTUSD @ trailing stop +1.5000% -> limit -50.0"


def test_plan_close_groups_by_pair_and_side_and_caps_the_volume():
    positions = {
        "T1": {"ordertxid": "O1", "pair": "XXBTZUSD", "type": "buy", "vol": "0.5", "vol_closed": "0.1", "cost": "30000",
               "margin": "10000"},
        "T2": {"ordertxid": "O2", "pair": "XXBTZUSD", "type": "buy", "vol": "0.2", "vol_closed": "0", "cost": "12000",
               "margin": "6000"},
        "T3": {"ordertxid": "O3", "pair": "XETHZUSD", "type": "sell", "vol": "2", "vol_closed": "0", "cost": "6000",
               "margin": "1200"},
    }
    orders = plan_close(positions, CloseOptions(targets=["XBTUSD", "o3"]), {"XXBTZUSD": {"XBTUSD", "BTC/USD"}})
    assert [(o.pair, o.side, o.volume, o.positions) for o in orders] == [
        ("XXBTZUSD", "sell", Decimal("0.6"), ["T1", "T2"]), ("XETHZUSD", "buy", Decimal("2"), ["T3"])]
    assert orders[0].leverage == "3" and orders[1].leverage == "5"
    capped = plan_close(positions, CloseOptions(targets=["T3"], volume="0.5"))
    assert capped[0].volume == Decimal("0.5")
    rows = position_rows(positions)
    assert rows[0]["position"] == "T1" and rows[0]["side"] == "long" and rows[0]["volume"] == "0.4"


def test_positions_close_moves_money_in_the_catalog_and_is_a_destructive_mcp_tool():
    """The catalog (the one source of the MCP tools) marks `positions close` as moving money;
    the account service serves the list, the trade service the close."""
    from kraken_ops.cli import catalog
    from kraken_ops.mcp.catalog import build_tools

    cat = catalog.build()
    close, listing = cat.get("positions close"), cat.get("positions")
    assert (close.moves_money, close.dangerous, close.read_only) == (True, True, False)
    assert (listing.moves_money, listing.dangerous, listing.read_only) == (False, False, True)
    account = {t.name: t for t in build_tools(["account"])}
    trade = {t.name: t for t in build_tools(["trade"])}
    assert "positions" in account and "positions_close" not in account
    assert trade["positions_close"].destructive and trade["positions_close"].takes_yes
    assert "acknowledged" in trade["positions_close"].input_schema()["properties"]
    assert "positions" not in trade
