"""Test-side Kraken Futures client helpers: an independent signer and a tiny REST/WS client.

The signer is written again here (not imported from the exchange) so that the tests check the
exchange's verification against a second implementation, and both against §6 vectors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp

_nonce = itertools.count(int(time.time() * 1000) * 1000)


def sign(secret: str, post_data: str, nonce: str, path: str) -> str:
    if path.startswith("/derivatives"):
        path = path[len("/derivatives"):]
    h = hashlib.sha256((post_data + nonce + path).encode()).digest()
    return base64.b64encode(hmac.new(base64.b64decode(secret), h, hashlib.sha512).digest()).decode()


def sign_challenge(secret: str, challenge: str) -> str:
    h = hashlib.sha256(challenge.encode()).digest()
    return base64.b64encode(hmac.new(base64.b64decode(secret), h, hashlib.sha512).digest()).decode()


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


class FuturesAPI:
    """Signs like python-kraken-sdk: GET/PUT params in the query, POST params in the body."""

    def __init__(self, session: aiohttp.ClientSession, url: str, key: str = "", secret: str = "") -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.key = key
        self.secret = secret

    async def request(self, method: str, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None,
                      *, auth: bool = True, nonce: str | None = "auto", body: str | None = None,
                      query: str | None = None, sign_data: str | None = None, headers: dict[str, str] | None = None,
                      raw: bool = False) -> Any:
        params = params or {}
        encoded = urlencode(params, doseq=True)
        if method in ("GET", "PUT", "DELETE"):
            q, b = (encoded if query is None else query), (body or "")
        else:
            q, b = (query or ""), (encoded if body is None else body)
        hdrs = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        if auth:
            n = str(next(_nonce)) if nonce == "auto" else nonce
            hdrs["APIKey"] = self.key
            if n is not None:
                hdrs["Nonce"] = n
            hdrs["Authent"] = sign(self.secret, sign_data if sign_data is not None else q + b, n or "", path)
        hdrs.update(headers or {})
        url = self.url + path + (("?" + q) if q else "")
        async with self.session.request(method, aiohttp.client.URL(url, encoded=True), data=b.encode() or None,
                                        headers=hdrs) as resp:
            text = await resp.text()
            if raw:
                return resp.status, resp.headers, text
            assert resp.status == 200, (resp.status, text)
            return loads(text)

    async def get(self, path: str, params: Any = None, **kw: Any) -> Any:
        return await self.request("GET", path, params, **kw)

    async def post(self, path: str, params: Any = None, **kw: Any) -> Any:
        return await self.request("POST", path, params, **kw)

    async def put(self, path: str, params: Any = None, **kw: Any) -> Any:
        return await self.request("PUT", path, params, **kw)

    async def public(self, path: str, params: Any = None) -> Any:
        return await self.request("GET", path, params, auth=False)

    # conveniences
    async def send(self, **order: Any) -> dict[str, Any]:
        r = await self.post("/derivatives/api/v3/sendorder", order)
        assert r["result"] == "success", r
        return r["sendStatus"]


class WS:
    """A Futures WebSocket client for tests."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(msg))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        return loads(msg.data)

    async def until(self, pred: Any, timeout: float = 8.0) -> dict[str, Any]:
        import asyncio
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            left = end - loop.time()
            assert left > 0, "timed out waiting for message"
            m = await self.recv(left)
            if pred(m):
                return m

    async def auth_subscribe(self, feed: str, key: str, secret: str) -> dict[str, Any]:
        await self.send({"event": "challenge", "api_key": key})
        ch = await self.until(lambda m: m.get("event") == "challenge")
        await self.send({"event": "subscribe", "feed": feed, "api_key": key, "original_challenge": ch["message"],
                         "signed_challenge": sign_challenge(secret, ch["message"])})
        return await self.until(lambda m: m.get("event") in ("subscribed", "alert", "error"))
