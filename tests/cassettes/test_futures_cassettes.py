"""Replay Kraken Futures' documented example responses through the SDK (vcrpy, record_mode="none").

The cassettes under ``cassettes/futures_*`` hold, as response bodies, the example responses
of the reference documentation (python-kraken-sdk, chapter "FUTURES REST CLIENTS"). Each
test replays one through the sync and the async client and checks what the SDK makes of
Kraken's real shapes: exact numbers (Decimal, never float), lists and nested events, and
the order outcomes that must raise. The request side is matched on method, URL, query and
form body, so a cassette also pins what the SDK sends.
"""

from __future__ import annotations

import asyncio
import base64
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import vcr

from kraken_ops import exceptions as exc
from kraken_ops.futures import AsyncFunding, AsyncMarket, AsyncTrade, AsyncUser, Funding, Market, Trade, User

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
SECRET = base64.b64encode(b"cassette replay secret, not a real key").decode()

# Shared settings (the same filters a recording must apply): never store keys, signatures or nonces.
futures_vcr = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["API-Key", "API-Sign", "APIKey", "Authent", "Nonce"],
    filter_post_data_parameters=["nonce", "cliOrdId"],  # the client order id the SDK gives an order is new each run
    filter_query_parameters=["nonce"],
    match_on=["method", "scheme", "host", "port", "path", "query", "body"],
    decode_compressed_response=True,
)

PAIRS = {"Market": (Market, AsyncMarket), "User": (User, AsyncUser), "Trade": (Trade, AsyncTrade), "Funding": (Funding, AsyncFunding)}
FLAVOURS = ("sync", "async")


def replay(cassette: str, group: str, flavour: str, method: str, /, *args: Any, match_on: tuple[str, ...] | None = None, **kwargs: Any) -> Any:
    """Call ``method`` on a fresh client while ``cassette`` answers; a successful call must use every interaction."""
    cls = PAIRS[group][0 if flavour == "sync" else 1]
    client = cls(key="cassette-key", secret=SECRET, rate_limit=False)
    options = {"match_on": match_on} if match_on else {}
    with futures_vcr.use_cassette(cassette, **options) as cass:
        if flavour == "sync":
            with client:
                result = getattr(client, method)(*args, **kwargs)
        else:

            async def run() -> Any:
                async with client:
                    return await getattr(client, method)(*args, **kwargs)

            result = asyncio.run(run())
        assert cass.all_played, f"{cassette}: not every interaction was replayed"
    return result


# --- market ---------------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_tickers_keep_exact_numbers(flavour):
    ticker = replay("futures_market/get_tickers.yaml", "Market", flavour, "get_tickers")["tickers"][0]
    assert ticker["symbol"] == "pf_compusd" and ticker["suspended"] is False
    assert ticker["fundingRate"] == Decimal("0.000220714078888884")
    assert isinstance(ticker["markPrice"], Decimal)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_orderbook_levels_are_price_size_pairs(flavour):
    book = replay("futures_market/get_orderbook.yaml", "Market", flavour, "get_orderbook", symbol="PI_XBTUSD")["orderBook"]
    assert book["bids"][0] == [27909, 3000] and book["asks"][0] == [27915, 4200]
    assert book["bids"][1][0] == Decimal("27908.5")
    assert all(a[0] > b[0] for a, b in zip(book["asks"], book["bids"]))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_ohlc_candles_stay_strings(flavour):
    answer = replay("futures_market/get_ohlc.yaml", "Market", flavour, "get_ohlc", tick_type="trade", symbol="PI_XBTUSD", resolution="1h")
    assert answer["candles"][0] == {"time": 1680624000000, "open": "28050.0", "high": "28150", "low": "27983.0", "close": "28126.0", "volume": "1089794.00000000"}
    assert answer["more_candles"] is True


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_chart_lists_are_plain_lists(flavour):
    cls = PAIRS["Market"][0 if flavour == "sync" else 1]
    client = cls()
    with futures_vcr.use_cassette("futures_market/get_charts_lists.yaml") as cass:

        async def run_async() -> tuple[Any, Any, Any]:
            async with client:
                return (await client.get_tick_types(), await client.get_tradeable_products("trade"), await client.get_resolutions("mark", "PI_XBTUSD"))

        if flavour == "sync":
            with client:
                answers = (client.get_tick_types(), client.get_tradeable_products("trade"), client.get_resolutions("mark", "PI_XBTUSD"))
        else:
            answers = asyncio.run(run_async())
        assert cass.all_played
    assert answers[0] == ["mark", "spot", "trade"]
    assert answers[1][:2] == ["PI_XBTUSD", "PF_XBTUSD"]
    assert "1m" in answers[2] and len(answers[2]) == 9


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_instrument_status_of_one_instrument(flavour):
    status = replay("futures_market/get_instruments_status.yaml", "Market", flavour, "get_instruments_status", instrument="PI_XBTUSD")
    assert status["tradeable"] == "PI_XBTUSD" and status["priceDislocationDirection"] is None


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_trade_history(flavour):
    history = replay("futures_market/get_trade_history.yaml", "Market", flavour, "get_trade_history", symbol="PI_XBTUSD")["history"]
    assert [t["trade_id"] for t in history] == [100, 99] and history[1]["price"] == Decimal("27913.5")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_public_events_page_on_with_the_continuation_token(flavour):
    """Kraken-protocol §8: the reference drops the token for public history; the second page proves it is sent."""
    cls = PAIRS["Market"][0 if flavour == "sync" else 1]
    client = cls()
    with futures_vcr.use_cassette("futures_market/get_public_mark_price_events.yaml") as cass:

        async def run_async() -> tuple[Any, Any]:
            async with client:
                first = await client.get_public_mark_price_events(tradeable="PI_XBTUSD")
                return first, await client.get_public_mark_price_events(tradeable="PI_XBTUSD", continuation_token=first["continuationToken"])

        if flavour == "sync":
            with client:
                first = client.get_public_mark_price_events(tradeable="PI_XBTUSD")
                pages = (first, client.get_public_mark_price_events(tradeable="PI_XBTUSD", continuation_token=first["continuationToken"]))
        else:
            pages = asyncio.run(run_async())
        assert cass.all_played
    assert pages[0]["elements"][0]["event"]["MarkPriceChanged"]["price"] == "27900.67795901584"
    assert pages[1] == {"elements": [], "len": 0}


@pytest.mark.parametrize("group", ["Market", "Funding"])
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_historical_funding_rates(group, flavour):
    cassette = f"futures_{group.lower()}/get_historical_funding_rates.yaml"
    rates = replay(cassette, group, flavour, "get_historical_funding_rates", symbol="PI_XBTUSD")["rates"]
    assert rates[0]["timestamp"].endswith("T16:00:00.000Z")
    assert all(isinstance(r["fundingRate"], Decimal) for r in rates)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fee_schedule_tiers(flavour):
    schedule = replay("futures_market/get_fee_schedules.yaml", "Market", flavour, "get_fee_schedules")["feeSchedules"][0]
    assert schedule["name"] == "KF USD Multi-Collateral Fees" and len(schedule["tiers"]) == 8
    assert schedule["tiers"][1]["makerFee"] == Decimal("0.015")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_leverage_preference_read_and_set(flavour):
    cls = PAIRS["Market"][0 if flavour == "sync" else 1]
    client = cls(key="cassette-key", secret=SECRET, rate_limit=False)
    with futures_vcr.use_cassette("futures_market/leverage_preference.yaml") as cass:

        async def run_async() -> tuple[Any, Any]:
            async with client:
                return await client.get_leverage_preference(), await client.set_leverage_preference(symbol="PF_XBTUSD", maxLeverage=2)

        if flavour == "sync":
            with client:
                answers = (client.get_leverage_preference(), client.set_leverage_preference(symbol="PF_XBTUSD", maxLeverage=2))
        else:
            answers = asyncio.run(run_async())
        assert cass.all_played
    assert answers[0]["leveragePreferences"] == [{"symbol": "PF_XBTUSD", "maxLeverage": Decimal("5.0")}]
    assert answers[1]["result"] == "success"


# --- user -----------------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_wallets(flavour):
    accounts = replay("futures_user/get_wallets.yaml", "User", flavour, "get_wallets")["accounts"]
    assert {a["type"] for a in accounts.values()} == {"marginAccount", "cashAccount", "multiCollateralMarginAccount"}
    assert accounts["cash"]["balances"]["eth"] == Decimal("2.6868286287")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_open_orders(flavour):
    orders = replay("futures_user/get_open_orders.yaml", "User", flavour, "get_open_orders")["openOrders"]
    assert len(orders) == 4 and {o["status"] for o in orders} == {"untouched"}
    assert orders[1]["stopPrice"] == Decimal("1880.4") and orders[3]["reduceOnly"] is True


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_open_positions_keep_every_digit(flavour):
    position = replay("futures_user/get_open_positions.yaml", "User", flavour, "get_open_positions")["openPositions"][0]
    assert position["price"] == Decimal("27523.749993345933")
    assert position["unrealizedFunding"] == Decimal("0.00005879463852989987")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_notifications_subaccounts_and_unwind_queue(flavour):
    cls = PAIRS["User"][0 if flavour == "sync" else 1]
    client = cls(key="cassette-key", secret=SECRET, rate_limit=False)
    with futures_vcr.use_cassette("futures_user/account_info.yaml") as cass:

        async def run_async() -> tuple[Any, ...]:
            async with client:
                return (await client.get_notifications(), await client.get_subaccounts(), await client.get_unwind_queue())

        if flavour == "sync":
            with client:
                answers = (client.get_notifications(), client.get_subaccounts(), client.get_unwind_queue())
        else:
            answers = asyncio.run(run_async())
        assert cass.all_played
    assert answers[0]["notifications"][0]["note"] == "Market in post only mode until 4pm."
    assert answers[1]["subaccounts"] == []
    assert answers[2]["queue"] == [{"symbol": "PF_UNIUSD", "percentile": 20}]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_account_log(flavour):
    log = replay("futures_user/get_account_log.yaml", "User", flavour, "get_account_log", before="2023-04-04T16:10:46.260Z", count=1)
    entry = log["logs"][0]
    assert entry["info"] == "admin transfer" and entry["contract"] is None and entry["new_balance"] == Decimal("2.6868286287")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_order_events_with_paging_parameters(flavour):
    events = replay(
        "futures_user/get_order_events.yaml", "User", flavour, "get_order_events", tradeable="PF_SOLUSD", since=1668989233, before=1668999999, sort="asc"
    )
    assert events["continuationToken"] == "simb178"
    assert events["elements"][0]["event"]["OrderPlaced"]["order"]["limitPrice"] == "28900.0"


# --- trade ----------------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_create_limit_order_placed(flavour):
    answer = replay("futures_trade/create_order_limit.yaml", "Trade", flavour, "create_order", orderType="lmt", size=1000, symbol="PF_ETHUSD", side="buy", limitPrice="1200.0")
    assert answer["sendStatus"]["status"] == "placed"
    assert answer["sendStatus"]["orderEvents"][0]["order"]["limitPrice"] == Decimal("1200.0")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_cancel_all_orders(flavour):
    status = replay("futures_trade/cancel_all_orders.yaml", "Trade", flavour, "cancel_all_orders")["cancelStatus"]
    assert status["cancelOnly"] == "all" and len(status["cancelledOrders"]) == 2


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_dead_mans_switch(flavour):
    assert replay("futures_trade/dead_mans_switch.yaml", "Trade", flavour, "dead_mans_switch", timeout=60)["status"]["triggerTime"] == "0"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fills(flavour):
    fill = replay("futures_trade/get_fills.yaml", "Trade", flavour, "get_fills")["fills"][0]
    assert fill["fillType"] == "taker" and fill["price"] == Decimal("1859.075")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_orders_status_with_repeated_ids(flavour):
    ids = ["2c611222-bfe6-42d1-9f55-77bddc01a313", "5f204f95-4354-4610-bb3b-c902ad333012"]
    assert replay("futures_trade/get_orders_status.yaml", "Trade", flavour, "get_orders_status", orderIds=ids)["orders"] == []


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_documented_edit_of_a_missing_order_raises(flavour):
    with pytest.raises(exc.KrakenOrderForEditNotFoundError) as info:
        replay("futures_trade/edit_order_not_found.yaml", "Trade", flavour, "edit_order", orderId="fc589be9-5095-48f0-b6f1-a2dfad6d9677", size=100)
    assert info.value.response["editStatus"]["orderId"] == "fc589be9-5095-48f0-b6f1-a2dfad6d9677"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_documented_cancel_of_a_missing_order_raises(flavour):
    with pytest.raises(exc.KrakenNotFoundError):
        replay("futures_trade/cancel_order_not_found.yaml", "Trade", flavour, "cancel_order", order_id="fc589be9-5095-48f0-b6f1-a2dfad6d9677")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_documented_batch_with_a_rejected_instruction_raises_with_every_status(flavour):
    batch = [
        {"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": "PI_XBTUSD", "side": "buy", "size": 5, "limitPrice": 1.00, "cliOrdId": "my_another_client_id"},
        {"order": "send", "order_tag": "2", "orderType": "stp", "symbol": "PI_XBTUSD", "side": "buy", "size": 1, "limitPrice": 2.00, "stopPrice": 3.00},
        {"order": "cancel", "order_id": "e35d61dd-8a30-4d5f-a574-b5593ef0c050"},
        {"order": "cancel", "cliOrdId": "my_client_id"},
    ]
    with pytest.raises(exc.KrakenInsufficientAvailableFundsError) as info:
        replay(
            "futures_trade/create_batch_order.yaml",
            "Trade",
            flavour,
            "create_batch_order",
            batchorder_list=batch,
            match_on=("method", "scheme", "host", "port", "path", "query"),
        )
    statuses = [s["status"] for s in info.value.response["batchStatus"]]
    assert statuses == ["insufficientAvailableFunds", "placed", "notFound", "notFound"]


# --- funding --------------------------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_wallet_transfer(flavour):
    answer = replay("futures_funding/initiate_wallet_transfer.yaml", "Funding", flavour, "initiate_wallet_transfer", amount="100", fromAccount="cash", toAccount="flex", unit="ADA")
    assert answer == {"result": "success", "serverTime": "2023-04-07T15:23:45.196Z"}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_request_the_cassette_does_not_hold_is_not_sent(flavour):
    """record_mode="none": an unmatched request fails instead of reaching the network."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    with pytest.raises((CannotOverwriteExistingCassetteException, exc.KrakenNetworkError)):
        replay("futures_funding/initiate_wallet_transfer.yaml", "Funding", flavour, "initiate_wallet_transfer", amount="101", fromAccount="cash", toAccount="flex", unit="ADA")


def test_cassettes_hold_no_credentials():
    for path in CASSETTES.glob("futures_*/*.yaml"):
        text = path.read_text()
        for header in ("APIKey", "Authent", "Nonce:", "API-Sign"):
            assert header not in text, f"{path.name} holds {header}"
