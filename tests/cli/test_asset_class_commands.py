"""``--asset-class currency|tokenized_asset|forex`` on the market, orders and funding commands."""

from __future__ import annotations

import json

import pytest


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_market_commands_take_the_asset_class(cli):
    cli.add_profile("paper")
    pairs = _json(cli("--profile", "paper", "-o", "json", "market", "pairs", "--asset-class", "tokenized_asset"))
    assert {"AAPLxUSD", "TSLAxUSD", "NVDAxUSD"} <= set(pairs) and "XXBTZUSD" not in pairs
    assets = _json(cli("--profile", "paper", "-o", "json", "market", "assets", "--asset-class", "forex"))
    assert "ZGBP" in assets
    ticker = _json(cli("--profile", "paper", "-o", "json", "market", "ticker", "AAPLxUSD", "--asset-class", "tokenized_asset"))
    assert "AAPLxUSD" in ticker
    for command in ("ohlc", "book", "trades", "spreads"):
        out = _json(cli("--profile", "paper", "-o", "json", "market", command, "EURUSD", "--asset-class", "forex"))
        assert "ZEURZUSD" in out, command


def test_market_ticker_without_the_class_fails_like_kraken(cli):
    cli.add_profile("paper")
    result = cli("--profile", "paper", "-o", "json", "market", "ticker", "AAPLxUSD")
    assert result.exit_code != 0
    assert json.loads(result.stdout)["kraken_error"] == "EQuery:Unknown asset pair"


def test_asset_class_rejects_unknown_values(cli):
    cli.add_profile("paper")
    result = cli("--profile", "paper", "market", "pairs", "--asset-class", "stocks")
    assert result.exit_code == 2


def test_orders_create_validate_on_an_xstock(cli):
    cli.add_profile("paper")
    base = ("--profile", "paper", "-o", "json", "orders", "create", "--pair", "AAPLxUSD", "--side", "buy", "--type", "limit",
            "--volume", "1", "--price", "100", "--validate")
    missing = cli(*base)
    assert missing.exit_code != 0 and json.loads(missing.stdout)["kraken_error"] == "EQuery:Unknown asset pair"
    ok = _json(cli(*base, "--asset-class", "tokenized_asset"))
    assert ok["descr"]["order"].startswith("buy 1.00000000 AAPLxUSD @ limit 100")


def test_orders_batch_edit_and_amend_on_an_xstock(cli):
    cli.add_profile("paper")
    orders = json.dumps({"pair": "TSLAxUSD", "orders": [
        {"ordertype": "limit", "type": "buy", "volume": "1", "price": "100"},
        {"ordertype": "limit", "type": "buy", "volume": "1", "price": "101"},
    ]})
    placed = _json(cli("--profile", "paper", "-o", "json", "orders", "batch", "--asset-class", "tokenized_asset", "--yes", input=orders))
    txid = placed["orders"][0]["txid"]
    amended = _json(cli("--profile", "paper", "-o", "json", "orders", "amend", txid, "--price", "99", "--pair", "TSLAxUSD",
                        "--asset-class", "tokenized_asset", "--yes"))
    assert "amend_id" in amended
    edited = _json(cli("--profile", "paper", "-o", "json", "orders", "edit", placed["orders"][1]["txid"], "--pair", "TSLAxUSD",
                       "--price", "98", "--asset-class", "tokenized_asset", "--yes"))
    assert edited["status"] == "ok"
    _json(cli("--profile", "paper", "-o", "json", "orders", "cancel-all", "--yes"))


@pytest.mark.parametrize("args", [
    ("deposit-methods", "AAPLx"),
    ("deposit-address", "AAPLx", "AAPLx (SPL)"),
    ("deposits",),
    ("withdraw-methods",),
    ("withdraw-addresses",),
    ("withdrawals",),
])
def test_funding_commands_take_the_asset_class(cli, args):
    cli.add_profile("paper")
    result = cli("--profile", "paper", "-o", "json", "funding", *args, "--asset-class", "tokenized_asset")
    assert result.exit_code == 0, result.stderr
    json.loads(result.stdout)


def test_funding_without_the_class_does_not_know_xstocks(cli):
    cli.add_profile("paper")
    result = cli("--profile", "paper", "-o", "json", "funding", "deposit-methods", "AAPLx")
    assert result.exit_code != 0 and json.loads(result.stdout)["kraken_error"] == "EQuery:Unknown asset"
