"""Fixtures for the Spot wire tests: a recording server and a sync/async client runner."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterator

import pytest
from recorder import RecordingServer, SpotVerifier
from wirecheck import API_KEY, API_SECRET, make_client


@pytest.fixture(scope="session")
def spot_server() -> Iterator[RecordingServer]:
    """One recording server for the session: nonces must keep rising across tests."""
    with RecordingServer(SpotVerifier({API_KEY: API_SECRET})) as server:
        yield server


@pytest.fixture
def server(spot_server: RecordingServer) -> RecordingServer:
    spot_server.reset()
    return spot_server


@pytest.fixture(params=["sync", "async"])
def client_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def invoke(server: RecordingServer, client_kind: str) -> Callable[..., Any]:
    """``invoke("Trade", "cancel_order", txid=...)`` with a fresh sync or async client."""

    def run(group: str, name: str, /, *args: Any, **kwargs: Any) -> Any:
        if client_kind == "sync":
            with make_client(group, "sync", server.url) as client:
                return getattr(client, name)(*args, **kwargs)

        async def go() -> Any:
            async with make_client(group, "async", server.url) as client:
                return await getattr(client, name)(*args, **kwargs)

        return asyncio.run(go())

    run.kind = client_kind  # type: ignore[attr-defined]
    return run
