"""Kraken Futures WebSocket client (:class:`FuturesWSClient`) and the Futures order book.

Reference API of python-kraken-sdk's ``FuturesWSClient``, with two differences: ``url``
may be a full ``ws://`` or ``wss://`` URL (a bare host path still gets ``wss://``), and the
connection survives drops (kraken_ops._core.ws): after a reconnect a fresh challenge is
requested and signed and every subscription is sent again.

Private feeds use the challenge flow of kraken-protocol.md §5: ``{"event": "challenge",
"api_key": key}`` is answered with a UUID, which is signed with the secret
(:func:`kraken_ops._core.signing.sign_challenge`) and sent with every private
(un)subscribe. A private :meth:`FuturesWSClient.subscribe` waits for Kraken's answer and
raises :class:`~kraken_ops.exceptions.KrakenAuthenticationError` when the challenge or
its signature is rejected, so a wrong secret is a clear error rather than silence.

Public feeds are (un)subscribed one product per message, as python-kraken-sdk does: Kraken
rejects a whole list for one unknown product, and one delisted contract must not silence
the others. Answers are matched to the requests they answer (:class:`_Requests`): Kraken
answers requests in order, so an ``error`` or ``alert``, which names no request, answers
the oldest one still waiting. A public subscription's error therefore never passes for the
answer to a challenge.

Subscribing to ``book`` keeps a :class:`FuturesOrderBook` per product from
``book_snapshot`` plus deltas; a gap in ``seq`` marks the book invalid, tells the consumer
(``{"kraken_ops": "book_gap", ...}``) and resubscribes the product for a new snapshot.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncio
import inspect
import logging
from decimal import Decimal
from typing import Any, Callable

from kraken_ops._core.ws import ClientLifecycle, Dispatcher, ReconnectingWebSocket, notice
from kraken_ops.exceptions import KrakenAuthenticationError, KrakenTimeoutError

__all__ = ["FuturesWSClient", "FuturesOrderBook"]

LOG = logging.getLogger(__name__)

PUBLIC_FEEDS = ["trade", "book", "ticker", "ticker_lite", "heartbeat"]
PRIVATE_FEEDS = [
    "fills",
    "open_positions",
    "open_orders",
    "open_orders_verbose",
    "balances",
    "deposits_withdrawals",
    "account_balances_and_margins",
    "account_log",
    "notifications_auth",
]


def _rest_base(ws_url: str) -> str:
    """The REST base URL that goes with a Futures WebSocket URL."""
    parts = urlsplit(ws_url)
    if parts.hostname in ("futures.kraken.com", "demo-futures.kraken.com"):
        return f"https://{parts.hostname}"
    scheme = "https" if parts.scheme == "wss" else "http"
    return f"{scheme}://{parts.netloc}"


class FuturesOrderBook:
    """One product's book from ``book_snapshot`` and ``book`` deltas, with sequence-gap detection.

    >>> book = FuturesOrderBook("PF_XBTUSD")
    >>> book.apply({"feed": "book_snapshot", "product_id": "PF_XBTUSD", "seq": 1,
    ...             "bids": [{"price": Decimal("100"), "qty": Decimal("2")}], "asks": []})
    True
    >>> book.apply({"feed": "book", "product_id": "PF_XBTUSD", "side": "buy", "seq": 3,
    ...             "price": Decimal("101"), "qty": Decimal("1")})
    False
    >>> book.valid, book.gap
    (False, (2, 3))
    """

    __slots__ = ("product_id", "_bids", "_asks", "seq", "valid", "gap", "timestamp")

    def __init__(self, product_id: str) -> None:
        self.product_id = product_id
        self._bids: dict[Decimal, Decimal] = {}
        self._asks: dict[Decimal, Decimal] = {}
        self.seq: int | None = None
        self.valid = False
        self.gap: tuple[int, int] | None = None  # (expected seq, received seq) of the last gap
        self.timestamp: Any = None

    def apply(self, message: dict[str, Any]) -> bool:
        """Apply a snapshot or a delta; returns whether the book is valid afterwards."""
        if message.get("feed") == "book_snapshot":
            self._bids = {Decimal(lv["price"]): Decimal(lv["qty"]) for lv in message.get("bids") or () if Decimal(lv["qty"])}
            self._asks = {Decimal(lv["price"]): Decimal(lv["qty"]) for lv in message.get("asks") or () if Decimal(lv["qty"])}
            self.seq = message.get("seq")
            self.timestamp = message.get("timestamp")
            self.valid = True
            self.gap = None
            return True
        if not self.valid or self.seq is None:
            return False  # waiting for a snapshot
        seq = message.get("seq")
        if seq is not None:
            if seq <= self.seq:
                return True  # duplicate or stale delta: already contained in the book
            if seq != self.seq + 1:
                self.gap = (self.seq + 1, seq)
                self.valid = False
                return False
            self.seq = seq
        side = self._bids if message.get("side") == "buy" else self._asks
        price, qty = Decimal(message["price"]), Decimal(message["qty"])
        if qty == 0:
            side.pop(price, None)
        else:
            side[price] = qty
        self.timestamp = message.get("timestamp", self.timestamp)
        return True

    def bids(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Bid levels, highest price first."""
        return sorted(self._bids.items(), reverse=True)[:limit]

    def asks(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Ask levels, lowest price first."""
        return sorted(self._asks.items())[:limit]

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        """``{"bid": {price: qty}, "ask": {price: qty}, "valid": bool, "seq": n}``, best first."""
        return {"bid": dict(self.bids(limit)), "ask": dict(self.asks(limit)), "valid": self.valid, "seq": self.seq}


def _full_url(url: str) -> str:
    return url if "://" in url else f"wss://{url}"


ANSWER_EVENTS = frozenset({"challenge", "subscribed", "subscribed_failed", "unsubscribed", "unsubscribed_failed", "error", "alert"})


class _Request:
    """A message sent that Kraken answers with one event: a challenge or an (un)subscription."""

    __slots__ = ("kind", "feed", "product", "future", "sent")

    def __init__(self, kind: str, feed: str | None, product: str | None, future: asyncio.Future[dict[str, Any]] | None, sent: float) -> None:
        self.kind = kind  # "challenge", "subscribe" or "unsubscribe"
        self.feed = feed
        self.product = product
        self.future = future
        self.sent = sent

    def answered_by(self, message: dict[str, Any]) -> bool:
        """Whether ``message`` (an answer event that names what it answers) is this request's answer."""
        event = message.get("event")
        if event == "challenge":
            return self.kind == "challenge"
        kind = "subscribe" if event in ("subscribed", "subscribed_failed") else "unsubscribe"
        if self.kind != kind or message.get("feed") != self.feed:
            return False
        products = message.get("product_ids")
        return self.product is None or not isinstance(products, list) or self.product in products


class _Requests:
    """The requests still waiting for Kraken's answer, oldest first.

    ``challenge``, ``subscribed``, ``unsubscribed`` and their ``*_failed`` forms name what
    they answer (the event, the feed, the product ids); ``error`` and ``alert`` do not, and
    go to the oldest request still waiting, since Kraken answers a connection's requests in
    order. Requests older than ``timeout`` are forgotten (their waiters have given up), so
    one that is never answered cannot take another's answer.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._waiting: list[_Request] = []

    def add(self, kind: str, feed: str | None = None, product: str | None = None, *, wait: bool = False) -> asyncio.Future[dict[str, Any]] | None:
        loop = asyncio.get_running_loop()
        future = loop.create_future() if wait else None
        self._waiting.append(_Request(kind, feed, product, future, loop.time()))
        return future

    def discard(self, future: asyncio.Future[dict[str, Any]]) -> None:
        self._waiting = [r for r in self._waiting if r.future is not future]

    def answer(self, message: dict[str, Any]) -> _Request | None:
        """Match an answer event to its request; that request is done."""
        waiting = self._waiting
        if waiting:
            deadline = asyncio.get_running_loop().time() - self.timeout
            if waiting[0].sent < deadline:
                waiting[:] = [r for r in waiting if r.sent >= deadline]
        if message.get("event") in ("error", "alert"):
            request = waiting[0] if waiting else None
        else:
            request = next((r for r in waiting if r.answered_by(message)), None)
        if request is None:
            return None
        waiting.remove(request)
        if request.future is not None and not request.future.done():
            request.future.set_result(message)
        return request

    def clear(self, error: BaseException) -> None:
        """Forget every request; a waiter gets ``error``."""
        for request in self._waiting:
            if request.future is not None and not request.future.done():
                request.future.set_exception(error)
        self._waiting.clear()


class FuturesWSClient(ClientLifecycle):
    """Kraken Futures WebSocket client (public feeds, and private feeds with key and secret).

    >>> async def on_message(message):  # doctest: +SKIP
    ...     print(message)
    >>> async with FuturesWSClient(callback=on_message) as client:  # doctest: +SKIP
    ...     await client.subscribe(feed="ticker", products=["PF_XBTUSD"])
    ...     await asyncio.sleep(10)
    """

    PROD_ENV_URL = "wss://futures.kraken.com/ws/v1"
    DEMO_ENV_URL = "wss://demo-futures.kraken.com/ws/v1"

    def __init__(
        self,
        key: str = "",
        secret: str = "",
        url: str = "",
        callback: Callable[..., Any] | None = None,
        *,
        sandbox: bool = False,
        max_reconnect_attempts: int = 10,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_buffer: int = 10_000,
        request_timeout: float = 10.0,
        rest_url: str | None = None,
        nonce_source: Any = None,
    ) -> None:
        self._key = key or ""
        self.__secret = secret or ""
        self.url = _full_url(url) if url else (self.DEMO_ENV_URL if sandbox else self.PROD_ENV_URL)
        self._sandbox = sandbox
        self._rest_url = rest_url or _rest_base(self.url)
        self._nonce_source = nonce_source
        self._rest: Any = None
        self._callback = callback
        self._conn_options = {
            "max_reconnect_attempts": max_reconnect_attempts,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "backoff_base": backoff_base,
            "backoff_max": backoff_max,
        }
        self._max_buffer = max_buffer
        self.request_timeout = request_timeout
        self._conn: ReconnectingWebSocket | None = None
        self._dispatcher: Dispatcher | None = None
        self._challenge: str | None = None
        self._signed: str | None = None
        self._challenge_lock: asyncio.Lock | None = None
        self._requests = _Requests(request_timeout)
        # (feed, product or None) -> wanted; acknowledged subscriptions
        self._intent: dict[tuple[str, str | None], None] = {}
        self._active: dict[tuple[str, str | None], None] = {}
        self.books: dict[str, FuturesOrderBook] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.challenges = 0

    def __repr__(self) -> str:  # never show the secret
        return f"{type(self).__name__}(key={'***' if self._key else ''!r}, url={self.url!r})"

    # -- reference API -------------------------------------------------------------------
    @property
    def key(self) -> str:
        return self._key

    @property
    def is_auth(self) -> bool:
        """True when key and secret are set."""
        return bool(self._key and self.__secret)

    @staticmethod
    def get_available_public_subscription_feeds() -> list[str]:
        """Public feeds: trade, book, ticker, ticker_lite, heartbeat."""
        return list(PUBLIC_FEEDS)

    @staticmethod
    def get_available_private_subscription_feeds() -> list[str]:
        """Private feeds (need key and secret)."""
        return list(PRIVATE_FEEDS)

    def get_sign_challenge(self, challenge: str) -> str:
        """Sign a challenge with the secret: base64(HMAC-SHA512(b64decode(secret), SHA256(challenge)))."""
        if not self.is_auth:
            raise KrakenAuthenticationError("signing a challenge needs an API key and secret")
        from kraken_ops._core.signing import sign_challenge

        return sign_challenge(self.__secret, challenge)

    def get_active_subscriptions(self) -> list[dict[str, Any]]:
        """Subscriptions acknowledged by Kraken, one entry per feed (product ids grouped)."""
        grouped: dict[str, list[str]] = {}
        for feed, product in self._active:
            grouped.setdefault(feed, [])
            if product is not None:
                grouped[feed].append(product)
        out = []
        for feed, products in grouped.items():
            entry: dict[str, Any] = {"event": "subscribe", "feed": feed}
            if products:
                entry["product_ids"] = products
            out.append(entry)
        return out

    @property
    def exception_occur(self) -> bool:
        """True if the connection stopped because of an error."""
        return self._conn is not None and self._conn.error is not None

    @property
    def error(self) -> BaseException | None:
        return None if self._conn is None else self._conn.error

    @property
    def reconnects(self) -> int:
        return 0 if self._conn is None else self._conn.reconnects

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Open the connection."""
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(self._deliver, self._max_buffer)
        self._dispatcher.start()
        self._challenge_lock = asyncio.Lock()
        if self._conn is None:
            self._conn = ReconnectingWebSocket(
                self.url,
                name="futures",
                on_frame=self._on_frame,
                on_open=self._on_open,
                on_notice=self._push,
                **self._conn_options,
            )
        try:
            await self._conn.start()
        except BaseException:
            await self.close()
            raise

    # -- REST (the reference's WS client is also a Futures REST client) ------------------
    def _make_rest(self) -> Any:
        from kraken_ops.futures.base import FuturesAsyncClient

        return FuturesAsyncClient(self._key, self.__secret, url=self._rest_url, nonce_source=self._nonce_source)

    async def request(
        self,
        method: str,
        uri: str,
        post_params: dict[str, Any] | None = None,
        query_params: dict[str, Any] | None = None,
        timeout: int = 10,
        *,
        auth: bool = True,
        return_raw: bool = False,
    ) -> Any:
        """A Futures REST request with this client's key (reference API); the REST URL is
        ``rest_url``, or derived from the WebSocket URL (``ws://HOST:PORT/ws/v1`` →
        ``http://HOST:PORT``; Kraken's own WebSocket hosts → ``https://futures.kraken.com``
        or the demo host).

        >>> await client.request("GET", "/derivatives/api/v3/tickers", auth=False)  # doctest: +SKIP
        """
        return await self._rest_client().request(method, uri, post_params, query_params, timeout, auth=auth, return_raw=return_raw)

    async def close(self) -> None:
        """Close the connection."""
        if self._rest is not None:
            await self._rest.close()
            self._rest = None
        if self._conn is not None:
            await self._conn.close()
        for task in list(self._tasks):
            task.cancel()
        self._requests.clear(ConnectionError("the WebSocket client was closed"))
        if self._dispatcher is not None:
            await self._dispatcher.drain(1.0)
            await self._dispatcher.close()
        self._conn = None

    async def wait_closed(self) -> None:
        """Wait until the connection stops for good; raise the error that stopped it."""
        if self._conn is not None:
            await self._conn.wait_closed()

    # -- challenge -----------------------------------------------------------------------
    async def _await(self, future: asyncio.Future[dict[str, Any]], what: str) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(future, self.request_timeout)
        except asyncio.TimeoutError:
            raise KrakenTimeoutError(f"Futures WebSocket: no answer to {what} within {self.request_timeout}s") from None
        finally:
            self._requests.discard(future)

    async def _ensure_challenge(self) -> None:
        if self._signed is not None:
            return
        if not self.is_auth:
            raise KrakenAuthenticationError("private Futures feeds need an API key and secret")
        assert self._conn is not None and self._challenge_lock is not None
        async with self._challenge_lock:
            if self._signed is not None:
                return
            future = self._requests.add("challenge", wait=True)
            assert future is not None
            await self._conn.send({"event": "challenge", "api_key": self._key})
            answer = await self._await(future, "the challenge request")
            if answer.get("event") != "challenge" or "message" not in answer:
                raise KrakenAuthenticationError(
                    f"Futures WebSocket: the challenge request was rejected ({answer.get('message', 'no reason given')}); check the API key"
                )
            self.challenges += 1
            self._challenge = str(answer["message"])
            self._signed = self.get_sign_challenge(self._challenge)

    def _auth_fields(self) -> dict[str, str]:
        assert self._challenge is not None and self._signed is not None
        return {"api_key": self._key, "original_challenge": self._challenge, "signed_challenge": self._signed}

    # -- subscriptions -------------------------------------------------------------------
    async def subscribe(self, feed: str, products: list[str] | None = None) -> None:
        """Subscribe to ``feed`` (for public feeds, to ``products``).

        >>> await client.subscribe(feed="ticker", products=["PF_XBTUSD"])  # doctest: +SKIP
        """
        await self._subscription("subscribe", feed, products)

    async def unsubscribe(self, feed: str, products: list[str] | None = None) -> None:
        """Unsubscribe from ``feed`` (for public feeds, from ``products``)."""
        await self._subscription("unsubscribe", feed, products)

    async def _subscription(self, event: str, feed: str, products: list[str] | None) -> None:
        if products is not None and not isinstance(products, list):
            raise TypeError("products must be a list of product ids")
        private = feed in PRIVATE_FEEDS
        if not private and feed not in PUBLIC_FEEDS:
            raise ValueError(f"unknown feed {feed!r}; public: {PUBLIC_FEEDS}, private: {PRIVATE_FEEDS}")
        if private and products is not None:
            raise ValueError("There is no private feed that accepts products!")  # the reference's check and words
        if private and not self.is_auth:
            raise KrakenAuthenticationError("private Futures feeds need an API key and secret")
        keys = [(feed, p) for p in products] if products else [(feed, None)]
        for key in keys:
            if event == "subscribe":
                self._intent[key] = None
                if feed == "book" and key[1] is not None:
                    self.books.setdefault(key[1], FuturesOrderBook(key[1]))
            else:
                self._intent.pop(key, None)
                if feed == "book" and key[1] is not None:
                    self.books.pop(key[1], None)
        if self._conn is None or not self._conn.ready:
            return  # replayed by on_open
        try:
            await self._send_subscription(event, feed, products, wait=private and event == "subscribe")
        except Exception:
            if event == "subscribe":
                for key in keys:
                    self._intent.pop(key, None)
            raise

    async def _send_subscription(self, event: str, feed: str, products: list[str] | None, *, wait: bool) -> None:
        """Send an (un)subscription: one message per product for public feeds (as the reference
        does), each remembered until Kraken answers it; a private subscription with ``wait``
        waits for its answer and raises when it is refused."""
        assert self._conn is not None
        if feed not in PRIVATE_FEEDS:
            for product in products or [None]:
                message: dict[str, Any] = {"event": event, "feed": feed}
                if product is not None:
                    message["product_ids"] = [product]
                self._requests.add(event, feed, product)
                await self._conn.send(message)
            return
        await self._ensure_challenge()
        message = {"event": event, "feed": feed, **self._auth_fields()}
        future = self._requests.add(event, feed, wait=wait)
        await self._conn.send(message)
        if future is not None:
            answer = await self._await(future, f"the {feed} subscription")
            if answer.get("event") != "subscribed":
                reason = answer.get("message") or answer.get("event")
                raise KrakenAuthenticationError(
                    f"Futures WebSocket: subscribing to {feed} failed ({reason}); the signed challenge was rejected - check the API secret"
                )

    async def _on_open(self, reconnect: bool) -> None:
        self._challenge = self._signed = None
        self._requests.clear(ConnectionError("the Futures WebSocket connection was re-established; send again"))  # a new connection answers only what is sent on it
        self._active.clear()
        for book in self.books.values():
            book.valid = False
            book.seq = None
        groups: dict[str, list[str]] = {}
        for feed, product in list(self._intent):
            products = groups.setdefault(feed, [])
            if product is not None:
                products.append(product)
        for feed, products in groups.items():
            await self._send_subscription("subscribe", feed, products or None, wait=feed in PRIVATE_FEEDS)

    # -- receiving -----------------------------------------------------------------------
    def _on_frame(self, message: Any) -> None:
        if isinstance(message, dict):
            event = message.get("event")
            if event in ANSWER_EVENTS:
                self._requests.answer(message)
            if event in ("subscribed", "unsubscribed"):
                feed = message.get("feed")
                products = message.get("product_ids") or [None]
                for product in products:
                    if event == "subscribed":
                        self._active[(feed, product)] = None
                    else:
                        self._active.pop((feed, product), None)
            feed = message.get("feed")
            if feed in ("book_snapshot", "book") and "product_id" in message:
                self._on_book(message)
        self._push(message)

    def _on_book(self, message: dict[str, Any]) -> None:
        product = message["product_id"]
        book = self.books.get(product)
        if book is None:
            return
        if not book.apply(message) and book.gap is not None and message.get("feed") == "book":
            expected, got = book.gap
            book.gap = None
            book.seq = None
            self._push(notice("book_gap", product_id=product, expected_seq=expected, received_seq=got))
            self._spawn(self._resubscribe_book(product))

    async def _resubscribe_book(self, product: str) -> None:  # one product: one message each way
        try:
            await self._send_subscription("unsubscribe", "book", [product], wait=False)
            await self._send_subscription("subscribe", "book", [product], wait=False)
        except Exception as exc:  # noqa: BLE001 - the reconnect logic takes over
            LOG.warning("book %s: resubscription failed: %s", product, exc)

    def get_book(self, product_id: str) -> FuturesOrderBook | None:
        """The maintained book of ``product_id`` (kraken-ops addition)."""
        return self.books.get(product_id)

    def _push(self, message: Any) -> None:
        if self._dispatcher is not None:
            self._dispatcher.push(message)

    async def _deliver(self, message: Any) -> None:
        await self.on_message(message)

    async def on_message(self, message: dict[str, Any]) -> None:
        """Receives every message; calls ``callback`` if given. Override it in a subclass."""
        if self._callback is not None:
            result = self._callback(message)
            if inspect.isawaitable(result):
                await result
        else:
            LOG.debug("message without a callback: %s", message)
