"""Transport behaviour: non-JSON answers, 5xx, retries, Futures envelopes, timeouts."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from kraken_ops import exceptions as exc
from kraken_ops._core import client as client_mod
from kraken_ops.futures.base import FuturesAsyncClient, FuturesClient
from kraken_ops.spot.base import SpotAsyncClient, SpotClient

SECRET = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr"  # base64("secret-value-that-must-never-leak")


class Script:
    """Answers queued per request; records what arrived."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, str, bytes]] = []
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []

    def next(self) -> tuple[int, str, bytes]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Script]]:
    monkeypatch.setattr(client_mod, "BACKOFF_BASE", 0.001)
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append((self.command, self.path, dict(self.headers), body))
            status, ctype, payload = script.next()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", script
    httpd.shutdown()


def ok(result: object) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps({"error": [], "result": result}).encode()


HTML_502 = (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>")


def test_numbers_parse_to_decimal_not_float(server) -> None:
    url, script = server
    script.answers = [(200, "application/json", b'{"error":[],"result":{"price":"30010.1","opentm":1688666559.8974}}')]
    result = SpotClient(url=url).request("GET", "/0/public/Ticker", auth=False)
    assert result == {"price": "30010.1", "opentm": Decimal("1688666559.8974")}


def test_public_get_retries_5xx_then_succeeds(server) -> None:
    url, script = server
    script.answers = [HTML_502, HTML_502, ok({"unixtime": 1})]
    assert SpotClient(url=url).request("GET", "/0/public/Time", auth=False) == {"unixtime": 1}
    assert len(script.seen) == 3


def test_html_502_raises_typed_error_with_status_and_body_start(server) -> None:
    url, script = server
    script.answers = [HTML_502]
    with pytest.raises(exc.KrakenUnexpectedResponseError) as info:
        SpotClient(url=url).request("GET", "/0/public/Time", auth=False)
    assert info.value.status == 502
    assert info.value.body_start.startswith("<html><body><h1>502 Bad Gateway")
    assert len(script.seen) == client_mod.PUBLIC_RETRIES


def test_private_request_is_never_retried(server) -> None:
    url, script = server
    script.answers = [HTML_502]
    client = SpotClient(key="key", secret=SECRET, url=url)
    with pytest.raises(exc.KrakenOutcomeUnknownError) as info:  # a 502 after sending: Kraken may have the order
        client.request("POST", "/0/private/AddOrder", {"pair": "XBTUSD"})
    assert len(script.seen) == 1
    assert isinstance(info.value.__cause__, exc.KrakenUnexpectedResponseError)
    assert "secret-value" not in str(info.value) and SECRET not in str(info.value)


def test_non_json_200_is_unexpected_response(server) -> None:
    url, script = server
    script.answers = [(200, "text/plain", b"hello proxy")]
    with pytest.raises(exc.KrakenUnexpectedResponseError) as info:
        SpotClient(url=url).request("GET", "/0/public/Time", auth=False)
    assert info.value.status == 200 and info.value.body_start == "hello proxy"


def test_kraken_error_maps_to_class_and_keeps_the_string(server) -> None:
    url, script = server
    script.answers = [(200, "application/json", b'{"error":["EGeneral:Invalid arguments:volume"]}')]
    with pytest.raises(exc.KrakenInvalidArgumentsError) as info:
        SpotClient(key="k", secret=SECRET, url=url).request("POST", "/0/private/AddOrder", {"volume": "x"})
    assert info.value.kraken_error == "EGeneral:Invalid arguments:volume"


def test_connection_refused_is_network_error() -> None:
    client = SpotClient(url="http://127.0.0.1:9")
    client_mod.BACKOFF_BASE, saved = 0.001, client_mod.BACKOFF_BASE
    try:
        with pytest.raises(exc.KrakenNetworkError):
            client.request("GET", "/0/public/Time", auth=False)
    finally:
        client_mod.BACKOFF_BASE = saved


def test_private_call_without_credentials_is_config_error() -> None:
    with pytest.raises(exc.KrakenAuthRequiredError):
        SpotClient(url="http://127.0.0.1:9").request("POST", "/0/private/Balance")


@pytest.mark.parametrize(
    ("payload", "cls"),
    [
        ({"result": "error", "serverTime": "2024-01-01T00:00:00.000Z", "error": "apiLimitExceeded"}, exc.KrakenApiLimitExceededError),
        ({"result": "success", "sendStatus": {"status": "insufficientAvailableFunds"}}, exc.KrakenInsufficientAvailableFundsError),
        ({"result": "success", "sendStatus": {"status": "iocWouldNotExecute"}}, exc.KrakenUnknownError),
        ({"result": "success", "editStatus": {"status": "orderForEditNotFound"}}, exc.KrakenOrderForEditNotFoundError),
        ({"result": "success", "cancelStatus": {"status": "notFound"}}, exc.KrakenNotFoundError),
        ({"result": "success", "batchStatus": [{"status": "placed"}, {"status": "invalidSize"}]}, exc.KrakenInvalidOrderError),
    ],
)
def test_futures_failures_raise(server, payload: dict, cls: type) -> None:
    url, script = server
    script.answers = [(200, "application/json", json.dumps(payload).encode())]
    with pytest.raises(cls):
        FuturesClient(key="k", secret=SECRET, url=url).request("POST", "/derivatives/api/v3/sendorder", {"symbol": "PF_XBTUSD"})


@pytest.mark.parametrize("status", ["placed", "filled", "partiallyFilled", "cancelled", "edited", "noOrdersToCancel"])
def test_futures_success_outcomes_do_not_raise(server, status: str) -> None:
    url, script = server
    script.answers = [(200, "application/json", json.dumps({"result": "success", "sendStatus": {"status": status}}).encode())]
    out = FuturesClient(key="k", secret=SECRET, url=url).request("POST", "/derivatives/api/v3/sendorder")
    assert out["sendStatus"]["status"] == status


def test_futures_sandbox_url() -> None:
    assert FuturesClient(sandbox=True).url == "https://demo-futures.kraken.com"
    assert FuturesClient(url="http://127.0.0.1:1/").url == "http://127.0.0.1:1"


async def test_async_clients_share_the_behaviour(server) -> None:
    url, script = server
    script.answers = [HTML_502, ok({"unixtime": 7})]
    async with SpotAsyncClient(url=url) as client:
        assert await client.request("GET", "/0/public/Time", auth=False) == {"unixtime": 7}
    script.answers = [(200, "application/json", b'{"result":"error","error":"authenticationError"}')]
    async with FuturesAsyncClient(key="k", secret=SECRET, url=url) as fclient:
        with pytest.raises(exc.KrakenAuthenticationError):
            await fclient.request("GET", "/derivatives/api/v3/accounts")


def test_repr_never_shows_the_secret() -> None:
    client = SpotClient(key="public", secret=SECRET)
    assert SECRET not in repr(client) and "public" not in repr(client)
