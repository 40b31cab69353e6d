"""Tiny scripted WebSocket servers on loopback, for the client machinery's own tests.

They speak just enough of Spot v2 and Futures v1 to drive reconnects, resubscription,
tokens, trading responses, challenges and book sequences deterministically. The full
protocol is exercised against the local exchange in test_exchange_*.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from decimal import Decimal
from typing import Any

from websockets.asyncio.server import serve


class FakeServer:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.connections = 0
        self.sockets: list[Any] = []
        self._server: Any = None
        self.port = 0
        self.refuse = False

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def __aenter__(self) -> "FakeServer":
        self._server = await serve(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def restart(self) -> None:
        await self.__aenter__()

    async def drop_all(self) -> None:
        for ws in list(self.sockets):
            await ws.close()

    async def _handle(self, ws: Any) -> None:
        self.connections += 1
        self.sockets.append(ws)
        try:
            await self.on_connect(ws)
            async for raw in ws:
                message = json.loads(raw, parse_float=Decimal)
                self.received.append(message)
                await self.on_message(ws, message)
        except Exception:  # noqa: BLE001 - connection dropped
            pass
        finally:
            self.sockets.remove(ws)

    async def on_connect(self, ws: Any) -> None:
        pass

    async def on_message(self, ws: Any, message: dict[str, Any]) -> None:
        pass


class FakeSpot(FakeServer):
    """Spot v2: status on connect, pong, per-symbol acks, a ticker message per subscription, trading replies."""

    def __init__(self, valid_tokens: set[str] | None = None) -> None:
        super().__init__()
        self.valid_tokens = valid_tokens
        self.trade_replies: dict[str, dict[str, Any]] = {}

    async def on_connect(self, ws: Any) -> None:
        await ws.send(json.dumps({"channel": "status", "type": "update", "data": [{"system": "online", "api_version": "v2"}]}))

    async def on_message(self, ws: Any, message: dict[str, Any]) -> None:
        method = message.get("method")
        req_id = message.get("req_id")
        params = message.get("params") or {}
        if method == "ping":
            await ws.send(json.dumps({"method": "pong", "req_id": req_id}))
            return
        if self.valid_tokens is not None and method != "ping" and params.get("token") not in self.valid_tokens:
            await ws.send(json.dumps({"method": method, "req_id": req_id, "success": False, "error": "EAccount:Invalid token"}))
            return
        if method in ("subscribe", "unsubscribe"):
            for symbol in params.get("symbol") or [None]:
                result = {"channel": params["channel"], **({"symbol": symbol} if symbol else {})}
                await ws.send(json.dumps({"method": method, "req_id": req_id, "success": True, "result": result}))
                if method == "subscribe" and params["channel"] == "ticker":
                    await ws.send(
                        '{"channel":"ticker","type":"snapshot","data":[{"symbol":"%s","bid":100.10,"ask":100.20,"last":100.15}]}' % symbol
                    )
            return
        reply = self.trade_replies.get(method)
        if reply is not None:
            await ws.send(json.dumps({"method": method, "req_id": req_id, **reply}))


def sign(secret: str, challenge: str) -> str:
    mac = hmac.new(base64.b64decode(secret), hashlib.sha256(challenge.encode()).digest(), hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


class FakeFutures(FakeServer):
    """Futures v1: info, challenge/response checked independently, acks, scripted book messages."""

    def __init__(self, key: str, secret: str) -> None:
        super().__init__()
        self.key, self.secret = key, secret
        self.challenges: dict[Any, str] = {}
        self.book_script: list[dict[str, Any]] = []
        # products Kraken does not know: a (public) subscription naming one is refused as a
        # whole with {"event": "error", "message": "Invalid product id"}, after error_delay
        # seconds (answers stay in request order: later requests wait for it)
        self.unknown_products: set[str] = set()
        self.error_delay = 0.0

    async def on_connect(self, ws: Any) -> None:
        await ws.send(json.dumps({"event": "info", "version": 1}))

    async def on_message(self, ws: Any, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "challenge":
            if message.get("api_key") != self.key:
                await ws.send(json.dumps({"event": "error", "message": "Invalid API key"}))
                return
            self.challenges[ws] = str(uuid.uuid4())
            await ws.send(json.dumps({"event": "challenge", "message": self.challenges[ws]}))
            return
        feed = message.get("feed")
        if event in ("subscribe", "unsubscribe") and set(message.get("product_ids") or ()) & self.unknown_products:
            await asyncio.sleep(self.error_delay)
            await ws.send(json.dumps({"event": "error", "message": "Invalid product id"}))
            return
        if event in ("subscribe", "unsubscribe"):
            if "api_key" in message or feed in ("fills", "open_orders", "balances"):
                challenge = self.challenges.get(ws)
                if challenge is None or message.get("original_challenge") != challenge or message.get("signed_challenge") != sign(self.secret, challenge):
                    await ws.send(json.dumps({"event": "error", "message": "Invalid challenge"}))
                    return
            ack = {"event": event + "d", "feed": feed}
            if message.get("product_ids"):
                ack["product_ids"] = message["product_ids"]
            await ws.send(json.dumps(ack))
            if event == "subscribe" and feed == "book":
                script, self.book_script = self.book_script, self.book_script[:1]  # later: snapshot only
                for item in script:
                    await ws.send(json.dumps(item))
            if event == "subscribe" and feed == "fills":
                await ws.send(json.dumps({"feed": "fills_snapshot", "account": "a", "fills": []}))
