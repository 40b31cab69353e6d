"""The SDK's request observer (``observer=``) and the ``rate_limiter`` accessor of a client."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from kraken_ops import exceptions as kx
from kraken_ops._core.client import RequestEvent
from kraken_ops.futures.base import FuturesAsyncClient
from kraken_ops.spot.base import SpotAsyncClient, SpotClient

SECRET = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr"


@pytest.fixture()
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.path.startswith("/0/private/"):
                body = {"error": ["EGeneral:Permission denied"]}
            elif self.path.startswith("/derivatives/"):
                body = {"result": "success", "tickers": []}
            else:
                body = {"error": [], "result": {"unixtime": 1}}
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_sync_client_reports_each_request_with_its_outcome(server):
    events: list[RequestEvent] = []
    client = SpotClient(key="k", secret=SECRET, url=server, observer=events.append, rate_limit=False)
    assert client.request("GET", "/0/public/Time", auth=False) == {"unixtime": 1}
    with pytest.raises(kx.KrakenPermissionDeniedError):
        client.request("POST", "/0/private/Balance")
    client.close()
    ok, failed = events
    assert (ok.market, ok.method, ok.path, ok.auth, ok.error) == ("spot", "GET", "/0/public/Time", False, None)
    assert (failed.method, failed.path, failed.auth) == ("POST", "/0/private/Balance", True)
    assert isinstance(failed.error, kx.KrakenPermissionDeniedError)
    assert ok.seconds >= 0 and failed.seconds >= 0


def test_async_clients_report_requests_too(server):
    events: list[RequestEvent] = []

    async def go() -> None:
        spot = SpotAsyncClient(url=server, observer=events.append)
        futures = FuturesAsyncClient(url=server, observer=events.append)
        try:
            await spot.request("GET", "/0/public/Time", auth=False)
            await futures.request("GET", "/derivatives/api/v3/tickers", auth=False)
        finally:
            await spot.close()
            await futures.close()

    asyncio.run(go())
    assert [(e.market, e.path, e.error) for e in events] == [("spot", "/0/public/Time", None), ("futures", "/derivatives/api/v3/tickers", None)]


def test_a_failing_observer_never_breaks_the_request(server):
    def broken(event: RequestEvent) -> None:
        raise RuntimeError("observer bug")

    with SpotClient(url=server, observer=broken) as client:
        assert client.request("GET", "/0/public/Time", auth=False) == {"unixtime": 1}


def test_rate_limiter_is_the_keys_limiter_or_none():
    assert SpotClient().rate_limiter is None
    assert SpotClient(key="k", secret=SECRET, rate_limit=False).rate_limiter is None
    limiter = SpotClient(key="observer-test-key", secret=SECRET, tier="starter").rate_limiter
    assert limiter.maximum == 15.0 and limiter.level == 0.0
