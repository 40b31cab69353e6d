"""Kraken Futures ``Authent`` verification for the loopback recording server.

Plugs into :class:`tests.wire.recorder.RecordingServer` (market-neutral) as its
``verifier``. The check is written from kraken-protocol.md §3.2 with hashlib/hmac
directly; it never imports ``kraken_ops._core.signing``:

    postData     = raw query string + raw body, exactly as received
    endpointPath = URL path without the ``/derivatives`` prefix
    Authent      = base64(HMAC-SHA512(b64decode(secret), SHA256(postData + Nonce + endpointPath)))

The ``Nonce`` header is optional for Kraken (an absent one hashes as ``""``); when it is
present it must increase per ``APIKey``. A failing request is answered with Kraken's
Futures error envelope and recorded with ``signature_ok``/``nonce_ok`` set.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import parse_qsl

import pytest

try:  # run as part of the tests package or from tests/wire directly
    from tests.wire.recorder import Recorded, RecordingServer, Reply
except ImportError:  # pragma: no cover
    from recorder import Recorded, RecordingServer, Reply  # type: ignore[no-redef]


def authent(secret: str, path: str, nonce: str, post_data: str) -> str:
    """The ``Authent`` Kraken expects, computed independently of the SDK."""
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    endpoint = path[len("/derivatives") :] if path.startswith("/derivatives") else path
    digest = hashlib.sha256((post_data + nonce + endpoint).encode()).digest()
    return base64.b64encode(hmac.new(key, digest, hashlib.sha512).digest()).decode()


class FuturesVerifier:
    """Check ``APIKey``/``Authent``/``Nonce`` of every signed request; public ones pass through."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = dict(secrets)
        self._last_nonce: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, rec: Recorded) -> str | None:
        api_key = rec.header("APIKey")
        if api_key is None and rec.header("Authent") is None:
            return None
        secret = self.secrets.get(api_key or "")
        if secret is None:
            rec.problems.append("unknown APIKey")
            rec.signature_ok = False
            return "authenticationError"
        nonce = rec.header("Nonce") or ""
        rec.nonce = nonce
        post_data = rec.query + rec.body.decode("utf-8", "replace")
        expected = authent(secret, rec.path, nonce, post_data)
        rec.signature_ok = hmac.compare_digest(expected.encode(), (rec.header("Authent") or "").encode())
        if not rec.signature_ok:
            rec.problems.append("bad Authent")
            return "authenticationError"
        if nonce:
            try:
                value = int(nonce)
            except ValueError:
                rec.nonce_ok = False
                rec.problems.append("Nonce is not an integer")
                return "nonceBelowThreshold"
            with self._lock:
                last = self._last_nonce.get(api_key or "", -1)
                rec.nonce_ok = value > last
                if rec.nonce_ok:
                    self._last_nonce[api_key or ""] = value
            if not rec.nonce_ok:
                rec.problems.append(f"Nonce {value} not above {last}")
                return "nonceDuplicate"
        return None


def futures_error_reply(error: str) -> Reply:
    """Kraken Futures' error envelope (kraken-protocol.md §3.3)."""
    body = {"result": "error", "serverTime": "2023-04-04T17:00:00.000Z", "error": error}
    return 200, "application/json", json.dumps(body).encode()


SUCCESS = {"result": "success", "serverTime": "2023-04-04T17:00:00.000Z"}


def futures_server(secrets: dict[str, str]) -> RecordingServer:
    """A (not yet started) recording server that verifies Futures signatures."""
    server = RecordingServer(verifier=FuturesVerifier(secrets), error_reply=futures_error_reply)
    server.respond(SUCCESS)
    return server


# --- table-driven wire tests ----------------------------------------------------------------
KEY = "futures-wire-test-key"
SECRET = base64.b64encode(b"kraken-ops futures wire-test secret: never a real key, 64 bytes!!").decode()
FLAVOURS = ("sync", "async")


@dataclass
class Case:
    """One endpoint call and what must arrive on the wire."""

    method: str
    kwargs: dict[str, Any]
    http: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    body: list[tuple[str, str]] = field(default_factory=list)
    auth: bool = False
    raw_query: str | None = None  # exact query text, when the encoding itself matters
    raw_body: str | None = None  # exact body text, when the encoding itself matters
    name: str | None = None

    @property
    def id(self) -> str:
        return self.name or self.method


@pytest.fixture(scope="module")
def futures_wire() -> Iterator[RecordingServer]:
    """One verifying recording server for a test module."""
    with futures_server({KEY: SECRET}) as server:
        yield server


@pytest.fixture
def server(futures_wire: RecordingServer) -> RecordingServer:
    """The module's server, emptied and answering Kraken's bare success envelope."""
    futures_wire.reset()
    futures_wire.respond(SUCCESS)
    return futures_wire


def make_client(cls: type, server: RecordingServer, **kwargs: Any) -> Any:
    """A client of ``cls`` pointed at the recording server, without the client-side limiter."""
    kwargs.setdefault("key", KEY)
    kwargs.setdefault("secret", SECRET)
    return cls(url=server.url, rate_limit=False, **kwargs)


def invoke(cls: type, server: RecordingServer, method: str, /, *args: Any, **kwargs: Any) -> Any:
    """Call ``method`` on a fresh client of ``cls`` (sync or async) and return its result."""
    client = make_client(cls, server)
    if getattr(cls, "__aenter__", None) is None:
        with client:
            return getattr(client, method)(*args, **kwargs)

    async def run() -> Any:
        async with client:
            return await getattr(client, method)(*args, **kwargs)

    return asyncio.run(run())


def assert_wire(rec: Recorded, case: Case) -> None:
    """Assert that one recorded request is exactly what ``case`` expects."""
    assert rec.method == case.http, f"{case.id}: HTTP method"
    assert rec.path == case.path, f"{case.id}: path"
    assert sorted(parse_qsl(rec.query, keep_blank_values=True)) == sorted(case.query), f"{case.id}: query {rec.query!r}"
    if case.raw_query is not None:
        assert rec.query == case.raw_query, f"{case.id}: raw query"
    got_body = parse_qsl(rec.body.decode(), keep_blank_values=True) if rec.body else []
    assert sorted(got_body) == sorted(case.body), f"{case.id}: body {rec.body!r}"
    if case.raw_body is not None:
        assert rec.body.decode() == case.raw_body, f"{case.id}: raw body"
    if case.body:
        assert rec.content_type.startswith("application/x-www-form-urlencoded"), f"{case.id}: content type"
    if case.http in ("GET", "PUT", "DELETE"):
        assert rec.body == b"", f"{case.id}: a {case.http} carries its parameters in the query"
    if case.auth:
        assert rec.header("APIKey") == KEY, f"{case.id}: APIKey header"
        assert rec.signature_ok is True, f"{case.id}: Authent rejected by the independent verifier: {rec.problems}"
        assert rec.nonce_ok is True, f"{case.id}: Nonce: {rec.problems}"
    else:
        assert rec.header("APIKey") is None and rec.header("Authent") is None, f"{case.id}: public call must not be signed"


def run_case(classes: dict[str, type], flavour: str, server: RecordingServer, case: Case) -> Any:
    """Send ``case`` with the sync or async class and check the wire; returns the parsed result."""
    result = invoke(classes[flavour], server, case.method, **case.kwargs)
    assert len(server.requests) == 1, f"{case.id}: expected one request, got {len(server.requests)}"
    assert_wire(server.last, case)
    return result


def endpoint_methods(mixin: type) -> set[str]:
    """The public endpoint methods an endpoint mixin defines."""
    return {name for name, value in vars(mixin).items() if not name.startswith("_") and callable(value)}


__all__ = [
    "FuturesVerifier",
    "authent",
    "futures_error_reply",
    "futures_server",
    "SUCCESS",
    "KEY",
    "SECRET",
    "FLAVOURS",
    "Case",
    "futures_wire",
    "server",
    "make_client",
    "invoke",
    "assert_wire",
    "run_case",
    "endpoint_methods",
]
