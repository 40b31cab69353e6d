"""Shared WebSocket machinery: one reconnecting connection, a bounded dispatcher, JSON helpers.

Used by :class:`~kraken_ops.spot.websocket.SpotWSClient`,
:class:`~kraken_ops.spot.orderbook.SpotOrderBookClient` and
:class:`~kraken_ops.futures.websocket.FuturesWSClient`.

Policy (documented in docs/streaming.md):

* **Keep-alive.** WebSocket protocol pings every ``ping_interval`` seconds (a missing pong
  within ``ping_timeout`` counts as a dropped connection); clients may add an
  application ping (Spot v2 ``{"method": "ping"}``) on the same interval.
* **Reconnect.** A dropped connection is reopened after ``min(backoff_max, backoff_base *
  2**(attempt-1))`` seconds scaled by a random factor in [0.5, 1) ("equal jitter"). After
  each (re)connect the client's ``on_open`` hook runs (fresh token, challenge,
  resubscription of everything that was subscribed); only when it succeeds does the
  attempt counter reset. After ``max_reconnect_attempts`` consecutive failures the
  connection gives up with :class:`~kraken_ops.exceptions.MaxReconnectError`.
* **Buffering.** Messages go from the reader to the consumer through a
  :class:`Dispatcher` holding at most ``max_buffer`` messages. When the consumer falls
  behind and the buffer is full, the oldest buffered message is dropped and counted;
  before the next delivered message the consumer gets
  ``{"kraken_ops": "overflow", "dropped": n}``. Memory stays bounded and the reader never
  waits for the consumer, so pings and pongs keep flowing. Order books are maintained in
  the reader, so only their notifications can be dropped, never book state.
"""

from __future__ import annotations

from kraken_ops._core.jsonout import dumps as exact_dumps

import asyncio
import contextlib
import inspect
import json
import logging
import random
from collections import deque
from decimal import Decimal
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from kraken_ops.exceptions import KrakenException, KrakenNetworkError, MaxReconnectError

LOG = logging.getLogger("kraken_ops.ws")

__all__ = ["loads", "dumps", "backoff_delay", "Dispatcher", "ReconnectingWebSocket", "notice", "FRAME_HANDLED"]

# What a connection's ``decode`` returns for a frame it has fully dealt with itself:
# nothing is handed to ``on_frame`` (see ReconnectingWebSocket).
FRAME_HANDLED: Any = object()


_DECODE = json.JSONDecoder(parse_float=Decimal).decode


def loads(raw: str | bytes) -> Any:
    """Parse a frame; JSON numbers with a fraction become :class:`~decimal.Decimal`, never float.

    One decoder is reused: ``json.loads(raw, parse_float=...)`` builds a new decoder per
    call, which costs more than parsing a typical book update.
    """
    if type(raw) is str:
        return _DECODE(raw)
    return json.loads(raw, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Compact JSON in which Decimals are written as the numbers they were, not as strings or floats.

    >>> dumps({"price": Decimal("4.0"), "qty": Decimal("0.00100000"), "ok": True})
    '{"price":4.0,"qty":0.00100000,"ok":true}'
    """
    return exact_dumps(value)


def notice(event: str, **fields: Any) -> dict[str, Any]:
    """A message of kraken-ops' own, delivered to the consumer between Kraken's messages."""
    return {"kraken_ops": event, **fields}


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Delay before reconnect ``attempt`` (1-based): exponential, capped, with equal jitter."""
    raw = min(cap, base * (2 ** max(0, attempt - 1)))
    return raw * (0.5 + 0.5 * (rng or random).random())


class ClientLifecycle:
    """What every WebSocket client shares around ``start()``/``close()``: the reference's
    ``stop()`` and ``async_close()``, the async context manager, and background tasks
    kept referenced until they finish."""

    _tasks: set[asyncio.Task[Any]]

    async def start(self) -> None:  # implemented by the client
        raise NotImplementedError

    async def close(self) -> None:  # implemented by the client
        raise NotImplementedError

    def stop(self) -> None:
        """Reference name: schedule :meth:`close` on the running loop."""
        self._spawn(self.close())

    async def async_close(self) -> None:
        """Reference name of :meth:`close`."""
        await self.close()

    async def __aenter__(self) -> Any:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- the REST client behind request(), get_nonce() and token/challenge requests -----
    _rest: Any = None

    def _make_rest(self) -> Any:  # implemented by the client: its async REST client
        raise NotImplementedError

    def _rest_client(self) -> Any:
        if self._rest is None:
            self._rest = self._make_rest()
        return self._rest

    def get_nonce(self) -> str:
        """A new nonce for this client's key (shared with its REST requests)."""
        return self._rest_client().get_nonce()  # type: ignore[no-any-return]


class Dispatcher:
    """Bounded hand-off from connection readers to one consumer coroutine (drop-oldest on overflow)."""

    def __init__(self, handler: Callable[[Any], Any], max_buffer: int = 10_000) -> None:
        if max_buffer < 1:
            raise ValueError("max_buffer must be at least 1")
        self._handler = handler
        self.max_buffer = max_buffer
        self._queue: deque[Any] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0  # total since start
        self._dropped_pending = 0  # not yet reported to the consumer

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="kraken-ops-ws-dispatch")

    def push(self, message: Any) -> None:
        """Queue a message; never blocks. Drops the oldest message when the buffer is full."""
        queue = self._queue
        if len(queue) >= self.max_buffer:
            queue.popleft()
            self.dropped += 1
            self._dropped_pending += 1
        queue.append(message)
        self._wake.set()

    def __len__(self) -> int:
        return len(self._queue)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued message has been handed to the consumer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._queue and loop.time() < deadline and self._task is not None and not self._task.done():
            await asyncio.sleep(0.005)

    async def _run(self) -> None:
        queue = self._queue
        while True:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            if self._dropped_pending:
                dropped, self._dropped_pending = self._dropped_pending, 0
                await self._deliver(notice("overflow", dropped=dropped, total_dropped=self.dropped))
            await self._deliver(queue.popleft())

    async def _deliver(self, message: Any) -> None:
        try:
            result = self._handler(message)  # a coroutine, or None from a handler that finished already
            if result is not None and inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failing consumer must not stop the stream
            LOG.exception("message handler raised")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


class ReconnectingWebSocket:
    """One logical WebSocket connection that survives drops.

    ``on_open(reconnect: bool)`` runs after every successful handshake while frames are
    already being read (so it may await replies); ``on_frame(message)`` gets every parsed
    frame in the reader; ``on_notice(message)`` gets kraken-ops' own messages
    (``reconnecting``, ``reconnected``, ``max_reconnect``, ``error``). ``app_ping``
    (optional) builds an application-level ping sent every ``ping_interval`` seconds.
    ``decode(raw)`` turns each frame into what ``on_frame`` gets (default :func:`loads`;
    it raises ValueError for a frame that is not JSON): a client may set
    ``connection.decode`` to parse some frames its own way (the Spot order book client
    reads book frames straight from their text). ``decode`` may return :data:`FRAME_HANDLED`
    for a frame it has dealt with completely; ``on_frame`` then does not see it.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str,
        on_frame: Callable[[Any], None],
        on_open: Callable[[bool], Awaitable[None]] | None = None,
        on_notice: Callable[[dict[str, Any]], None] | None = None,
        app_ping: Callable[[], dict[str, Any]] | None = None,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        open_timeout: float = 10.0,
        max_reconnect_attempts: int = 10,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.name = name
        self._on_frame = on_frame
        self._on_open = on_open
        self._on_notice = on_notice or (lambda message: None)
        self._app_ping = app_ping
        self.decode: Callable[[str | bytes], Any] = loads
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.open_timeout = open_timeout
        self.max_reconnect_attempts = max_reconnect_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._rng = rng or random.Random()
        self._ws: Any = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()  # set while connected and on_open has completed
        self._first: asyncio.Future[None] | None = None
        self._closing = False
        self.error: BaseException | None = None
        self._setup_error: BaseException | None = None
        self.connects = 0  # successful handshakes, including the first
        self.reconnects = 0

    # -- public --------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def closed(self) -> bool:
        return self._task is None or self._task.done()

    async def start(self) -> None:
        """Connect (retrying per the policy) and return once the first ``on_open`` completed."""
        if self._task is not None and not self._task.done():
            return
        loop = asyncio.get_running_loop()
        self._closing = False
        self.error = None
        self._first = loop.create_future()
        self._task = loop.create_task(self._run(), name=f"kraken-ops-ws-{self.name}")
        await asyncio.shield(self._first)

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until the connection is open and set up (again, after a drop)."""
        if self.error is not None:
            raise self.error
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def send(self, message: dict[str, Any] | str) -> None:
        """Send one message now; raises ConnectionError when not connected."""
        ws = self._ws
        if ws is None:
            raise ConnectionError(f"the {self.name} WebSocket connection is not open")
        text = message if isinstance(message, str) else dumps(message)
        try:
            await ws.send(text)
        except Exception as exc:  # websockets.ConnectionClosed and transport errors
            raise ConnectionError(f"the {self.name} WebSocket connection closed while sending") from exc

    async def drop(self) -> None:
        """Close the current socket without stopping: the reconnect logic takes over (for tests)."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def close(self) -> None:
        """Close for good."""
        self._closing = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._ws = None
        self._ready.clear()
        self._resolve_first(ConnectionError(f"the {self.name} WebSocket connection was closed"))

    async def wait_closed(self) -> None:
        """Wait until the connection stopped for good; re-raise the error that stopped it."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)
        if self.error is not None:
            raise self.error

    # -- internals -----------------------------------------------------------------------
    def _connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "open_timeout": self.open_timeout,
            "ping_interval": self.ping_interval,
            "ping_timeout": self.ping_timeout,
            "close_timeout": 2,
            "max_size": 2**24,
            "max_queue": 64,
        }
        host = urlsplit(self.url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            kwargs["proxy"] = None
        return kwargs

    def _resolve_first(self, error: BaseException | None = None) -> None:
        first = self._first
        if first is not None and not first.done():
            if error is None:
                first.set_result(None)
            else:
                first.set_exception(error)
                first.exception()  # mark retrieved: start() may already be gone

    async def _run(self) -> None:
        from websockets.asyncio.client import connect

        failures = 0
        while not self._closing:
            reason = ""
            opened = False
            try:
                ws = await connect(self.url, **self._connect_kwargs())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - OSError, InvalidHandshake, timeouts...
                reason = f"connect failed: {type(exc).__name__}: {exc}"
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if failures == 0 and isinstance(status, int) and 400 <= status < 500 and status != 429:
                    # most likely a wrong URL or path (it stays wrong): said once, where it shows
                    # without any logging set up; the retries go on as for any failure
                    LOG.warning("%s: %s refused the WebSocket connection (HTTP %d): is the URL right? Retrying.",
                                self.name, self.url, status)
            else:
                self._ws = ws
                self.connects += 1
                loop = asyncio.get_running_loop()
                setup = loop.create_task(self._setup(ws, self.connects > 1), name=f"kraken-ops-ws-{self.name}-open")
                pinger = loop.create_task(self._ping_loop()) if self._app_ping and self.ping_interval else None
                try:
                    handled = FRAME_HANDLED
                    async for raw in ws:
                        try:
                            message = self.decode(raw)
                        except ValueError:
                            LOG.warning("%s: ignoring a frame that is not JSON", self.name)
                            continue
                        if message is not handled:
                            self._on_frame(message)
                    reason = f"connection closed (code {getattr(ws, 'close_code', None)})"
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - ConnectionClosedError etc.
                    reason = f"connection lost: {type(exc).__name__}"
                finally:
                    opened = self._ready.is_set()
                    self._ws = None
                    self._ready.clear()
                    if pinger is not None:
                        pinger.cancel()
                    if not setup.done():
                        setup.cancel()
                    with contextlib.suppress(BaseException):
                        await setup
                    with contextlib.suppress(Exception):
                        await ws.close()
                if self._setup_error is not None:
                    reason = f"setup failed: {self._setup_error}"
                if self.error is not None:  # fatal error during setup (bad credentials)
                    self._resolve_first(self.error)
                    self._on_notice(notice("error", connection=self.name, error=str(self.error)))
                    return
            if self._closing:
                break
            if opened:
                failures = 0
            failures += 1
            if failures > self.max_reconnect_attempts:
                self.error = MaxReconnectError(
                    f"{self.name} WebSocket: gave up after {self.max_reconnect_attempts} reconnect attempts ({reason})"
                )
                self._resolve_first(self.error)
                self._on_notice(notice("max_reconnect", connection=self.name, attempts=self.max_reconnect_attempts, reason=reason))
                return
            delay = backoff_delay(failures, self.backoff_base, self.backoff_max, self._rng)
            LOG.info("%s: %s; reconnecting in %.2fs (attempt %d)", self.name, reason, delay, failures)
            if self.connects:
                self._on_notice(notice("reconnecting", connection=self.name, attempt=failures, delay=round(delay, 3), reason=reason))
            await asyncio.sleep(delay)

    async def _setup(self, ws: Any, reconnect: bool) -> None:
        """Run ``on_open``; mark ready on success, close the socket on failure."""
        self._setup_error = None
        try:
            if self._on_open is not None:
                await self._on_open(reconnect)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001
            self._setup_error = exc
            if is_fatal(exc):
                self.error = exc  # will not heal by reconnecting (bad key, permission)
                self._closing = True
            LOG.info("%s: setup failed: %s", self.name, exc)
            with contextlib.suppress(Exception):
                await ws.close()
            return
        if self._ws is not ws:
            return
        self._ready.set()
        if reconnect:
            self.reconnects += 1
            self._on_notice(notice("reconnected", connection=self.name, reconnects=self.reconnects))
        self._resolve_first()

    async def _ping_loop(self) -> None:
        assert self._app_ping is not None and self.ping_interval
        while True:
            await asyncio.sleep(self.ping_interval)
            with contextlib.suppress(ConnectionError):
                await self.send(self._app_ping())


def _is_closed_error(exc: BaseException) -> bool:
    try:
        from websockets.exceptions import ConnectionClosed
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, ConnectionClosed)


def is_fatal(exc: BaseException) -> bool:
    """Whether an error during connection setup should stop reconnecting (e.g. invalid key)."""
    from kraken_ops.exceptions import KrakenServiceUnavailableError, KrakenUnexpectedResponseError

    transient = (KrakenNetworkError, MaxReconnectError, KrakenUnexpectedResponseError, KrakenServiceUnavailableError)
    return isinstance(exc, KrakenException) and not isinstance(exc, transient)
