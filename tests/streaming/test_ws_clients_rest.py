"""The WebSocket clients are also REST clients, as in the reference (request(), get_nonce())."""

from __future__ import annotations

from kraken_ops.futures.websocket import FuturesWSClient, _rest_base
from kraken_ops.spot.orderbook import SpotOrderBookClient
from kraken_ops.spot.websocket import SpotWSClient


async def test_spot_ws_client_request_goes_to_rest_url(exchange, unique_name) -> None:
    acct = exchange.add_account(unique_name, fund={"ZUSD": "42"})
    client = SpotWSClient(acct.spot_key, acct.spot_secret, no_public=True, rest_url=exchange.url)
    try:
        assert "unixtime" in await client.request("GET", "/0/public/Time", auth=False)
        assert (await client.request("POST", "/0/private/Balance"))["ZUSD"] == "42.0000"
        first, second = int(client.get_nonce()), int(client.get_nonce())
        assert second > first
    finally:
        await client.close()


async def test_futures_ws_client_request_derives_rest_from_ws_url(exchange) -> None:
    client = FuturesWSClient(url=exchange.ws_futures)
    try:
        tickers = await client.request("GET", "/derivatives/api/v3/tickers", auth=False)
        assert tickers["result"] == "success"
    finally:
        await client.close()


def test_rest_base_of_kraken_and_local_ws_urls() -> None:
    assert _rest_base("wss://futures.kraken.com/ws/v1") == "https://futures.kraken.com"
    assert _rest_base("wss://demo-futures.kraken.com/ws/v1") == "https://demo-futures.kraken.com"
    assert _rest_base("ws://127.0.0.1:8787/ws/v1") == "http://127.0.0.1:8787"


def test_get_first_is_an_exact_sort_key() -> None:
    levels = [("100.10000001", "1"), ("100.1", "2")]
    assert sorted(levels, key=SpotOrderBookClient.get_first)[0][0] == "100.1"
