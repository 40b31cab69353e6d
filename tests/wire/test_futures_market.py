"""Wire tests for kraken_ops.futures Market / AsyncMarket against a verifying loopback server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from futures_recorder import FLAVOURS, Case, endpoint_methods, futures_wire, invoke, make_client, run_case, server  # noqa: F401

from kraken_ops.futures.market import AsyncMarket, Market, _MarketEndpoints

CLASSES = {"sync": Market, "async": AsyncMarket}
TOKEN = "MTY4MDg2Nzg2ODkxOS85MDY0OTcwMTAxNA=="
PAGING = {"before": 1680875000000, "continuation_token": TOKEN, "since": 1680874000000, "sort": "asc", "count": 100}
PAGING_WIRE = [("before", "1680875000000"), ("continuation_token", TOKEN), ("since", "1680874000000"), ("sort", "asc"), ("count", "100")]

CASES = [
    Case(
        "get_ohlc",
        {"tick_type": "trade", "symbol": "PI_XBTUSD", "resolution": "1h", "from_": 1668989233, "to": 1668999999},
        "GET",
        "/api/charts/v1/trade/PI_XBTUSD/1h",
        query=[("from", "1668989233"), ("to", "1668999999")],
    ),
    Case("get_ohlc", {"tick_type": "mark", "symbol": "PF_XBTUSD", "resolution": "1d"}, "GET", "/api/charts/v1/mark/PF_XBTUSD/1d", name="get_ohlc-no-range"),
    Case("get_tick_types", {}, "GET", "/api/charts/v1/"),
    Case("get_tradeable_products", {"tick_type": "mark"}, "GET", "/api/charts/v1/mark"),
    Case("get_resolutions", {"tick_type": "mark", "tradeable": "PI_XBTUSD"}, "GET", "/api/charts/v1/mark/PI_XBTUSD"),
    Case("get_fee_schedules", {}, "GET", "/derivatives/api/v3/feeschedules"),
    Case("get_fee_schedules_vol", {}, "GET", "/derivatives/api/v3/feeschedules/volumes", auth=True),
    Case("get_orderbook", {"symbol": "PI_XBTUSD"}, "GET", "/derivatives/api/v3/orderbook", query=[("symbol", "PI_XBTUSD")]),
    Case("get_tickers", {}, "GET", "/derivatives/api/v3/tickers"),
    Case("get_tickers", {"extra_params": {"contractType": "perpetual"}}, "GET", "/derivatives/api/v3/tickers", query=[("contractType", "perpetual")], name="get_tickers-extra_params"),
    Case("get_instruments", {}, "GET", "/derivatives/api/v3/instruments"),
    Case("get_ticker", {"symbol": "PF_XBTUSD"}, "GET", "/derivatives/api/v3/tickers/PF_XBTUSD"),
    Case("get_trading_instruments", {}, "GET", "/derivatives/api/v3/trading/instruments", auth=True),
    Case(
        "get_trading_instruments",
        {"contractType": ["futures_inverse", "flexible_futures"]},
        "GET",
        "/derivatives/api/v3/trading/instruments",
        query=[("contractType", "futures_inverse"), ("contractType", "flexible_futures")],
        raw_query="contractType=futures_inverse&contractType=flexible_futures",
        auth=True,
        name="get_trading_instruments-types",
    ),
    Case(
        "get_trading_instruments",
        {"contractType": "futures_vanilla"},
        "GET",
        "/derivatives/api/v3/trading/instruments",
        query=[("contractType", "futures_vanilla")],
        auth=True,
        name="get_trading_instruments-one-type",
    ),
    Case("get_instruments_status", {}, "GET", "/derivatives/api/v3/instruments/status"),
    Case("get_instruments_status", {"instrument": "PI_XBTUSD"}, "GET", "/derivatives/api/v3/instruments/PI_XBTUSD/status", name="get_instruments_status-one"),
    Case(
        "get_trade_history",
        {"symbol": "PI_XBTUSD", "lastTime": "2023-04-04T05:28:27.926Z"},
        "GET",
        "/derivatives/api/v3/history",
        query=[("symbol", "PI_XBTUSD"), ("lastTime", "2023-04-04T05:28:27.926Z")],
        raw_query="symbol=PI_XBTUSD&lastTime=2023-04-04T05%3A28%3A27.926Z",
    ),
    Case("get_historical_funding_rates", {"symbol": "PI_XBTUSD"}, "GET", "/derivatives/api/v4/historicalfundingrates", query=[("symbol", "PI_XBTUSD")]),
    Case("get_leverage_preference", {}, "GET", "/derivatives/api/v3/leveragepreferences", auth=True),
    Case(
        "set_leverage_preference",
        {"symbol": "PF_XBTUSD", "maxLeverage": Decimal("2.50")},
        "PUT",
        "/derivatives/api/v3/leveragepreferences",
        query=[("symbol", "PF_XBTUSD"), ("maxLeverage", "2.50")],
        auth=True,
    ),
    Case(
        "set_leverage_preference",
        {"symbol": "PF_XBTUSD"},
        "PUT",
        "/derivatives/api/v3/leveragepreferences",
        query=[("symbol", "PF_XBTUSD")],
        auth=True,
        name="set_leverage_preference-cross",
    ),
    Case("get_pnl_preference", {}, "GET", "/derivatives/api/v3/pnlpreferences", auth=True),
    Case(
        "set_pnl_preference",
        {"symbol": "PF_XBTUSD", "pnlPreference": "USD"},
        "PUT",
        "/derivatives/api/v3/pnlpreferences",
        query=[("symbol", "PF_XBTUSD"), ("pnlPreference", "USD")],
        auth=True,
    ),
    Case("get_public_execution_events", {"tradeable": "PI_XBTUSD", **PAGING}, "GET", "/api/history/v2/market/PI_XBTUSD/executions", query=PAGING_WIRE),
    Case("get_public_order_events", {"tradeable": "PI_XBTUSD", **PAGING}, "GET", "/api/history/v2/market/PI_XBTUSD/orders", query=PAGING_WIRE),
    Case("get_public_mark_price_events", {"tradeable": "PI_XBTUSD", **PAGING}, "GET", "/api/history/v2/market/PI_XBTUSD/price", query=PAGING_WIRE),
    Case("get_public_order_events", {"tradeable": "PF_SOLUSD"}, "GET", "/api/history/v2/market/PF_SOLUSD/orders", name="get_public_order_events-bare"),
]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_market_endpoint_sends_what_kraken_expects(flavour, case, server):
    run_case(CLASSES, flavour, server, case)


def test_every_market_endpoint_has_a_wire_case():
    assert endpoint_methods(_MarketEndpoints) == {c.method for c in CASES}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_public_history_positional_arguments_follow_the_reference_order(flavour, server):
    invoke(CLASSES[flavour], server, "get_public_execution_events", "PI_XBTUSD", 2, "tok", 1, "desc")
    assert server.last.query_params == {"before": "2", "continuation_token": "tok", "since": "1", "sort": "desc"}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_symbol_cannot_change_the_path_shape(flavour, server):
    invoke(CLASSES[flavour], server, "get_instruments_status", instrument="PI/XBT?x=1")
    assert server.last.path == "/derivatives/api/v3/instruments/PI%2FXBT%3Fx%3D1/status"
    assert server.last.query == ""


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_chart_lists_are_cached_per_client_until_cache_clear(flavour, server):
    server.respond(["mark", "spot", "trade"], path="/api/charts/v1/")
    client = make_client(CLASSES[flavour], server)
    if flavour == "sync":
        assert client.get_tick_types() == ["mark", "spot", "trade"]
        assert client.get_tick_types() == ["mark", "spot", "trade"]
        assert len(server.requests) == 1
        client.get_tick_types.cache_clear()
        client.get_tick_types()
        client.close()
    else:
        import asyncio

        async def run() -> None:
            async with client:
                assert await client.get_tick_types() == ["mark", "spot", "trade"]
                assert await client.get_tick_types() == ["mark", "spot", "trade"]
                assert len(server.requests) == 1
                client.get_tick_types.cache_clear()
                await client.get_tick_types()

        asyncio.run(run())
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tick_type": "last", "symbol": "PI_XBTUSD", "resolution": "1h"}, "tick_type"),
        ({"tick_type": "trade", "symbol": "PI_XBTUSD", "resolution": "2h"}, "resolution"),
    ],
)
def test_get_ohlc_rejects_unknown_tick_types_and_resolutions_before_sending(kwargs, message, server):
    with pytest.raises(ValueError, match=message):
        invoke(Market, server, "get_ohlc", **kwargs)
    assert server.requests == []


def test_decimal_numbers_in_the_answer_stay_exact(server):
    server.respond({"result": "success", "rates": [{"fundingRate": 1.0327058177e-08, "relativeFundingRate": 7.182407e-05}]})
    rates = invoke(Market, server, "get_historical_funding_rates", symbol="PI_XBTUSD")["rates"][0]
    assert rates["fundingRate"] == Decimal("1.0327058177e-08")
