"""A small recording HTTP server on loopback for wire tests.

It records every request exactly as it arrived (method, path, raw query, headers,
raw body), verifies Kraken Spot signatures with its own HMAC code (it never imports
``kraken_ops._core.signing``: a bug there must not hide itself) and checks that
nonces strictly increase per API key. It answers with a configurable body.

The server part is market-neutral: pass another ``verifier`` (for example one for
Futures ``Authent``) and it records and answers the same way.

Example::

    with RecordingServer(verifier=SpotVerifier({"key": SECRET})) as server:
        server.respond({"error": [], "result": {"unixtime": 1}})
        requests.get(server.url + "/0/public/Time")
        assert server.last.path == "/0/public/Time"
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    """One request as the server saw it, plus what the verifier concluded."""

    method: str
    path: str
    query: str  # raw query string, without '?'
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None = None  # None: the request was not signed
    nonce: str | None = None
    nonce_ok: bool | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    @property
    def query_params(self) -> dict[str, str]:
        """The query string as a dict (a repeated key keeps its last value)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    @property
    def form_pairs(self) -> list[tuple[str, str]]:
        """The form body as (key, value) pairs in wire order."""
        return parse_qsl(self.body.decode(), keep_blank_values=True, strict_parsing=bool(self.body))

    @property
    def json_body(self) -> Any:
        return json.loads(self.body)

    @property
    def is_json(self) -> bool:
        return self.content_type.split(";", 1)[0].strip() == "application/json"

    def params(self, *, drop_nonce: bool = True) -> dict[str, Any]:
        """Parameters from the body (form or JSON) or, when there is no body, the query."""
        if self.body:
            data: dict[str, Any] = dict(self.json_body) if self.is_json else dict(self.form_pairs)
        else:
            data = self.query_params
        if drop_nonce:
            data.pop("nonce", None)
        return data


Reply = tuple[int, str, bytes]  # status, content type, body


class SpotVerifier:
    """Kraken Spot ``API-Key``/``API-Sign`` check, written from kraken-protocol.md §1.3.

    ``API-Sign = base64(HMAC-SHA512(b64decode(secret), path + SHA256(nonce + raw body)))``.
    Returns the Kraken error string to answer with, or ``None`` when the request is fine.
    """

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = dict(secrets)
        self._last_nonce: dict[str, int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def signature(secret: str, path: str, nonce: str, body: bytes) -> str:
        try:
            key = base64.b64decode(secret, validate=True)
        except (binascii.Error, ValueError):
            key = b""
        digest = hashlib.sha256(nonce.encode() + body).digest()
        return base64.b64encode(hmac.new(key, path.encode() + digest, hashlib.sha512).digest()).decode()

    def __call__(self, rec: Recorded) -> str | None:
        api_key = rec.header("API-Key")
        if api_key is None and rec.header("API-Sign") is None:
            return None  # public request
        secret = self.secrets.get(api_key or "")
        if secret is None:
            rec.problems.append("unknown API-Key")
            return "EAPI:Invalid key"
        nonce = self._nonce_of(rec)
        rec.nonce = nonce
        if nonce is None:
            rec.problems.append("no nonce in body")
            rec.signature_ok = False
            return "EAPI:Invalid nonce"
        expected = self.signature(secret, rec.path, nonce, rec.body)
        rec.signature_ok = hmac.compare_digest(expected.encode(), (rec.header("API-Sign") or "").encode())
        if not rec.signature_ok:
            rec.problems.append("bad API-Sign")
            return "EAPI:Invalid signature"
        try:
            value = int(nonce)
        except ValueError:
            rec.nonce_ok = False
            rec.problems.append("nonce is not an integer")
            return "EAPI:Invalid nonce"
        with self._lock:
            last = self._last_nonce.get(api_key or "", -1)
            rec.nonce_ok = value > last
            if rec.nonce_ok:
                self._last_nonce[api_key or ""] = value
        if not rec.nonce_ok:
            rec.problems.append(f"nonce {value} not above {last}")
            return "EAPI:Invalid nonce"
        return None

    @staticmethod
    def _nonce_of(rec: Recorded) -> str | None:
        try:
            if rec.is_json:
                value = json.loads(rec.body).get("nonce")
            else:
                value = dict(parse_qsl(rec.body.decode(), keep_blank_values=True)).get("nonce")
        except (ValueError, AttributeError):
            return None
        return None if value is None else str(value)


def spot_error_reply(error: str) -> Reply:
    return 200, "application/json", json.dumps({"error": [error]}).encode()


class RecordingServer:
    """Threaded HTTP/1.1 server on 127.0.0.1 with an ephemeral port.

    ``respond()`` sets the default answer; ``respond(..., path=...)`` one for a path.
    A body may be a JSON-able object or ``bytes`` (sent as ``content_type``).
    """

    def __init__(
        self,
        verifier: Callable[[Recorded], str | None] | None = None,
        error_reply: Callable[[str], Reply] = spot_error_reply,
    ) -> None:
        self.verifier = verifier
        self.error_reply = error_reply
        self.requests: list[Recorded] = []
        self._default: Reply = (200, "application/json", b'{"error": [], "result": {}}')
        self._by_path: dict[str, Reply] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- configuration -------------------------------------------------------------
    def respond(self, body: Any, *, status: int = 200, content_type: str | None = None, path: str | None = None) -> None:
        """Answer with ``body`` (JSON-encoded unless bytes) by default, or for ``path``."""
        if isinstance(body, bytes):
            reply: Reply = (status, content_type or "application/octet-stream", body)
        else:
            reply = (status, content_type or "application/json", json.dumps(body).encode())
        with self._lock:
            if path is None:
                self._default = reply
            else:
                self._by_path[path] = reply

    def respond_result(self, result: Any, *, path: str | None = None) -> None:
        """Answer with Kraken's success envelope around ``result``."""
        self.respond({"error": [], "result": result}, path=path)

    def reset(self) -> None:
        """Forget recorded requests and per-path answers (nonce history is kept)."""
        with self._lock:
            self.requests.clear()
            self._by_path.clear()
            self._default = (200, "application/json", b'{"error": [], "result": {}}')

    @property
    def last(self) -> Recorded:
        with self._lock:
            if not self.requests:
                raise AssertionError("the recording server received no request")
            return self.requests[-1]

    # --- lifecycle -----------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> RecordingServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(self.command, parts.path, parts.query, dict(self.headers.items()), body)
                error = server.verifier(rec) if server.verifier else None
                with server._lock:
                    server.requests.append(rec)
                    reply = server._by_path.get(parts.path, server._default)
                if error is not None:
                    reply = server.error_reply(error)
                status, ctype, payload = reply
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="recording-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["RecordingServer", "Recorded", "SpotVerifier", "spot_error_reply"]
