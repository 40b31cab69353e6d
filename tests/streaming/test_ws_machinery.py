"""Client machinery against scripted loopback servers: reconnect, resubscribe, tokens, buffering, routing."""

from __future__ import annotations

import asyncio
import logging
import random
from decimal import Decimal
from typing import Any

import pytest

from kraken_ops._core.ws import Dispatcher, backoff_delay
from kraken_ops.exceptions import KrakenAuthenticationError, KrakenInsufficientFundsError, MaxReconnectError
from kraken_ops.futures.websocket import FuturesOrderBook, FuturesWSClient
from kraken_ops.spot.websocket import SpotWSClient

from stream_fakes import FakeFutures, FakeSpot

FAST = {"backoff_base": 0.02, "backoff_max": 0.1, "ping_interval": 5.0}
SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="


async def until(predicate: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


class TokenClient(SpotWSClient):
    """Hands out numbered tokens instead of calling GetWebSocketsToken over REST."""

    issued: list[str]

    async def get_ws_token(self) -> dict[str, Any]:
        self.issued = getattr(self, "issued", [])
        self.issued.append(f"tok{len(self.issued) + 1}")
        self.token_fetches += 1
        return {"token": self.issued[-1], "expires": 900}


def test_backoff_is_exponential_capped_and_jittered() -> None:
    rng = random.Random(3)
    delays = [backoff_delay(n, 0.5, 4.0, rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(4.0, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= delay < ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)


async def test_dispatcher_drops_oldest_and_reports_overflow() -> None:
    got: list[Any] = []
    release = asyncio.Event()

    async def slow(message: Any) -> None:
        await release.wait()
        got.append(message)

    dispatcher = Dispatcher(slow, max_buffer=3)
    dispatcher.start()
    dispatcher.push(0)
    await asyncio.sleep(0.01)  # the consumer now holds message 0
    for i in range(1, 10):
        dispatcher.push(i)
    assert len(dispatcher) <= 3
    release.set()
    await until(lambda: len(got) >= 5)
    await dispatcher.close()
    assert got[0] == 0
    assert got[1] == {"kraken_ops": "overflow", "dropped": 6, "total_dropped": 6}
    assert got[2:] == [7, 8, 9]


async def test_messages_reach_callback_with_decimals_and_acks_tracked() -> None:
    got: list[Any] = []
    async with FakeSpot() as server:
        async with SpotWSClient(callback=got.append, ws_url=server.url, **FAST) as client:
            await client.subscribe(params={"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"]}, req_id=7)
            await until(lambda: len([m for m in got if m.get("channel") == "ticker"]) == 2)
            assert {s["symbol"] for s in client.active_public_subscriptions} == {"BTC/USD", "ETH/USD"}
            ticker = next(m for m in got if m.get("channel") == "ticker")
            assert ticker["data"][0]["bid"] == Decimal("100.10") and isinstance(ticker["data"][0]["bid"], Decimal)
            assert any(m.get("req_id") == 7 and m.get("method") == "subscribe" for m in got)
            await client.unsubscribe(params={"channel": "ticker", "symbol": ["ETH/USD"]})
            await until(lambda: [s["symbol"] for s in client.active_public_subscriptions] == ["BTC/USD"])
            with pytest.raises(ConnectionError):
                client.active_private_subscriptions


async def test_dropped_connection_reconnects_resubscribes_and_tells_the_user() -> None:
    got: list[Any] = []
    async with FakeSpot() as server:
        async with SpotWSClient(callback=got.append, ws_url=server.url, **FAST) as client:
            await client.subscribe(params={"channel": "ticker", "symbol": ["BTC/USD"]})
            await until(lambda: any(m.get("channel") == "ticker" for m in got))
            await server.drop_all()
            await until(lambda: any(m.get("kraken_ops") == "reconnected" for m in got))
            await until(lambda: len([m for m in got if m.get("channel") == "ticker"]) == 2)
            assert server.connections == 2
            assert any(m.get("kraken_ops") == "reconnecting" for m in got)
            subs = [m for m in server.received if m.get("method") == "subscribe"]
            assert len(subs) == 2 and subs[1]["params"]["symbol"] == ["BTC/USD"]
            assert client.reconnects == 1 and not client.exception_occur


async def test_private_reconnect_fetches_a_fresh_token() -> None:
    async with FakeSpot(valid_tokens={"tok1", "tok2"}) as server:
        client = TokenClient("key", SECRET, no_public=True, auth_ws_url=server.url, **FAST)
        async with client:
            await client.subscribe(params={"channel": "executions"})
            await until(lambda: len(client.active_private_subscriptions) == 1)
            await server.drop_all()
            await until(lambda: client.token_fetches == 2 and len(client.active_private_subscriptions) == 1)
            tokens = [m["params"]["token"] for m in server.received if m.get("method") == "subscribe"]
            assert tokens == ["tok1", "tok2"]


async def test_gives_up_with_max_reconnect_error() -> None:
    got: list[Any] = []
    server = FakeSpot()
    await server.__aenter__()
    client = SpotWSClient(callback=got.append, ws_url=server.url, max_reconnect_attempts=2, **FAST)
    await client.start()
    await server.stop()
    await server.drop_all()
    with pytest.raises(MaxReconnectError):
        await asyncio.wait_for(client.wait_closed(), 5)
    assert client.exception_occur
    await until(lambda: any(m.get("kraken_ops") == "max_reconnect" for m in got))
    await client.close()


async def test_start_fails_with_max_reconnect_error_when_nothing_listens() -> None:
    client = SpotWSClient(ws_url="ws://127.0.0.1:9/", max_reconnect_attempts=1, **FAST)
    with pytest.raises(MaxReconnectError):
        await client.start()


async def test_a_refused_handshake_is_one_warning_naming_the_url(exchange: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A WebSocket URL with a wrong path (HTTP 404 at the handshake) is said at WARNING, which
    shows without any logging set up, once per streak of failures; retries go on as before."""
    url = exchange.ws_spot_public.rsplit("/", 1)[0]  # ws://host:port/ws: no such path
    client = SpotWSClient(ws_url=url, max_reconnect_attempts=2, **FAST)
    with caplog.at_level(logging.INFO, logger="kraken_ops.ws"), pytest.raises(MaxReconnectError):
        await client.start()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"public: {url} refused the WebSocket connection (HTTP 404): is the URL right? Retrying."]
    assert sum("reconnecting in" in r.getMessage() for r in caplog.records) == 2  # the retries, at INFO


async def test_trading_helpers_return_result_or_raise_mapped_error() -> None:
    async with FakeSpot() as server:
        server.trade_replies["add_order"] = {"success": True, "result": {"order_id": "OABC-1"}}
        server.trade_replies["cancel_all"] = {"success": False, "error": "EOrder:Insufficient funds"}
        async with TokenClient("key", SECRET, no_public=True, auth_ws_url=server.url, **FAST) as client:
            assert await client.add_order("limit", "buy", "1.25", "BTC/USD", limit_price="100.5") == {"order_id": "OABC-1"}
            sent = next(m for m in server.received if m.get("method") == "add_order")
            assert sent["params"]["order_qty"] == Decimal("1.25") and sent["params"]["token"] == "tok1"
            with pytest.raises(KrakenInsufficientFundsError) as info:
                await client.cancel_all()
            assert info.value.kraken_error == "EOrder:Insufficient funds"


def test_private_channel_without_credentials_is_refused() -> None:
    client = SpotWSClient()
    assert client.private_channel_names == ["executions", "balances", "level3"]
    assert "add_order" in client.private_methods and "batch_cancel" in client.private_methods
    assert "secret" not in repr(SpotWSClient("k", SECRET)) and SECRET not in repr(SpotWSClient("k", SECRET))


# --- Futures -----------------------------------------------------------------------------------


def test_futures_sign_challenge_official_vector() -> None:
    client = FuturesWSClient(key="k", secret="7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm")
    assert client.is_auth
    assert (
        client.get_sign_challenge("c100b894-1729-464d-ace1-52dbce11db42")
        == "4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A=="
    )
    assert not FuturesWSClient().is_auth
    assert FuturesWSClient(url="127.0.0.1:1/ws/v1").url == "wss://127.0.0.1:1/ws/v1"
    assert FuturesWSClient(url="ws://127.0.0.1:1/ws/v1").url == "ws://127.0.0.1:1/ws/v1"
    assert FuturesWSClient(sandbox=True).url == "wss://demo-futures.kraken.com/ws/v1"


def test_futures_book_detects_sequence_gap() -> None:
    book = FuturesOrderBook("PF_XBTUSD")
    assert book.apply({"feed": "book", "product_id": "PF_XBTUSD", "seq": 5, "side": "buy", "price": 1, "qty": 1}) is False
    book.apply({"feed": "book_snapshot", "seq": 10, "bids": [{"price": Decimal("99"), "qty": Decimal("1")}], "asks": [{"price": Decimal("101"), "qty": Decimal("2")}]})
    assert book.apply({"feed": "book", "seq": 11, "side": "buy", "price": Decimal("100"), "qty": Decimal("3")})
    assert book.apply({"feed": "book", "seq": 12, "side": "sell", "price": Decimal("101"), "qty": Decimal("0")})
    assert book.apply({"feed": "book", "seq": 12, "side": "sell", "price": Decimal("102"), "qty": Decimal("5")})  # stale: ignored
    assert book.bids() == [(Decimal("100"), Decimal("3")), (Decimal("99"), Decimal("1"))]
    assert book.asks() == []
    assert book.apply({"feed": "book", "seq": 14, "side": "buy", "price": Decimal("98"), "qty": Decimal("1")}) is False
    assert book.gap == (13, 14) and not book.valid


async def test_futures_private_subscribe_with_challenge_and_resubscribe_after_drop() -> None:
    got: list[Any] = []
    async with FakeFutures("fkey", SECRET) as server:
        async with FuturesWSClient("fkey", SECRET, url=server.url, callback=got.append, **FAST) as client:
            await client.subscribe(feed="fills")
            await client.subscribe(feed="ticker", products=["PF_XBTUSD"])
            await until(lambda: len(client.get_active_subscriptions()) == 2)
            assert any(m.get("feed") == "fills_snapshot" for m in got)
            await server.drop_all()
            await until(lambda: client.reconnects == 1 and len(client.get_active_subscriptions()) == 2)
            assert client.challenges == 2  # a fresh challenge on the new connection
            assert any(m.get("kraken_ops") == "reconnected" for m in got)


async def test_futures_wrong_secret_is_a_clear_authentication_error() -> None:
    wrong = "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"
    async with FakeFutures("fkey", SECRET) as server:
        async with FuturesWSClient("fkey", wrong, url=server.url, **FAST) as client:
            with pytest.raises(KrakenAuthenticationError, match="check the API secret") as info:
                await client.subscribe(feed="fills")
            assert wrong not in str(info.value)
            assert client.get_active_subscriptions() == []


async def test_futures_book_gap_triggers_resubscription() -> None:
    got: list[Any] = []
    async with FakeFutures("fkey", SECRET) as server:
        server.book_script = [
            {"feed": "book_snapshot", "product_id": "PF_XBTUSD", "seq": 1, "bids": [{"price": 100.0, "qty": 1}], "asks": [{"price": 101.0, "qty": 1}]},
            {"feed": "book", "product_id": "PF_XBTUSD", "seq": 2, "side": "buy", "price": 100.5, "qty": 2},
            {"feed": "book", "product_id": "PF_XBTUSD", "seq": 4, "side": "buy", "price": 100.6, "qty": 2},
        ]
        async with FuturesWSClient(url=server.url, callback=got.append, **FAST) as client:
            await client.subscribe(feed="book", products=["PF_XBTUSD"])
            await until(lambda: any(m.get("kraken_ops") == "book_gap" for m in got))
            gap = next(m for m in got if m.get("kraken_ops") == "book_gap")
            assert gap["expected_seq"] == 3 and gap["received_seq"] == 4
            await until(lambda: len([m for m in server.received if m.get("event") == "subscribe"]) == 2)
            assert any(m.get("event") == "unsubscribe" for m in server.received)
            await until(lambda: client.get_book("PF_XBTUSD").valid)
            assert client.get_book("PF_XBTUSD").as_dict()["bid"] == {Decimal("100.0"): Decimal("1")}


async def test_futures_challenge_is_not_answered_by_a_subscription_error() -> None:
    """A public subscription to an unknown product is refused with a bare ``error`` event that
    arrives while the challenge of a private subscription is waiting (the server answers in
    order, the error late): the error answers the subscription, the challenge its own answer."""
    got: list[Any] = []
    async with FakeFutures("fkey", SECRET) as server:
        server.unknown_products = {"PF_NOPE"}
        server.error_delay = 0.3
        async with FuturesWSClient("fkey", SECRET, url=server.url, callback=got.append, **FAST) as client:
            await client.subscribe(feed="ticker", products=["PF_NOPE", "PF_XBTUSD"])
            await client.subscribe(feed="fills")  # waits for its challenge, then for the fills ack: no error raised
            await until(lambda: len(client.get_active_subscriptions()) == 2)
            assert sorted(client.get_active_subscriptions(), key=lambda s: s["feed"]) == [
                {"event": "subscribe", "feed": "fills"}, {"event": "subscribe", "feed": "ticker", "product_ids": ["PF_XBTUSD"]}]
            assert client.challenges == 1
            assert {"event": "error", "message": "Invalid product id"} in got  # still delivered to the consumer
    # one message per product, as python-kraken-sdk sends them (Kraken refuses a list with one unknown product)
    subscribes = [m for m in server.received if m.get("event") == "subscribe" and m.get("feed") == "ticker"]
    assert [m["product_ids"] for m in subscribes] == [["PF_NOPE"], ["PF_XBTUSD"]]


async def test_futures_requests_match_their_answers_in_order() -> None:
    from kraken_ops.futures.websocket import _Requests

    requests = _Requests(timeout=10.0)
    requests.add("subscribe", "ticker", "PF_NOPE")
    challenge = requests.add("challenge", wait=True)
    requests.add("subscribe", "ticker", "PF_XBTUSD")
    fills = requests.add("subscribe", "fills", wait=True)
    # the named answers find their requests wherever they are in the queue
    assert requests.answer({"event": "subscribed", "feed": "ticker", "product_ids": ["PF_XBTUSD"]}).product == "PF_XBTUSD"
    # a bare error answers the oldest request still waiting: the first subscription, not the challenge
    assert requests.answer({"event": "error", "message": "Invalid product id"}).product == "PF_NOPE"
    assert not challenge.done()
    assert requests.answer({"event": "challenge", "message": "c100b894"}).kind == "challenge"
    assert challenge.result() == {"event": "challenge", "message": "c100b894"}
    assert requests.answer({"event": "alert", "message": "Failed to subscribe to authenticated feed"}).feed == "fills"
    assert fills.result()["event"] == "alert"
    assert requests.answer({"event": "error", "message": "Json Error"}) is None  # nothing waits any more
    stale = _Requests(timeout=0.0)
    stale.add("subscribe", "ticker", "PF_OLD")
    await asyncio.sleep(0.01)
    assert stale.answer({"event": "error", "message": "Invalid product id"}) is None  # past the timeout: forgotten


async def test_futures_private_feed_with_products_is_refused_like_the_reference() -> None:
    client = FuturesWSClient("fkey", SECRET)
    with pytest.raises(ValueError, match="There is no private feed that accepts products!"):
        await client.subscribe(feed="fills", products=["PF_XBTUSD"])
