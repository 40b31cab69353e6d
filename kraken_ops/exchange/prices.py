"""Where the market maker of the local exchange takes its prices from (``serve --prices``).

A :class:`PriceFeed` gives the simulation a :class:`Quote` per pair, or None for pairs it
does not drive (those keep the seeded random walk). Three feeds:

- :class:`SyntheticFeed` (``--prices synthetic``, the default): drives nothing, so every
  pair follows the seeded random walk of :class:`~kraken_ops.exchange.markets.Markets`.
- :class:`LiveFeed` (``--prices live``): Kraken's public WebSocket v2
  (``wss://ws.kraken.com/v2``), channels ``ticker`` and ``book`` (depth 100) for the
  ``ws_symbol`` of every listed pair. :meth:`LiveFeed.start` connects and waits for
  Kraken's first message before the exchange listens, so an unreachable network is a
  :class:`PriceFeedError` at start. Later disconnects reconnect with backoff (one line on
  stderr each time); meanwhile the last prices stay.
- :class:`ReplayFeed` (``--prices replay:FILE``): the same messages from a recording, one
  JSON object a line, ``{"ts": UNIX_SECONDS, "msg": KRAKEN_MESSAGE}``, played with their
  recorded spacing from the start of the exchange; the last prices stay after the end.

Live and replay share :class:`KrakenPublicMessages`, which turns Kraken v2 ``ticker`` and
``book`` messages into quotes (numbers parsed as Decimals, never floats). Book checksums
are not verified: the book is only used to place the market maker's quotes, and a
reconnect starts from a new snapshot.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from kraken_ops.exchange.markets import PAIRS, find_pair

#: Kraken's public WebSocket v2 endpoint, the source of ``--prices live``
LIVE_URL = "wss://ws.kraken.com/v2"
#: environment variable overriding :data:`LIVE_URL` (``serve --prices-url`` wins over it)
URL_ENV = "KRAKEN_OPS_PRICES_URL"
#: seconds to connect and get Kraken's first message before giving up at start
CONNECT_TIMEOUT = 10.0
#: depth of the book subscription of the live feed
BOOK_DEPTH = 100
PRICE_SOURCES = ("synthetic", "live", "replay:FILE")


class PriceFeedError(Exception):
    """A price feed cannot start: ``kind`` is ``network`` (Kraken unreachable) or ``io``
    (a recording that cannot be read or parsed), for the CLI's exit code (4 or 3)."""

    def __init__(self, message: str, kind: str = "network") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Quote:
    """What a feed knows of one pair: top of book, last trade, 24 h volume and the book."""

    bid: Decimal | None = None
    bid_qty: Decimal | None = None
    ask: Decimal | None = None
    ask_qty: Decimal | None = None
    last: Decimal | None = None
    volume: Decimal | None = None
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    #: bumped by every ticker message that moved ``last`` or ``volume`` (the tape moved)
    tape: int = 0
    updated: float = 0.0

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        if self.bids:
            p = max(self.bids)
            return p, self.bids[p]
        return (self.bid, self.bid_qty or Decimal(0)) if self.bid is not None else None

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        if self.asks:
            p = min(self.asks)
            return p, self.asks[p]
        return (self.ask, self.ask_qty or Decimal(0)) if self.ask is not None else None

    @property
    def ready(self) -> bool:
        """Both sides are known (a one-sided or crossed quote is not used)."""
        b, a = self.best_bid(), self.best_ask()
        return b is not None and a is not None and b[0] < a[0]

    def mid(self) -> Decimal:
        b, a = self.best_bid(), self.best_ask()
        assert b is not None and a is not None
        return (b[0] + a[0]) / 2


class PriceFeed:
    """The interface: ``start()`` before the exchange listens, ``quote(pair_id)`` at every
    market step, ``stop()`` at shutdown."""

    name = "abstract"

    def __init__(self) -> None:
        self.quotes: dict[str, Quote] = {}

    async def start(self) -> None:
        """Get ready (connect, read the recording); raise :class:`PriceFeedError` if impossible."""

    async def stop(self) -> None:
        """Release connections and tasks."""

    def quote(self, pair_id: str) -> Quote | None:
        """The pair's quote when this feed drives it and both sides are known, else None."""
        q = self.quotes.get(pair_id)
        return q if q is not None and q.ready else None


class SyntheticFeed(PriceFeed):
    """No outside prices: every pair follows the seeded random walk."""

    name = "synthetic"


def _symbols() -> dict[str, str]:
    """WS v2 symbol -> pair id for every listed pair."""
    return {p.ws_symbol: p.id for p in PAIRS.values()}


class KrakenPublicMessages(PriceFeed):
    """Quotes from Kraken WebSocket v2 public messages (``ticker``, ``book``)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_symbol = _symbols()
        self.unsupported: dict[str, str] = {}  # symbol -> Kraken's error
        self.messages = 0

    def _pair_id(self, symbol: Any) -> str | None:
        if not isinstance(symbol, str):
            return None
        pid = self.by_symbol.get(symbol)
        if pid is None:
            pair = find_pair(symbol)
            pid = pair.id if pair is not None else None
        return pid

    def handle(self, msg: Any) -> None:
        """Apply one decoded message (others than ticker/book data are ignored)."""
        self.messages += 1
        if not isinstance(msg, dict):
            return
        if msg.get("success") is False and msg.get("method") == "subscribe":
            sym = msg.get("symbol") or (msg.get("result") or {}).get("symbol")
            if isinstance(sym, str):
                self.unsupported[sym] = str(msg.get("error") or "not supported")
            return
        channel, data = msg.get("channel"), msg.get("data")
        if channel not in ("ticker", "book") or not isinstance(data, list):
            return
        now = time.time()
        for item in data:
            if not isinstance(item, dict):
                continue
            pid = self._pair_id(item.get("symbol"))
            if pid is None:
                continue
            q = self.quotes.setdefault(pid, Quote())
            q.updated = now
            if channel == "ticker":
                self._ticker(q, item)
            else:
                self._book(q, item, snapshot=msg.get("type") == "snapshot")

    @staticmethod
    def _dec(value: Any) -> Decimal | None:
        if value is None or isinstance(value, bool):
            return None
        try:
            d = Decimal(str(value))
        except ArithmeticError:
            return None
        return d if d.is_finite() else None

    def _ticker(self, q: Quote, item: dict[str, Any]) -> None:
        for name in ("bid", "bid_qty", "ask", "ask_qty"):
            value = self._dec(item.get(name))
            if value is not None:
                setattr(q, name, value)
        last, volume = self._dec(item.get("last")), self._dec(item.get("volume"))
        moved = (last is not None and last != q.last) or (volume is not None and q.volume is not None
                                                          and volume > q.volume)
        if q.last is not None and moved:
            q.tape += 1
        if last is not None:
            q.last = last
        if volume is not None:
            q.volume = volume

    def _book(self, q: Quote, item: dict[str, Any], snapshot: bool) -> None:
        if snapshot:
            q.bids.clear()
            q.asks.clear()
        for key, side in (("bids", q.bids), ("asks", q.asks)):
            for level in item.get(key) or ():
                if not isinstance(level, dict):
                    continue
                price, qty = self._dec(level.get("price")), self._dec(level.get("qty"))
                if price is None or qty is None:
                    continue
                if qty == 0:
                    side.pop(price, None)
                else:
                    side[price] = qty
        # keep the subscribed depth, as Kraken's book guide asks of clients
        for side, best_first in ((q.bids, True), (q.asks, False)):
            if len(side) > BOOK_DEPTH:
                for price in sorted(side, reverse=best_first)[BOOK_DEPTH:]:
                    del side[price]


def decode(text: str | bytes) -> Any:
    """A Kraken JSON message with exact decimals."""
    return json.loads(text, parse_float=Decimal)


class LiveFeed(KrakenPublicMessages):
    """Kraken's public WebSocket v2 (ticker and book channels of every listed pair)."""

    name = "live"

    def __init__(self, url: str | None = None, timeout: float = CONNECT_TIMEOUT) -> None:
        super().__init__()
        self.url = url or os.environ.get(URL_ENV) or LIVE_URL
        self.timeout = timeout
        self._session: Any = None
        self._task: asyncio.Task[None] | None = None

    async def _connect(self) -> Any:
        import aiohttp

        ws = await asyncio.wait_for(self._session.ws_connect(self.url, heartbeat=30, autoping=True), self.timeout)
        first = await asyncio.wait_for(ws.receive(), self.timeout)
        if first.type != aiohttp.WSMsgType.TEXT:
            await ws.close()
            raise ConnectionError(f"closed before the first message ({first.type.name})")
        self.handle(decode(first.data))
        symbols = list(self.by_symbol)
        await ws.send_str(json.dumps({"method": "subscribe", "params": {"channel": "ticker", "symbol": symbols}}))
        await ws.send_str(json.dumps({"method": "subscribe",
                                      "params": {"channel": "book", "symbol": symbols, "depth": BOOK_DEPTH}}))
        return ws

    async def start(self) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession()
        try:
            ws = await self._connect()
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
            await self._session.close()
            reason = "timed out" if isinstance(exc, asyncio.TimeoutError) else (
                getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
            raise PriceFeedError(f"cannot reach Kraken's public feed at {self.url}: {reason} "
                                 "(check the network, or serve with --prices synthetic)") from None
        self._task = asyncio.ensure_future(self._run(ws))

    async def _run(self, ws: Any) -> None:
        import aiohttp

        delay = 1.0
        while True:
            reason = "closed"
            try:
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        self.handle(decode(message.data))
                        delay = 1.0
                    elif message.type == aiohttp.WSMsgType.ERROR:
                        reason = str(ws.exception())
                        break
            except (aiohttp.ClientError, OSError, ValueError) as exc:
                reason = str(exc) or type(exc).__name__
            while True:
                print(f"prices: lost Kraken's public feed ({reason}); reconnecting in {delay:.0f}s, "
                      "keeping the last prices", file=sys.stderr, flush=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                try:
                    ws = await self._connect()
                    break
                except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
                    reason = str(exc) or type(exc).__name__

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._session is not None:
            await self._session.close()


@dataclass(frozen=True)
class Recorded:
    ts: float
    msg: Any


def read_recording(path: str | os.PathLike[str]) -> list[Recorded]:
    """The messages of an NDJSON recording (``{"ts": seconds, "msg": {...}}`` a line)."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PriceFeedError(f"cannot read the price recording {p}: {exc.strerror or exc}", "io") from None
    out: list[Recorded] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = decode(line)
            ts = float(item["ts"])
            msg = item["msg"]
        except (ValueError, TypeError, KeyError):
            raise PriceFeedError(f"{p}:{number}: not a recorded message "
                                 '(expected {"ts": UNIX_SECONDS, "msg": {...}})', "io") from None
        out.append(Recorded(ts, msg))
    if not out:
        raise PriceFeedError(f"the price recording {p} has no messages", "io")
    return out


class ReplayFeed(KrakenPublicMessages):
    """A recording of Kraken public messages, played with its recorded spacing."""

    name = "replay"

    def __init__(self, path: str | os.PathLike[str], speed: float = 1.0) -> None:
        super().__init__()
        self.path = Path(path)
        self.speed = speed
        self.records: list[Recorded] = []
        self.done = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.records = read_recording(self.path)
        self._task = asyncio.ensure_future(self._play())

    async def _play(self) -> None:
        loop = asyncio.get_running_loop()
        t0, origin = loop.time(), self.records[0].ts
        for rec in self.records:
            wait = (rec.ts - origin) / self.speed - (loop.time() - t0)
            if wait > 0:
                await asyncio.sleep(wait)
            self.handle(rec.msg)
        self.done = True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass


def make_feed(spec: str | PriceFeed | None, url: str | None = None) -> PriceFeed:
    """``synthetic`` | ``live`` | ``replay:FILE`` -> a feed (ValueError for anything else)."""
    if isinstance(spec, PriceFeed):
        return spec
    text = (spec or "synthetic").strip()
    if text == "synthetic":
        return SyntheticFeed()
    if text == "live":
        return LiveFeed(url)
    if text.startswith("replay:") and text[len("replay:"):]:
        return ReplayFeed(text[len("replay:"):])
    raise ValueError(f"unknown price source {text!r} (use one of {', '.join(PRICE_SOURCES)})")
