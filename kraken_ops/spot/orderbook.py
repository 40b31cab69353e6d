"""Spot order books: a socket-free :class:`OrderBook` and the :class:`SpotOrderBookClient`.

:class:`OrderBook` applies Kraken WebSocket v2 ``book`` snapshots and updates and
verifies the CRC32 checksum of kraken-protocol.md §4.6. It knows nothing about sockets,
so it is tested and benchmarked on recorded messages.

How it stays fast: every price and quantity is kept as an exact integer scaled by the
pair's precision (``45285.2`` with price precision 1 is ``452852``). Kraken's checksum
token for a value is exactly ``str`` of that integer (the value padded to full precision,
decimal point and leading zeros removed), sorting integers is cheap, and each side is a
sorted list updated with :mod:`bisect`, so an update costs O(log n) comparisons plus a
short memmove instead of a sort of the whole book. Decimals are produced only when a
caller asks for the book (:meth:`OrderBook.bids`, :meth:`OrderBook.asks`).

:class:`SpotOrderBookClient` is the reference's client: it subscribes to ``book`` feeds
through :class:`~kraken_ops.spot.websocket.SpotWSClient`, keeps one :class:`OrderBook`
per pair, and on a checksum mismatch resubscribes for a fresh snapshot by itself,
telling the user through :meth:`SpotOrderBookClient.on_book_update`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import zlib
from bisect import bisect_left
from decimal import Decimal
from typing import Any, Callable, Iterable

from kraken_ops.spot.websocket import SpotWSClient

__all__ = ["OrderBook", "SpotOrderBookClient", "checksum_token", "book_checksum", "VALID_DEPTHS"]

LOG = logging.getLogger(__name__)

VALID_DEPTHS = (10, 25, 100, 500, 1000)
CHECKSUM_LEVELS = 10


def _as_decimal(value: Any) -> Decimal:
    if type(value) is Decimal:
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that round-trips: what the JSON said
    return Decimal(value if isinstance(value, (int, str)) else str(value))


def _scaled(value: Any, decimals: int) -> int:
    """``value`` (Decimal, str, int or float from JSON) as an integer in units of ``10**-decimals``.

    Values with more decimals than the precision are rounded half-even, which is what
    ``format(Decimal(value), f".{decimals}f")`` (the documented token rule) does.
    """
    shifted = _as_decimal(value).scaleb(decimals)
    as_int = int(shifted)
    if as_int != shifted:
        as_int = int(shifted.to_integral_value())
    return as_int


def checksum_token(value: Any, decimals: int) -> str:
    """Kraken's checksum token of one price or quantity (kraken-protocol.md §4.6).

    >>> checksum_token(Decimal("45285.2"), 1), checksum_token(Decimal("0.001"), 8)
    ('452852', '100000')
    """
    return format(Decimal(str(value)) if not isinstance(value, Decimal) else value, f".{decimals}f").replace(".", "").lstrip("0")


def book_checksum(asks: Iterable[tuple[Any, Any]], bids: Iterable[tuple[Any, Any]], price_decimals: int, qty_decimals: int) -> int:
    """CRC32 of the top ten asks (low to high) and bids (high to low), as Kraken computes it.

    A reference implementation written straight from the documented rule; the
    :class:`OrderBook` computes the same value incrementally.
    """
    top_asks = sorted(((Decimal(str(p)), Decimal(str(q))) for p, q in asks), key=lambda lv: lv[0])[:CHECKSUM_LEVELS]
    top_bids = sorted(((Decimal(str(p)), Decimal(str(q))) for p, q in bids), key=lambda lv: lv[0], reverse=True)[:CHECKSUM_LEVELS]
    payload = "".join(checksum_token(p, price_decimals) + checksum_token(q, qty_decimals) for p, q in top_asks)
    payload += "".join(checksum_token(p, price_decimals) + checksum_token(q, qty_decimals) for p, q in top_bids)
    return zlib.crc32(payload.encode()) & 0xFFFFFFFF


class OrderBook:
    """One pair's book from Kraken WebSocket v2 ``book`` messages, with checksum verification.

    ``price_decimals`` and ``qty_decimals`` are the pair's ``price_precision`` and
    ``qty_precision`` (instrument channel) or ``pair_decimals`` and ``lot_decimals``
    (AssetPairs).

    >>> book = OrderBook(depth=10, price_decimals=1, qty_decimals=8)
    >>> book.apply({"type": "snapshot", "data": [{"symbol": "BTC/USD",
    ...     "bids": [{"price": Decimal("100.0"), "qty": Decimal("1")}],
    ...     "asks": [{"price": Decimal("100.5"), "qty": Decimal("2")}], "checksum": 0}]})
    False
    >>> book.best_bid(), book.best_ask()
    ((Decimal('100.0'), Decimal('1.00000000')), (Decimal('100.5'), Decimal('2.00000000')))
    """

    __slots__ = (
        "depth",
        "price_decimals",
        "qty_decimals",
        "_pscale",
        "_qscale",
        "_bid_keys",
        "_ask_keys",
        "_bids",
        "_asks",
        "_ask_crc",
        "_bid_part",
        "valid",
        "checksum",
        "expected_checksum",
        "has_snapshot",
        "timestamp",
        "updates",
    )

    def __init__(self, depth: int = 10, price_decimals: int = 1, qty_decimals: int = 8) -> None:
        if depth <= 0:
            raise ValueError("depth must be positive")
        self.depth = depth
        self.price_decimals = price_decimals
        self.qty_decimals = qty_decimals
        self._pscale = Decimal(1).scaleb(price_decimals)
        self._qscale = Decimal(1).scaleb(qty_decimals)
        # sorted lists of scaled prices, best first: asks ascending; bids stored negated so
        # that they sort ascending too and one bisect routine serves both sides
        self._ask_keys: list[int] = []
        self._bid_keys: list[int] = []
        # scaled price (negated for bids) -> (scaled qty, checksum segment "price token + qty token")
        self._asks: dict[int, tuple[int, str]] = {}
        self._bids: dict[int, tuple[int, str]] = {}
        # checksum cache: CRC32 of the top-ten asks part and the bytes of the top-ten bids
        # part; None when a change touched the top ten of that side since the last checksum
        self._ask_crc: int | None = None
        self._bid_part: bytes | None = None
        self.valid = False
        self.checksum: int | None = None
        self.expected_checksum: int | None = None
        self.has_snapshot = False
        self.timestamp: Any = None
        self.updates = 0

    # -- applying messages -------------------------------------------------------------
    def reset(self) -> None:
        """Forget every level (before a new snapshot)."""
        self._ask_keys.clear()
        self._bid_keys.clear()
        self._asks.clear()
        self._bids.clear()
        self._ask_crc = None
        self._bid_part = None
        self.valid = False
        self.has_snapshot = False
        self.checksum = None
        self.expected_checksum = None

    def apply(self, message: dict[str, Any]) -> bool:
        """Apply one ``book`` message (``type`` snapshot or update) and return whether the checksum holds.

        A message may carry several pairs in ``data``; use :meth:`apply_data` with the
        item for this book when that is the case.
        """
        data = message["data"]
        item = data[0] if type(data) is list else data
        return self.apply_data(item, snapshot=message.get("type") == "snapshot")

    def apply_data(self, item: dict[str, Any], *, snapshot: bool = False) -> bool:
        """Apply one ``data`` item of a book message and verify its ``checksum``."""
        if snapshot:
            self.reset()
            self.has_snapshot = True
        asks = item.get("asks")
        if asks and self._apply_side(asks, self._ask_keys, self._asks, False):
            self._ask_crc = None
        bids = item.get("bids")
        if bids and self._apply_side(bids, self._bid_keys, self._bids, True):
            self._bid_part = None
        self.timestamp = item.get("timestamp", self.timestamp)
        self.updates += 1
        checksum = self.compute_checksum()
        self.checksum = checksum
        expected = item.get("checksum")
        if expected is None:
            self.expected_checksum = None
            self.valid = self.has_snapshot
        else:
            if type(expected) is not int:
                expected = int(expected)
            self.expected_checksum = expected
            self.valid = self.has_snapshot and checksum == expected
        return self.valid

    def _apply_side(self, levels: list[dict[str, Any]], keys: list[int], book: dict[int, tuple[int, str]], negate: bool) -> bool:
        """Apply the levels of one side in order, truncate it to the depth; True when the top ten changed.

        The hot path: two Decimal multiplications per level (exact integers in the pair's
        units), a dict lookup, and for new or removed levels one bisect plus a short list
        insert/delete. No sorting, no Decimal comparisons, no string formatting of Decimals.
        """
        pscale, qscale = self._pscale, self._qscale
        top = False
        for level in levels:
            price = level["price"]
            qty = level["qty"]
            if type(price) is not Decimal:
                price = _as_decimal(price)
            if type(qty) is not Decimal:
                qty = _as_decimal(qty)
            shifted = price * pscale
            pi = int(shifted)
            if pi != shifted:
                pi = int(shifted.to_integral_value())
            shifted = qty * qscale
            qi = int(shifted)
            if qi != shifted:
                qi = int(shifted.to_integral_value())
            key = -pi if negate else pi
            if qi == 0:
                if book.pop(key, None) is not None:
                    i = bisect_left(keys, key)
                    del keys[i]
                    if i < CHECKSUM_LEVELS:
                        top = True
                continue
            if key in book:
                if not top and (len(keys) <= CHECKSUM_LEVELS or key <= keys[CHECKSUM_LEVELS - 1]):
                    top = True
            else:
                n = len(keys)
                if not n or key > keys[-1]:
                    i = n
                    keys.append(key)
                else:
                    i = bisect_left(keys, key)
                    keys.insert(i, key)
                if i < CHECKSUM_LEVELS:
                    top = True
            book[key] = (qi, f"{pi}{qi}")
        depth = self.depth
        if len(keys) > depth:  # levels pushed below the depth: Kraken sends no removal for them
            for key in keys[depth:]:
                del book[key]
            del keys[depth:]
        return top

    def compute_checksum(self) -> int:
        """CRC32 over the top ten levels of each side (kraken-protocol.md §4.6).

        The asks part (lowest first) comes before the bids part (highest first), so the
        CRC of the asks part is cached and the bids part is fed on top of it; a side is
        rebuilt from its cached per-level segments only after a change in its top ten.
        """
        ask_crc = self._ask_crc
        if ask_crc is None:
            asks = self._asks
            ask_crc = self._ask_crc = zlib.crc32("".join([asks[k][1] for k in self._ask_keys[:CHECKSUM_LEVELS]]).encode())
        bid_part = self._bid_part
        if bid_part is None:
            bids = self._bids
            bid_part = self._bid_part = "".join([bids[k][1] for k in self._bid_keys[:CHECKSUM_LEVELS]]).encode()
        return zlib.crc32(bid_part, ask_crc) & 0xFFFFFFFF

    # -- reading -------------------------------------------------------------------------
    def _decimal(self, scaled: int, decimals: int) -> Decimal:
        return Decimal(scaled).scaleb(-decimals)

    def asks(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Ask levels (price, qty), lowest price first."""
        pd, qd = self.price_decimals, self.qty_decimals
        keys = self._ask_keys if limit is None else self._ask_keys[:limit]
        return [(Decimal(k).scaleb(-pd), Decimal(self._asks[k][0]).scaleb(-qd)) for k in keys]

    def bids(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Bid levels (price, qty), highest price first."""
        pd, qd = self.price_decimals, self.qty_decimals
        keys = self._bid_keys if limit is None else self._bid_keys[:limit]
        return [(Decimal(-k).scaleb(-pd), Decimal(self._bids[k][0]).scaleb(-qd)) for k in keys]

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        levels = self.bids(1)
        return levels[0] if levels else None

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        levels = self.asks(1)
        return levels[0] if levels else None

    def __len__(self) -> int:
        return len(self._ask_keys) + len(self._bid_keys)

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        """The reference's book shape: ``{"bid": {price: qty}, "ask": {price: qty}, "valid": bool}``, best first."""
        return {"bid": dict(self.bids(limit)), "ask": dict(self.asks(limit)), "valid": self.valid}


def _precision_from_pair(info: dict[str, Any]) -> tuple[int, int]:
    """(price decimals, qty decimals) from an AssetPairs entry or an instrument ``pairs`` item."""
    if "price_precision" in info:
        return int(info["price_precision"]), int(info["qty_precision"])
    return int(info["pair_decimals"]), int(info["lot_decimals"])


class SpotOrderBookClient(SpotWSClient):
    """Maintains Spot order books from the WebSocket v2 ``book`` channel (reference API).

    Precisions (price and quantity decimals for the checksum) come from AssetPairs at
    ``rest_url`` when one is given, otherwise from the ``instrument`` channel of the same
    WebSocket. Subscribe with :meth:`add_book`; after every message for a pair,
    :meth:`on_book_update` (or ``callback``) is called with the pair and the message.
    Read the current book with :meth:`get`. When a checksum does not match, the book
    is marked invalid, the client unsubscribes and resubscribes the pair for a fresh
    snapshot by itself, and :meth:`on_book_update` receives
    ``{"kraken_ops": "checksum_mismatch", "symbol": pair, "expected": ..., "computed": ...}``.

    Books are kept in the connection's reader (cheap and never blocking), so a slow
    ``on_book_update`` only delays notifications, never the book itself: when the
    consumer falls behind, notifications are dropped per the buffering policy of
    :class:`~kraken_ops.spot.websocket.SpotWSClient` but :meth:`get` stays correct.

    >>> async def show(pair, message):  # doctest: +SKIP
    ...     print(pair, client.get(pair)["bid"])
    >>> client = SpotOrderBookClient(depth=10, callback=show)  # doctest: +SKIP
    >>> await client.start(); await client.add_book(pairs=["BTC/USD"])  # doctest: +SKIP
    """

    @staticmethod
    def get_first(values: tuple[Any, ...] | list[Any]) -> Decimal:
        """The first value of a (price, qty, ...) level as a Decimal: a sort key (reference API;
        the reference returns a float, which can reorder prices that differ in the last digit)."""
        return Decimal(str(values[0]))

    def __init__(
        self,
        depth: int = 10,
        callback: Callable[..., Any] | None = None,
        *,
        rest_url: str | None = None,
        ws_url: str | None = None,
        resubscribe_delay: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if depth not in VALID_DEPTHS:
            raise ValueError(f"depth must be one of {VALID_DEPTHS}")
        super().__init__(rest_url=rest_url, ws_url=ws_url, **kwargs)
        self._precision_from_rest = rest_url is not None
        self._instrument_waiter: asyncio.Future[dict[str, Any]] | None = None
        self._depth = depth
        self._book_callback = callback
        self._books: dict[str, OrderBook] = {}
        self._precisions: dict[str, tuple[int, int]] = {}
        self._resubscribing: set[str] = set()
        self._resubscribe_delay = resubscribe_delay
        self.checksum_mismatches = 0

    @property
    def depth(self) -> int:
        """The fixed depth of this client's books."""
        return self._depth

    async def add_book(self, pairs: list[str]) -> None:
        """Subscribe to the books of ``pairs`` (precisions are fetched from AssetPairs first)."""
        await self._load_precisions(pairs)
        for pair in pairs:
            pd, qd = self._precisions[pair]
            self._books[pair] = OrderBook(self._depth, pd, qd)
        await self.subscribe(params={"channel": "book", "depth": self._depth, "symbol": list(pairs)})

    async def remove_book(self, pairs: list[str]) -> None:
        """Unsubscribe from the books of ``pairs`` and forget them."""
        await self.unsubscribe(params={"channel": "book", "depth": self._depth, "symbol": list(pairs)})
        for pair in pairs:
            self._books.pop(pair, None)

    def get(self, pair: str) -> dict[str, Any] | None:
        """The book of ``pair``: ``{"bid": {price: qty}, "ask": {price: qty}, "valid": bool}`` best first, or None."""
        book = self._books.get(pair)
        return None if book is None else book.as_dict()

    def book(self, pair: str) -> OrderBook | None:
        """The :class:`OrderBook` object of ``pair`` (kraken-ops addition)."""
        return self._books.get(pair)

    def set_precision(self, pair: str, price_decimals: int, qty_decimals: int) -> None:
        """Set a pair's precisions by hand (skips the AssetPairs lookup)."""
        self._precisions[pair] = (price_decimals, qty_decimals)

    async def _load_precisions(self, pairs: list[str]) -> None:
        """Precisions from AssetPairs when ``rest_url`` was given, else from the instrument channel."""
        missing = [p for p in pairs if p not in self._precisions]
        if not missing:
            return
        if not self._precision_from_rest:
            await self._load_precisions_ws(missing)
            return
        from kraken_ops.spot.base import SpotAsyncClient

        rest = SpotAsyncClient(url=self._rest_url) if self._rest_url else SpotAsyncClient()
        try:
            result = await rest.request("GET", "/0/public/AssetPairs", params={"pair": ",".join(missing)}, auth=False)
        finally:
            await rest.close()
        by_wsname = {info.get("wsname"): info for info in result.values()}
        for pair in missing:
            info = by_wsname.get(pair) or result.get(pair)
            if info is None:
                from kraken_ops.exceptions import KrakenUnknownAssetPairError

                raise KrakenUnknownAssetPairError(f"unknown pair {pair!r}", kraken_error="EQuery:Unknown asset pair")
            self._precisions[pair] = _precision_from_pair(info)

    async def _load_precisions_ws(self, missing: list[str]) -> None:
        self._instrument_waiter = asyncio.get_running_loop().create_future()
        try:
            await self.subscribe(params={"channel": "instrument", "snapshot": True})
            data = await asyncio.wait_for(self._instrument_waiter, self.request_timeout)
        finally:
            self._instrument_waiter = None
        await self.unsubscribe(params={"channel": "instrument"})
        by_symbol = {item.get("symbol"): item for item in data.get("pairs") or ()}
        for pair in missing:
            info = by_symbol.get(pair)
            if info is None:
                from kraken_ops.exceptions import KrakenUnknownAssetPairError

                raise KrakenUnknownAssetPairError(f"unknown pair {pair!r}", kraken_error="EQuery:Unknown asset pair")
            self._precisions[pair] = _precision_from_pair(info)

    # -- message flow --------------------------------------------------------------------
    def _preprocess(self, message: Any) -> Any:
        """Runs in the reader for every message: applies book data at once, returns what to queue."""
        if not isinstance(message, dict) or message.get("channel") != "book":
            if self._instrument_waiter is not None and isinstance(message, dict) and message.get("channel") == "instrument":
                if not self._instrument_waiter.done() and isinstance(message.get("data"), dict):
                    self._instrument_waiter.set_result(message["data"])
            return message
        mtype = message.get("type")
        for item in message.get("data") or ():
            pair = item.get("symbol")
            book = self._books.get(pair)
            if book is None:
                continue
            if mtype == "update" and not book.has_snapshot:
                continue  # updates before the (re)snapshot are stale
            if not book.apply_data(item, snapshot=mtype == "snapshot") and book.has_snapshot and book.expected_checksum is not None:
                self._checksum_mismatch(pair, book)
                return {
                    "kraken_ops": "checksum_mismatch",
                    "symbol": pair,
                    "expected": book.expected_checksum,
                    "computed": book.checksum,
                    "_pair": pair,
                }
        return message

    def _checksum_mismatch(self, pair: str, book: OrderBook) -> None:
        self.checksum_mismatches += 1
        book.has_snapshot = False  # ignore updates until the fresh snapshot arrives
        LOG.warning("book %s: checksum mismatch (expected %s, computed %s); resubscribing", pair, book.expected_checksum, book.checksum)
        if pair in self._resubscribing:
            return
        self._resubscribing.add(pair)
        self._spawn(self._resubscribe_book(pair))

    async def _resubscribe_book(self, pair: str) -> None:
        try:
            if self._resubscribe_delay:
                await asyncio.sleep(self._resubscribe_delay)
            await self.unsubscribe(params={"channel": "book", "depth": self._depth, "symbol": [pair]})
            await self.subscribe(params={"channel": "book", "depth": self._depth, "symbol": [pair]})
        except Exception as exc:  # noqa: BLE001 - reported, the reconnect logic takes over
            LOG.warning("book %s: resubscription failed: %s", pair, exc)
        finally:
            self._resubscribing.discard(pair)

    async def on_message(self, message: Any) -> None:
        """Routes book messages to :meth:`on_book_update`; do not override (use ``on_book_update``)."""
        if not isinstance(message, dict):
            return
        if message.get("kraken_ops"):
            pair = message.pop("_pair", None)
            await self.on_book_update(pair, message)
            return
        if message.get("channel") != "book":
            if message.get("error"):  # e.g. a rejected book subscription
                await self.on_book_update(None, message)
            return
        for item in message.get("data") or ():
            pair = item.get("symbol")
            if pair in self._books:
                await self.on_book_update(pair, message)

    async def on_book_update(self, pair: str | None, message: dict[str, Any]) -> None:
        """Called after every book message (and kraken-ops notices); override it or pass ``callback``."""
        if self._book_callback is not None:
            result = self._book_callback(pair, message)
            if inspect.isawaitable(result):
                await result
