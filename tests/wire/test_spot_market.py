"""Spot Market on the wire: every method, sync and async, public GET with query parameters."""

from __future__ import annotations

import pytest
from wirecheck import JSON, QUERY, Row, assert_rows_cover, check_row

from kraken_ops.spot import Market

P = "/0/public/"

ROWS = [
    Row("get_system_status", {}, "GET", P + "SystemStatus", {}, QUERY, result={"status": "online", "timestamp": "2023-04-05T17:12:31Z"}),
    Row("get_server_time", {}, "GET", P + "Time", {}, QUERY),
    Row("get_assets", {}, "GET", P + "Assets", {}, QUERY),
    Row("get_assets", {"assets": ["DOT", "XBT"], "aclass": "currency"}, "GET", P + "Assets", {"asset": "DOT,XBT", "aclass": "currency"}, QUERY),
    Row("get_asset_pairs", {}, "GET", P + "AssetPairs", {}, QUERY),
    Row(
        "get_asset_pairs",
        {"pair": ["XBTUSD", "DOTEUR"], "info": "fees", "aclass_base": "tokenized_asset", "country_code": "US:TX"},
        "GET",
        P + "AssetPairs",
        {"pair": "XBTUSD,DOTEUR", "info": "fees", "aclass_base": "tokenized_asset", "country_code": "US:TX"},
        QUERY,
    ),
    Row("get_ticker", {}, "GET", P + "Ticker", {}, QUERY),
    Row("get_ticker", {"pair": "XBTUSD"}, "GET", P + "Ticker", {"pair": "XBTUSD"}, QUERY),
    Row(
        "get_ticker",
        {"pair": ["AAPLxUSD", "TSLAxUSD"], "asset_class": "tokenized_asset"},
        "GET",
        P + "Ticker",
        {"pair": "AAPLxUSD,TSLAxUSD", "asset_class": "tokenized_asset"},
        QUERY,
    ),
    Row("get_ohlc", {"pair": "XBTUSD"}, "GET", P + "OHLC", {"pair": "XBTUSD", "interval": "1"}, QUERY),
    Row(
        "get_ohlc",
        {"pair": "AAPLxUSD", "interval": 60, "since": 1680671100, "asset_class": "tokenized_asset"},
        "GET",
        P + "OHLC",
        {"pair": "AAPLxUSD", "interval": "60", "since": "1680671100", "asset_class": "tokenized_asset"},
        QUERY,
    ),
    Row("get_ohlcv", {"pair": "XBTUSD", "interval": "5"}, "GET", P + "OHLC", {"pair": "XBTUSD", "interval": "5"}, QUERY),
    Row("get_order_book", {"pair": "XBTUSD"}, "GET", P + "Depth", {"pair": "XBTUSD", "count": "100"}, QUERY),
    Row(
        "get_order_book",
        {"pair": "XBTUSD", "count": 2, "asset_class": "tokenized_asset"},
        "GET",
        P + "Depth",
        {"pair": "XBTUSD", "count": "2", "asset_class": "tokenized_asset"},
        QUERY,
    ),
    Row("get_grouped_order_book", {"pair": "BTC/USD"}, "GET", P + "GroupedBook", {"pair": "BTC/USD"}, QUERY),
    Row(
        "get_grouped_order_book",
        {"pair": "BTC/USD", "depth": 25, "grouping": 1000},
        "GET",
        P + "GroupedBook",
        {"pair": "BTC/USD", "depth": "25", "grouping": "1000"},
        QUERY,
        result={"pair": "BTC/USD", "grouping": 1000, "bids": [{"price": "90400.00000", "qty": "19.83057746"}], "asks": []},
    ),
    # Level3 is private and Kraken wants it as a signed JSON body
    Row("get_level3_order_book", {"pair": "BTC/USD"}, "POST", "/0/private/Level3", {"pair": "BTC/USD"}, JSON),
    Row(
        "get_level3_order_book",
        {"pair": "BTC/USD", "depth": 10},
        "POST",
        "/0/private/Level3",
        {"pair": "BTC/USD", "depth": 10},
        JSON,
        result={"pair": "BTC/USD", "bids": [{"price": "90509.00000", "qty": "0.04902300", "order_id": "ONLALL-67PF5-3CAQCL", "timestamp": 1765628335242269554}], "asks": []},
    ),
    Row("get_recent_trades", {"pair": "XBTUSD"}, "GET", P + "Trades", {"pair": "XBTUSD"}, QUERY),
    Row(
        "get_recent_trades",
        {"pair": "XBTUSD", "since": "1688671969993150842", "count": 10, "asset_class": "tokenized_asset"},
        "GET",
        P + "Trades",
        {"pair": "XBTUSD", "since": "1688671969993150842", "count": "10", "asset_class": "tokenized_asset"},
        QUERY,
    ),
    Row("get_recent_spreads", {"pair": "XBTUSD"}, "GET", P + "Spread", {"pair": "XBTUSD"}, QUERY),
    Row(
        "get_recent_spreads",
        {"pair": "XBTUSD", "since": 1680714601, "asset_class": "tokenized_asset"},
        "GET",
        P + "Spread",
        {"pair": "XBTUSD", "since": "1680714601", "asset_class": "tokenized_asset"},
        QUERY,
    ),
    Row(
        "get_ticker",
        {"pair": "XBTUSD", "extra_params": {"assetVersion": 1}},
        "GET",
        P + "Ticker",
        {"pair": "XBTUSD", "assetVersion": "1"},
        QUERY,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_market_request_on_the_wire(invoke, server, row: Row) -> None:
    result = check_row(invoke, server, "Market", row)
    assert result == row.result


def test_every_market_method_has_a_wire_row() -> None:
    assert_rows_cover(Market, ROWS)


def test_positional_arguments_follow_the_reference_order(invoke, server) -> None:
    server.respond_result({})
    invoke("Market", "get_ohlc", "XBTUSD", 15, 1680671100)
    assert server.last.query_params == {"pair": "XBTUSD", "interval": "15", "since": "1680671100"}
