"""Kraken Spot WebSocket API v2 client (:class:`SpotWSClient`), with the reference's API.

One client holds up to three connections: public (``ws_url``) unless ``no_public``,
authenticated (``auth_ws_url``) when ``key`` and ``secret`` are given, and, opened on the
first ``level3`` subscription, the Level 3 connection (``l3_ws_url``: Kraken serves the
authenticated ``level3`` channel on its own host, ``wss://ws-l3.kraken.com/v2``). All
reconnect by themselves (kraken_ops._core.ws): on every (re)connect the authenticated
sides fetch a fresh token from ``GetWebSocketsToken`` at ``rest_url``, and every side
resubscribes everything that was subscribed. Messages reach :meth:`SpotWSClient.on_message` (or
``callback``) through a bounded buffer; kraken-ops' own messages carry a ``kraken_ops``
key (``reconnecting``, ``reconnected``, ``overflow``, ``max_reconnect``, ``error``).

The trading helpers (:meth:`SpotWSClient.add_order` ...) send one request with a fresh
``req_id``, wait for Kraken's response with that ``req_id`` and return its ``result``, or
raise the exception class Kraken's error string maps to.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
from decimal import Decimal
from typing import Any, Callable

from kraken_ops._core.ws import ClientLifecycle, Dispatcher, ReconnectingWebSocket
from kraken_ops.exceptions import KrakenAuthRequiredError, KrakenTimeoutError, spot_error_class

__all__ = ["SpotWSClient"]

LOG = logging.getLogger(__name__)

PUBLIC_CHANNELS = ["book", "instrument", "ohlc", "ticker", "trade"]
PRIVATE_CHANNELS = ["executions", "balances", "level3"]
PRIVATE_METHODS = [
    "add_order",
    "amend_order",
    "batch_add",
    "batch_cancel",
    "cancel_all",
    "cancel_all_orders_after",
    "cancel_order",
    "edit_order",
]
# parameters Kraken wants as JSON numbers; strings given by callers are turned into Decimals
_NUMERIC = frozenset(
    {"order_qty", "limit_price", "display_qty", "cash_order_qty", "trigger_price", "price", "stop_price", "qty", "timeout"}
)


def _numbers(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if key in _NUMERIC and isinstance(value, str):
            value = Decimal(value)
        elif isinstance(value, float):
            value = Decimal(repr(value))  # never send a float's binary artefacts
        elif isinstance(value, dict):
            value = _numbers(value)
        elif isinstance(value, list):
            value = [_numbers(v) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def _sub_key(params: dict[str, Any], symbol: Any) -> tuple[Any, ...]:
    extra = tuple(sorted((k, str(v)) for k, v in params.items() if k not in ("channel", "symbol", "token", "snapshot")))
    return (params.get("channel"), symbol, extra)


class SpotWSClient(ClientLifecycle):
    """Kraken Spot WebSocket v2 client (public and authenticated connections).

    >>> async def on_message(message):  # doctest: +SKIP
    ...     print(message)
    >>> async with SpotWSClient(callback=on_message) as client:  # doctest: +SKIP
    ...     await client.subscribe(params={"channel": "ticker", "symbol": ["BTC/USD"]})
    ...     await asyncio.sleep(10)

    Reliability knobs (kraken-ops additions, keyword-only): ``max_reconnect_attempts``,
    ``ping_interval``, ``backoff_base``, ``backoff_max``, ``max_buffer`` (messages held
    for a slow consumer before the oldest are dropped), ``request_timeout`` (trading
    helpers).
    """

    REST_URL = "https://api.kraken.com"
    WS_URL = "wss://ws.kraken.com/v2"
    AUTH_WS_URL = "wss://ws-auth.kraken.com/v2"
    L3_WS_URL = "wss://ws-l3.kraken.com/v2"

    def __init__(
        self,
        key: str = "",
        secret: str = "",
        callback: Callable[..., Any] | None = None,
        *,
        no_public: bool = False,
        rest_url: str | None = None,
        ws_url: str | None = None,
        auth_ws_url: str | None = None,
        l3_ws_url: str | None = None,
        max_reconnect_attempts: int = 10,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_buffer: int = 10_000,
        request_timeout: float = 10.0,
        nonce_source: Any = None,
        otp: Any = None,
    ) -> None:
        from kraken_ops._core.otp import check_source

        self._key = key or ""
        self._nonce_source = nonce_source
        self.__secret = secret or ""
        self.__otp = check_source(otp)  # a key with 2FA: sent with GetWebSocketsToken (a private REST call)
        self._callback = callback
        self._no_public = no_public
        self._rest_url = (rest_url or self.REST_URL).rstrip("/")
        self._ws_url = ws_url or self.WS_URL
        self._auth_ws_url = auth_ws_url or self.AUTH_WS_URL
        self._l3_ws_url = l3_ws_url or self.L3_WS_URL
        self._conn_options = {
            "max_reconnect_attempts": max_reconnect_attempts,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "backoff_base": backoff_base,
            "backoff_max": backoff_max,
        }
        self._max_buffer = max_buffer
        self.request_timeout = request_timeout
        self._public: ReconnectingWebSocket | None = None
        self._private: ReconnectingWebSocket | None = None
        self._l3: ReconnectingWebSocket | None = None  # opened on the first level3 subscription
        self._l3_token: str | None = None
        self._dispatcher: Dispatcher | None = None
        self._rest: Any = None
        self._token: str | None = None
        self.token_fetches = 0
        # what the user asked for (replayed after a reconnect) and what Kraken acknowledged
        self._intent: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {"public": {}, "private": {}, "level3": {}}
        self._active: dict[str, dict[tuple[Any, Any], dict[str, Any]]] = {"public": {}, "private": {}, "level3": {}}
        self._pending: dict[int, list[asyncio.Future[dict[str, Any]]]] = {}
        self._req_ids = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:  # never show the secret
        return (
            f"{type(self).__name__}(key={'***' if self._key else ''!r}, ws_url={self._ws_url!r}, "
            f"auth_ws_url={self._auth_ws_url!r}, l3_ws_url={self._l3_ws_url!r})"
        )

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def _is_auth(self) -> bool:
        return bool(self._key and self.__secret)

    async def start(self) -> None:
        """Open the connections (public unless ``no_public``; authenticated with credentials)."""
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(self._deliver, self._max_buffer)
        self._dispatcher.start()
        starts = []
        if not self._no_public and self._public is None:
            self._public = self._make_connection("public", self._ws_url)
            starts.append(self._public.start())
        if self._is_auth and self._private is None:
            self._private = self._make_connection("private", self._auth_ws_url)
            starts.append(self._private.start())
        try:
            await asyncio.gather(*starts)
        except BaseException:
            await self.close()
            raise

    def _make_connection(self, name: str, url: str) -> ReconnectingWebSocket:
        return ReconnectingWebSocket(
            url,
            name=name,
            on_frame=lambda message: self._on_frame(name, message),
            on_open=lambda reconnect: self._on_open(name, reconnect),
            on_notice=self._push,
            app_ping=lambda: {"method": "ping", "req_id": next(self._req_ids)},
            **self._conn_options,
        )

    async def close(self) -> None:
        """Close the connections (and deliver what is still buffered)."""
        for conn in (self._public, self._private, self._l3):
            if conn is not None:
                await conn.close()
        for task in list(self._tasks):
            task.cancel()
        for waiting in self._pending.values():
            for future in waiting:
                if not future.done():
                    future.set_exception(ConnectionError("the WebSocket client was closed"))
        self._pending.clear()
        if self._dispatcher is not None:
            await self._dispatcher.drain(1.0)
            await self._dispatcher.close()
        if self._rest is not None:
            await self._rest.close()
            self._rest = None
        self._public = self._private = self._l3 = None

    @property
    def exception_occur(self) -> bool:
        """True if a connection stopped because of an error (e.g. :class:`MaxReconnectError`)."""
        return any(conn is not None and conn.error is not None for conn in self._connections())

    @property
    def error(self) -> BaseException | None:
        """The error that stopped a connection, if any (kraken-ops addition)."""
        for conn in self._connections():
            if conn.error is not None:
                return conn.error
        return None

    async def wait_closed(self) -> None:
        """Wait until a connection stops for good; raise the error that stopped it (kraken-ops addition)."""
        conns = self._connections()
        if not conns:
            return
        waits = [asyncio.ensure_future(c.wait_closed()) for c in conns]
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            task.result()

    @property
    def reconnects(self) -> int:
        """How many times the connections were re-established (kraken-ops addition)."""
        return sum(conn.reconnects for conn in self._connections())

    def _connections(self) -> list[ReconnectingWebSocket]:
        return [c for c in (self._public, self._private, self._l3) if c is not None]

    # -- names (reference) ---------------------------------------------------------------
    @property
    def public_channel_names(self) -> list[str]:
        """Channels of the public connection."""
        return list(PUBLIC_CHANNELS)

    @property
    def private_channel_names(self) -> list[str]:
        """Channels of the authenticated connection."""
        return list(PRIVATE_CHANNELS)

    @property
    def private_methods(self) -> list[str]:
        """Trading methods of the authenticated connection."""
        return list(PRIVATE_METHODS)

    @property
    def active_public_subscriptions(self) -> list[dict[str, Any]]:
        """Public subscriptions acknowledged by Kraken (one entry per channel and symbol)."""
        if self._public is None:
            raise ConnectionError("there is no public connection")
        return list(self._active["public"].values())

    @property
    def active_private_subscriptions(self) -> list[dict[str, Any]]:
        """Private subscriptions acknowledged by Kraken."""
        if self._private is None and self._l3 is None:
            raise ConnectionError("there is no authenticated connection")
        return list(self._active["private"].values()) + list(self._active["level3"].values())

    @classmethod
    def from_profile(cls, name: str | None = None, callback: Callable[..., Any] | None = None, **overrides: Any) -> "SpotWSClient":
        """Build a client from a kraken-ops profile: its keys, its shared nonce store (for the
        token request), and for paper or custom-URL profiles WebSocket URLs derived from the
        profile's URL (``ws://HOST:PORT/ws/v2``, ``/ws-auth/v2`` and ``/ws-l3/v2``)."""
        from kraken_ops.profiles import client_kwargs

        kwargs = client_kwargs(name, market="spot")
        options: dict[str, Any] = {"nonce_source": kwargs.get("nonce_source"), "otp": kwargs.get("otp")}
        url = (kwargs.get("url") or "").rstrip("/")
        if url and url != cls.REST_URL.rstrip("/"):
            ws_base = "ws" + url[len("http") :] if url.startswith("http") else url
            options.update(rest_url=url, ws_url=ws_base + "/ws/v2", auth_ws_url=ws_base + "/ws-auth/v2", l3_ws_url=ws_base + "/ws-l3/v2")
        options.update(overrides)
        return cls(kwargs.get("key", ""), kwargs.get("secret", ""), callback, **options)

    # -- REST (the reference's WS client is also a Spot REST client) ---------------------
    def _make_rest(self) -> Any:
        from kraken_ops.spot.base import SpotAsyncClient

        return SpotAsyncClient(self._key, self.__secret, url=self._rest_url, nonce_source=self._nonce_source, otp=self.__otp)

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, Any] | None = None,
        timeout: int = 10,
        *,
        auth: bool = True,
        do_json: bool = False,
        return_raw: bool = False,
        query_str: str | None = None,
        extra_params: str | dict[str, Any] | None = None,
        otp: Any = None,
    ) -> Any:
        """A Spot REST request at ``rest_url`` with this client's key (reference API); ``otp=`` as on the REST clients.

        >>> await client.request("GET", "/0/public/Time", auth=False)  # doctest: +SKIP
        """
        return await self._rest_client().request(
            method, uri, params, timeout, auth=auth, do_json=do_json, return_raw=return_raw, query_str=query_str, extra_params=extra_params,
            otp=otp,
        )

    # -- token ---------------------------------------------------------------------------
    async def get_ws_token(self) -> dict[str, Any]:
        """Fetch a WebSocket token from ``GetWebSocketsToken`` (used on every authenticated (re)connect)."""
        result: dict[str, Any] = await self._rest_client().request("POST", "/0/private/GetWebSocketsToken")
        self.token_fetches += 1
        return result

    # -- sending -------------------------------------------------------------------------
    def _is_private(self, message: dict[str, Any]) -> bool:
        method = message.get("method")
        if method in self.private_methods:
            return True
        params = message.get("params") or {}
        return params.get("channel") in self.private_channel_names

    @staticmethod
    def _is_level3(message: dict[str, Any]) -> bool:
        params = message.get("params") or {}
        return isinstance(params, dict) and params.get("channel") == "level3"

    def _connection_for(self, private: bool) -> ReconnectingWebSocket:
        conn = self._private if private else self._public
        if conn is None:
            if private:
                raise KrakenAuthRequiredError("this channel or method needs the authenticated connection (key and secret)")
            raise ConnectionError("there is no public connection (no_public=True or not started)")
        return conn

    async def send_message(self, message: dict[str, Any] | str, *, raw: bool = False) -> None:
        """Send ``message`` on the right connection; the token is added unless ``raw=True``.

        >>> await client_auth.send_message(message={"method": "cancel_all"})  # doctest: +SKIP
        """
        if isinstance(message, str):
            from kraken_ops._core.ws import loads

            parsed = loads(message)
            if isinstance(parsed, dict) and self._is_level3(parsed):
                await (await self._level3_connection()).send(message)
                return
            private = self._is_private(parsed)
            await self._connection_for(private).send(message)
            return
        if self._is_level3(message):
            conn = await self._level3_connection()
            if not raw:
                if self._l3_token is None:
                    await conn.wait_ready(self.request_timeout)
                message = {**message, "params": {**message["params"], "token": self._l3_token}}
            await conn.send(message)
            return
        private = self._is_private(message)
        conn = self._connection_for(private)
        if private and not raw:
            if self._token is None:
                await conn.wait_ready(self.request_timeout)
            params = dict(message.get("params") or {})
            params["token"] = self._token
            message = {**message, "params": params}
        await conn.send(message)

    async def _level3_connection(self) -> ReconnectingWebSocket:
        """The Level 3 connection (``l3_ws_url``), opened on first use; needs key and secret."""
        if self._l3 is None:
            if not self._is_auth:
                raise KrakenAuthRequiredError("the level3 channel needs an API key and secret (its own authenticated host)")
            if self._dispatcher is None:
                raise ConnectionError("the client is not started")
            self._l3 = self._make_connection("level3", self._l3_ws_url)
            try:
                await self._l3.start()
            except BaseException:
                conn, self._l3 = self._l3, None
                await conn.close()
                raise
        return self._l3

    async def subscribe(self, params: dict[str, Any], req_id: int | None = None) -> None:
        """Subscribe to a channel; acks and data arrive through :meth:`on_message`.

        >>> await client.subscribe(params={"channel": "ticker", "symbol": ["BTC/USD"]})  # doctest: +SKIP
        """
        await self._subscription("subscribe", params, req_id)

    async def unsubscribe(self, params: dict[str, Any], req_id: int | None = None) -> None:
        """Unsubscribe from a channel.

        >>> await client.unsubscribe(params={"channel": "ticker", "symbol": ["BTC/USD"]})  # doctest: +SKIP
        """
        await self._subscription("unsubscribe", params, req_id)

    async def _subscription(self, method: str, params: dict[str, Any], req_id: int | None) -> None:
        if not isinstance(params, dict) or "channel" not in params:
            raise TypeError("params must be a dict with a 'channel'")
        channel = params["channel"]
        private = channel in self.private_channel_names
        if not private and channel not in self.public_channel_names:
            raise ValueError(f"unknown channel {channel!r}; public: {self.public_channel_names}, private: {self.private_channel_names}")
        if channel == "level3":
            conn = await self._level3_connection()
            side = "level3"
        else:
            conn = self._connection_for(private)
            side = "private" if private else "public"
        symbols = params.get("symbol")
        intent = self._intent[side]
        clean = {k: v for k, v in params.items() if k != "token"}
        for symbol in symbols if isinstance(symbols, list) else [symbols]:
            key = _sub_key(clean, symbol)
            if method == "subscribe":
                intent[key] = {**clean, **({"symbol": [symbol]} if symbol is not None else {})}
            else:
                intent.pop(key, None)
        message: dict[str, Any] = {"method": method, "params": _numbers(clean)}
        if req_id is not None:
            message["req_id"] = req_id
        if not conn.ready:
            return  # on_open replays the remembered subscriptions when the connection is back
        await self.send_message(message)

    async def _resubscribe(self, side: str) -> None:
        """Send one subscribe per (channel, parameters) group of the remembered subscriptions."""
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for (channel, symbol, extra), params in list(self._intent[side].items()):
            group = groups.setdefault((channel, extra), {**params, "symbol": []} if symbol is not None else dict(params))
            if symbol is not None:
                group["symbol"].append(symbol)
        conn = self._l3 if side == "level3" else self._connection_for(side == "private")
        assert conn is not None
        for params in groups.values():
            body = _numbers(params)
            if side == "private":
                body["token"] = self._token
            elif side == "level3":
                body["token"] = self._l3_token
            await conn.send({"method": "subscribe", "params": body})

    async def _on_open(self, side: str, reconnect: bool) -> None:
        self._active[side].clear()
        if side == "private":
            self._token = None
            token = await self.get_ws_token()
            self._token = token["token"]
        elif side == "level3":
            self._l3_token = None
            token = await self.get_ws_token()
            self._l3_token = token["token"]
        await self._resubscribe(side)

    # -- receiving -----------------------------------------------------------------------
    def _on_frame(self, side: str, message: Any) -> None:
        """Reader hook (never blocks): bookkeeping, then the message goes to the buffer."""
        if isinstance(message, dict) and "method" in message:
            self._bookkeep(side, message)
        out = self._preprocess(message)
        if out is not None:
            self._push(out)

    def _push(self, message: Any) -> None:
        if self._dispatcher is not None:
            self._dispatcher.push(message)

    def _preprocess(self, message: Any) -> Any:
        """Hook for subclasses, run in the reader; return what to hand to :meth:`on_message` (None: nothing)."""
        return message

    def _bookkeep(self, side: str, message: dict[str, Any]) -> None:
        method = message.get("method")
        req_id = message.get("req_id")
        if method in ("subscribe", "unsubscribe"):
            result = message.get("result") or {}
            if message.get("success") and result:
                key = (result.get("channel"), result.get("symbol"))
                if method == "subscribe":
                    self._active[side][key] = dict(result)
                else:
                    self._active[side].pop(key, None)
        if req_id is not None and method != "pong":
            waiting = self._pending.get(req_id)
            if waiting:
                for future in waiting:
                    if not future.done():
                        future.set_result(message)
                        break

    async def _deliver(self, message: Any) -> None:
        await self.on_message(message)

    async def on_message(self, message: dict[str, Any] | list[Any]) -> None:
        """Receives every message; calls ``callback`` if given. Override it in a subclass."""
        if self._callback is not None:
            result = self._callback(message)
            if inspect.isawaitable(result):
                await result
        else:
            LOG.debug("message without a callback: %s", message)

    # -- trading helpers -----------------------------------------------------------------
    async def send_request(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None, expect: int = 1) -> Any:
        """Send a trading ``method`` and return its ``result``, or raise the mapped exception.

        ``expect`` is how many responses Kraken sends for this ``req_id`` (``cancel_order``
        answers once per order); with more than one, the list of results is returned.

        >>> await client.send_request("cancel_all")  # doctest: +SKIP
        {'count': 2}
        """
        conn = self._connection_for(True)
        wait = timeout or self.request_timeout
        await conn.wait_ready(wait)
        req_id = next(self._req_ids)
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(max(1, expect))]
        self._pending[req_id] = futures  # type: ignore[assignment]
        message: dict[str, Any] = {"method": method, "req_id": req_id, "params": _numbers(params or {})}
        try:
            await self.send_message(message)
            responses = await asyncio.wait_for(asyncio.gather(*futures), wait)
        except asyncio.TimeoutError:
            raise KrakenTimeoutError(f"no response to {method} (req_id {req_id}) within {wait}s") from None
        finally:
            self._pending.pop(req_id, None)
        for response in responses:
            if not response.get("success", False):
                error = str(response.get("error") or "unknown error")
                cls = spot_error_class(error)
                raise cls(f"{method}: {error}", kraken_error=error, response=responses if len(responses) > 1 else response)
        results = [response.get("result") for response in responses]
        return results[0] if len(results) == 1 else results

    async def add_order(self, order_type: str, side: str, order_qty: Any, symbol: str, *, limit_price: Any = None, **params: Any) -> dict[str, Any]:
        """Place an order; returns ``{"order_id": ..., ...}``.

        >>> await client.add_order("limit", "buy", "0.01", "BTC/USD", limit_price="25000")  # doctest: +SKIP
        {'order_id': 'OABCDE-...'}
        """
        body = {"order_type": order_type, "side": side, "order_qty": order_qty, "symbol": symbol, "limit_price": limit_price, **params}
        return await self.send_request("add_order", body)  # type: ignore[no-any-return]

    async def amend_order(self, *, order_id: str | None = None, cl_ord_id: str | None = None, **params: Any) -> dict[str, Any]:
        """Amend an order in place (keeps queue priority where Kraken allows); returns ``{"amend_id", ...}``."""
        return await self.send_request("amend_order", {"order_id": order_id, "cl_ord_id": cl_ord_id, **params})  # type: ignore[no-any-return]

    async def edit_order(self, order_id: str, symbol: str, **params: Any) -> dict[str, Any]:
        """Edit (cancel and replace) an order; returns ``{"order_id", "original_order_id"}``."""
        return await self.send_request("edit_order", {"order_id": order_id, "symbol": symbol, **params})  # type: ignore[no-any-return]

    async def cancel_order(
        self, order_id: list[str] | None = None, *, cl_ord_id: list[str] | None = None, order_userref: list[int] | None = None
    ) -> dict[str, Any]:
        """Cancel orders by id, client id or userref.

        Kraken answers once per order: returns that result (``{"order_id": ...}``) for one
        order, the list of results for several; raises on the first failure.
        """
        expect = len(order_id or []) + len(cl_ord_id or []) + len(order_userref or [])
        body = {"order_id": order_id, "cl_ord_id": cl_ord_id, "order_userref": order_userref}
        return await self.send_request("cancel_order", body, expect=max(1, expect))  # type: ignore[no-any-return]

    async def cancel_all(self) -> dict[str, Any]:
        """Cancel every open order; returns ``{"count": n}``."""
        return await self.send_request("cancel_all")  # type: ignore[no-any-return]

    async def cancel_all_orders_after(self, timeout: int) -> dict[str, Any]:
        """Dead man's switch: cancel everything after ``timeout`` seconds (0 disables)."""
        return await self.send_request("cancel_all_orders_after", {"timeout": timeout})  # type: ignore[no-any-return]

    async def batch_add(self, symbol: str, orders: list[dict[str, Any]], **params: Any) -> Any:
        """Place 2 to 15 orders on one pair; returns the list of results."""
        return await self.send_request("batch_add", {"symbol": symbol, "orders": orders, **params})

    async def batch_cancel(self, orders: list[str], **params: Any) -> dict[str, Any]:
        """Cancel up to 50 orders by id or userref; returns ``{"count": n}``."""
        return await self.send_request("batch_cancel", {"orders": orders, **params})  # type: ignore[no-any-return]

