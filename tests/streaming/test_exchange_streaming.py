"""SDK WebSocket clients against the local exchange: every channel and feed, trading, faults."""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal
from typing import Any

import pytest

from kraken_ops.exceptions import KrakenAuthenticationError, KrakenInsufficientFundsError, KrakenUnknownOrderError
from kraken_ops.futures.websocket import FuturesWSClient
from kraken_ops.spot.orderbook import SpotOrderBookClient
from kraken_ops.spot.websocket import SpotWSClient

FAST = {"backoff_base": 0.05, "backoff_max": 0.2}
_ids = itertools.count(1)


async def until(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def account(exchange: Any, **fund: str) -> Any:
    return exchange.add_account(f"stream{next(_ids)}", fund=fund or {"USD": "1000000", "XBT": "10"})


def data_of(got: list[Any], channel: str) -> list[dict[str, Any]]:
    return [m for m in got if isinstance(m, dict) and m.get("channel") == channel and "data" in m]


# --- Spot public --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"channel": "ticker", "symbol": ["BTC/USD"]},
        {"channel": "trade", "symbol": ["BTC/USD"]},
        {"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 1},
        {"channel": "book", "symbol": ["BTC/USD"], "depth": 10},
        {"channel": "instrument"},
    ],
    ids=lambda p: p["channel"],
)
async def test_every_spot_public_channel_delivers_data(exchange: Any, params: dict[str, Any]) -> None:
    got: list[Any] = []
    async with SpotWSClient(callback=got.append, ws_url=exchange.ws_spot_public, rest_url=exchange.url, **FAST) as client:
        await client.subscribe(params=params, req_id=42)
        await until(lambda: len(data_of(got, params["channel"])) >= 1)
        ack = next(m for m in got if m.get("method") == "subscribe")
        assert ack["success"] is True and ack["req_id"] == 42
        assert [s["channel"] for s in client.active_public_subscriptions] == [params["channel"]]
        if params["channel"] == "ticker":
            item = data_of(got, "ticker")[0]["data"][0]
            assert isinstance(item["bid_qty"], (Decimal, int)) and not isinstance(item["bid_qty"], float)
        await client.unsubscribe(params=params)
        await until(lambda: client.active_public_subscriptions == [])


async def test_unknown_channel_is_refused_locally() -> None:
    client = SpotWSClient()
    with pytest.raises(ValueError, match="unknown channel"):
        await client.subscribe(params={"channel": "nope"})


# --- Spot order book ----------------------------------------------------------------------------
async def test_order_book_client_keeps_valid_books_with_precisions_from_assetpairs(exchange: Any) -> None:
    updates: list[tuple[Any, Any]] = []
    client = SpotOrderBookClient(depth=25, callback=lambda pair, message: updates.append((pair, message)), rest_url=exchange.url, ws_url=exchange.ws_spot_public, **FAST)
    async with client:
        await client.add_book(pairs=["BTC/USD", "ETH/USD"])
        await until(lambda: sum(1 for p, _ in updates if p == "BTC/USD") >= 3 and any(p == "ETH/USD" for p, _ in updates))
        book = client.get("BTC/USD")
        assert book is not None and book["valid"] is True
        bids, asks = [Decimal(p) for p in book["bid"]], [Decimal(p) for p in book["ask"]]
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
        assert len(bids) <= 25 and client.depth == 25
        assert client.checksum_mismatches == 0
        await client.remove_book(pairs=["ETH/USD"])
        assert client.get("ETH/USD") is None


async def test_checksum_mismatch_resubscribes_and_recovers(exchange_factory: Any) -> None:
    server = exchange_factory(faults=["bad-checksum=0.3"])
    notices: list[dict[str, Any]] = []
    valid_after_mismatch = asyncio.Event()

    def on_update(pair: Any, message: dict[str, Any]) -> None:
        if notices and pair == "BTC/USD" and client.get("BTC/USD")["valid"]:
            valid_after_mismatch.set()

    client = SpotOrderBookClient(depth=10, callback=on_update, notice_callback=notices.append, rest_url=server.url,
                                 ws_url=server.ws_spot_public, **FAST)
    async with client:
        await client.add_book(pairs=["BTC/USD"])
        await asyncio.wait_for(valid_after_mismatch.wait(), 20)
    assert notices[0]["symbol"] == "BTC/USD" and notices[0]["expected"] != notices[0]["computed"]
    assert client.checksum_mismatches >= 1
    snapshot_requests = [m for m in notices]  # noqa: C416 - one resubscription per mismatch burst
    assert snapshot_requests


# --- Spot private -------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", ["executions", "balances"])
async def test_private_channels_snapshot_and_update(exchange: Any, channel: str) -> None:
    acct = account(exchange)
    got: list[Any] = []
    async with SpotWSClient(acct.spot_key, acct.spot_secret, got.append, no_public=True, rest_url=exchange.url, auth_ws_url=exchange.ws_spot_private, **FAST) as client:
        await client.subscribe(params={"channel": channel})
        await until(lambda: any(m.get("type") == "snapshot" for m in data_of(got, channel)))
        assert [s["channel"] for s in client.active_private_subscriptions] == [channel]
        with pytest.raises(ConnectionError):
            client.active_public_subscriptions
        await client.add_order("market", "buy", "0.001", "BTC/USD")  # a fill moves the ledger too
        await until(lambda: any(m.get("type") == "update" for m in data_of(got, channel)))
        assert client.token_fetches == 1


async def test_trading_helpers_against_the_exchange(exchange: Any) -> None:
    acct = account(exchange)
    async with SpotWSClient(acct.spot_key, acct.spot_secret, no_public=True, rest_url=exchange.url, auth_ws_url=exchange.ws_spot_private, **FAST) as client:
        first = await client.add_order("limit", "buy", "0.01", "BTC/USD", limit_price="1000", cl_ord_id="cl-one")
        assert first["order_id"].startswith("O") and first["cl_ord_id"] == "cl-one"
        amended = await client.amend_order(order_id=first["order_id"], limit_price="1001")
        assert "amend_id" in amended and amended["order_id"] == first["order_id"]
        edited = await client.edit_order(first["order_id"], "BTC/USD", limit_price="1002")
        assert edited["original_order_id"] == first["order_id"]
        batch = await client.batch_add(
            "BTC/USD",
            [
                {"order_type": "limit", "side": "buy", "order_qty": Decimal("0.01"), "limit_price": Decimal("900")},
                {"order_type": "limit", "side": "buy", "order_qty": Decimal("0.01"), "limit_price": Decimal("901")},
            ],
        )
        ids = [item["order_id"] for item in batch]
        assert len(ids) == 2
        cancelled = await client.cancel_order([edited["order_id"], ids[0]])
        assert [c["order_id"] for c in cancelled] == [edited["order_id"], ids[0]]
        third = await client.add_order("limit", "buy", "0.01", "BTC/USD", limit_price="950")
        assert (await client.batch_cancel([ids[1], third["order_id"]]))["count"] == 2
        await client.add_order("limit", "buy", "0.01", "BTC/USD", limit_price="950")
        assert (await client.cancel_all())["count"] == 1
        dms = await client.cancel_all_orders_after(60)
        assert "triggerTime" in dms or "currentTime" in dms
        await client.cancel_all_orders_after(0)
        with pytest.raises(KrakenUnknownOrderError) as unknown:
            await client.cancel_order(["OXXXXX-XXXXX-XXXXXX"])
        assert unknown.value.kraken_error.startswith("EOrder:Unknown order")
        with pytest.raises(KrakenInsufficientFundsError):
            await client.add_order("limit", "buy", "1000", "BTC/USD", limit_price="60000")


async def test_send_message_injects_the_token_and_raw_does_not(exchange: Any) -> None:
    acct = account(exchange)
    got: list[Any] = []
    async with SpotWSClient(acct.spot_key, acct.spot_secret, got.append, no_public=True, rest_url=exchange.url, auth_ws_url=exchange.ws_spot_private, **FAST) as client:
        await client.send_message({"method": "cancel_all", "req_id": 901})
        await client.send_message({"method": "cancel_all", "req_id": 902, "params": {}}, raw=True)
        await until(lambda: {m.get("req_id") for m in got} >= {901, 902})
        by_id = {m.get("req_id"): m for m in got if m.get("method") == "cancel_all"}
        assert by_id[901]["success"] is True
        assert by_id[902]["success"] is False


# --- reliability ---------------------------------------------------------------------------------
async def test_dropped_connections_reconnect_with_fresh_token_and_resubscribe(exchange_factory: Any) -> None:
    server = exchange_factory(faults=["ws-drop=8"])
    acct = server.add_account("dropper", fund={"USD": "100000"})
    got: list[Any] = []
    async with SpotWSClient(
        acct.spot_key, acct.spot_secret, got.append, rest_url=server.url, ws_url=server.ws_spot_public, auth_ws_url=server.ws_spot_private, **FAST
    ) as client:
        await client.subscribe(params={"channel": "trade", "symbol": ["BTC/USD"]})
        await client.subscribe(params={"channel": "ticker", "symbol": ["BTC/USD"]})
        await client.subscribe(params={"channel": "executions"})
        await until(lambda: client.reconnects >= 3 and client._private.reconnects >= 1, timeout=90)  # ~7 s on a quiet machine; generous for a loaded CI
        reconnected = [m for m in got if m.get("kraken_ops") == "reconnected"]
        assert {m["connection"] for m in reconnected} == {"public", "private"}
        assert client.token_fetches == client._private.connects >= 2  # a fresh token per private (re)connect
        # after the last reconnect everything is subscribed again
        await until(lambda: len(client.active_public_subscriptions) == 2 and len(client.active_private_subscriptions) == 1, timeout=15)
        assert not client.exception_occur


# --- Futures ------------------------------------------------------------------------------------
@pytest.mark.parametrize("feed,first", [("ticker", "ticker"), ("trade", "trade_snapshot"), ("ticker_lite", "ticker_lite")])
async def test_futures_public_feeds(exchange: Any, feed: str, first: str) -> None:
    got: list[Any] = []
    async with FuturesWSClient(url=exchange.ws_futures, callback=got.append, **FAST) as client:
        await client.subscribe(feed=feed, products=["PF_XBTUSD"])
        await until(lambda: any(m.get("feed") == first for m in got))
        assert client.get_active_subscriptions() == [{"event": "subscribe", "feed": feed, "product_ids": ["PF_XBTUSD"]}]
        assert got[0] == {"event": "info", "version": 1}
        await client.unsubscribe(feed=feed, products=["PF_XBTUSD"])
        await until(lambda: client.get_active_subscriptions() == [])


async def test_futures_book_is_maintained_from_snapshot_and_deltas(exchange: Any) -> None:
    got: list[Any] = []
    async with FuturesWSClient(url=exchange.ws_futures, callback=got.append, **FAST) as client:
        await client.subscribe(feed="book", products=["PF_XBTUSD"])
        await until(lambda: any(m.get("feed") == "book" for m in got), timeout=20)
        book = client.get_book("PF_XBTUSD")
        assert book is not None and book.valid
        bids, asks = book.bids(5), book.asks(5)
        assert bids and asks and bids[0][0] < asks[0][0]
        assert not any(m.get("kraken_ops") == "book_gap" for m in got)


@pytest.mark.parametrize("feed", ["fills", "open_orders", "open_orders_verbose", "open_positions", "balances", "account_log", "notifications_auth"])
async def test_futures_private_feeds_with_challenge(exchange: Any, feed: str) -> None:
    acct = account(exchange)
    got: list[Any] = []
    async with FuturesWSClient(acct.futures_key, acct.futures_secret, url=exchange.ws_futures, callback=got.append, **FAST) as client:
        await client.subscribe(feed=feed)
        await until(lambda: any(str(m.get("feed", "")).startswith(feed) for m in got))
        assert client.get_active_subscriptions() == [{"event": "subscribe", "feed": feed}]
        assert client.challenges == 1


async def test_futures_wrong_secret_is_a_clear_error(exchange: Any) -> None:
    acct = account(exchange)
    wrong = "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"
    async with FuturesWSClient(acct.futures_key, wrong, url=exchange.ws_futures, **FAST) as client:
        with pytest.raises(KrakenAuthenticationError, match="check the API secret") as info:
            await client.subscribe(feed="fills")
        assert wrong not in str(info.value) and acct.futures_secret not in str(info.value)


async def test_futures_reconnect_gets_a_new_challenge_and_resubscribes(exchange_factory: Any) -> None:
    server = exchange_factory(faults=["ws-drop=6"])
    acct = server.add_account("fdropper", fund={"USD": "100000"})
    got: list[Any] = []
    async with FuturesWSClient(acct.futures_key, acct.futures_secret, url=server.ws_futures, callback=got.append, **FAST) as client:
        await client.subscribe(feed="ticker", products=["PF_XBTUSD"])
        await client.subscribe(feed="fills")
        await until(lambda: client.reconnects >= 2, timeout=30)
        assert client.challenges >= 3
        assert any(m.get("kraken_ops") == "reconnected" for m in got)
        await until(lambda: len(client.get_active_subscriptions()) == 2, timeout=15)


async def test_futures_one_unknown_product_silences_nothing_and_private_feeds_still_work(exchange: Any) -> None:
    """A bot listing one delisted contract among others: the others' messages arrive, and a
    private subscription right after succeeds (the product's error is not taken for the
    answer to the challenge)."""
    acct = account(exchange)
    got: list[Any] = []
    async with FuturesWSClient(acct.futures_key, acct.futures_secret, url=exchange.ws_futures, callback=got.append, **FAST) as client:
        await client.subscribe(feed="ticker", products=["PF_DELISTED", "PF_XBTUSD", "PF_ETHUSD"])
        await client.subscribe(feed="fills")
        await until(lambda: {"PF_XBTUSD", "PF_ETHUSD"} <= {m.get("product_id") for m in got if m.get("feed") == "ticker"})
        await until(lambda: any(m.get("feed") == "fills_snapshot" for m in got))
        assert {"event": "error", "message": "Invalid product id"} in got
        active = {s["feed"]: sorted(s.get("product_ids", [])) for s in client.get_active_subscriptions()}
        assert active == {"ticker": ["PF_ETHUSD", "PF_XBTUSD"], "fills": []}
        assert client.challenges == 1


async def test_futures_exchange_answers_a_product_list_with_an_unknown_product(exchange: Any) -> None:
    """Kraken documents "subscribed" with the product ids, or {"event": "error", "message":
    "Invalid product id"}; for a list mixing both the local exchange subscribes the known ones
    and sends one error naming the others. A single unknown product gets Kraken's error as documented."""
    import json

    import websockets

    async with websockets.connect(exchange.ws_futures) as ws:
        async def answers(count: int) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            while len(out) < count:
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if "event" in message and message["event"] != "info":
                    out.append(message)
            return out

        await ws.send(json.dumps({"event": "subscribe", "feed": "ticker", "product_ids": ["PF_NOPE", "PF_XBTUSD", "PF_GONE"]}))
        assert await answers(2) == [{"event": "error", "message": "Invalid product id", "product_ids": ["PF_NOPE", "PF_GONE"]},
                                    {"event": "subscribed", "feed": "ticker", "product_ids": ["PF_XBTUSD"]}]
        await ws.send(json.dumps({"event": "subscribe", "feed": "ticker", "product_ids": ["PF_NOPE"]}))
        assert await answers(1) == [{"event": "error", "message": "Invalid product id"}]
        await ws.send(json.dumps({"event": "unsubscribe", "feed": "ticker", "product_ids": ["PF_XBTUSD", "PF_NOPE"]}))
        assert await answers(2) == [{"event": "error", "message": "Invalid product id", "product_ids": ["PF_NOPE"]},
                                    {"event": "unsubscribed", "feed": "ticker", "product_ids": ["PF_XBTUSD"]}]


@pytest.mark.parametrize("params,symbol", [({"channel": "ticker", "symbol": ["BTC/USD"]}, "BTC/USD"),
                                          ({"channel": "book", "symbol": ["BTC/USD"], "depth": 10}, "BTC/USD"),
                                          ({"channel": "instrument"}, None)])
async def test_spot_unsubscribing_what_is_not_subscribed_gets_krakens_answer(exchange: Any, params: dict[str, Any], symbol: Any) -> None:
    """Kraken's text, as python-kraken-sdk's test against Kraken recorded it: '{"error":
    "Subscription Not Found", "method": "subscribe", "req_id": 123456789, "success": false,
    "symbol": "BTC/USD", "time_in": ...' (the reference logs json.dumps of the message)."""
    import json

    import websockets

    async with websockets.connect(exchange.ws_spot_public) as ws:
        await ws.send(json.dumps({"method": "unsubscribe", "params": params, "req_id": 123456789}))
        while True:
            raw = await asyncio.wait_for(ws.recv(), 5)
            if '"req_id":123456789' in raw:
                break
    answer = json.loads(raw)
    expected_start = '{"error": "Subscription Not Found", "method": "subscribe", "req_id": 123456789, "success": false, '
    expected_start += f'"symbol": "{symbol}", "time_in": ' if symbol else '"time_in": '
    assert json.dumps(answer).startswith(expected_start)
    assert list(answer)[-2:] == ["time_in", "time_out"]
