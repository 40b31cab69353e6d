"""The WebSocket token request takes its nonce from the caller's nonce source (a profile's
cross-process store), so a stream and a bot in another process on one key never collide."""

from __future__ import annotations

import contextlib
from typing import Iterator

from kraken_ops._core.nonce import MonotonicNonce
from kraken_ops.spot.websocket import SpotWSClient


class CountingNonce(MonotonicNonce):
    def __init__(self) -> None:
        super().__init__()
        self.issued = 0
        self.in_flight_entered = 0

    def next(self) -> str:
        self.issued += 1
        return super().next()

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        self.in_flight_entered += 1
        yield


async def test_token_request_uses_the_given_nonce_source(exchange, unique_name) -> None:
    acct = exchange.add_account(unique_name)
    source = CountingNonce()
    client = SpotWSClient(acct.spot_key, acct.spot_secret, no_public=True, rest_url=exchange.url, nonce_source=source)
    try:
        token = await client.get_ws_token()
    finally:
        await client.close()
    assert token["token"] and source.issued == 1 and source.in_flight_entered == 1
