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
caller asks for the book (:meth:`OrderBook.bids`, :meth:`OrderBook.asks`). The client reads
short book frames straight from their JSON text (:meth:`OrderBook.apply_text`), skipping the
Decimal round trip for the book; the message its callback gets is still what ``loads`` gives.
When nothing reads book messages (no ``callback``, no override of ``on_book_update``,
``on_message`` or ``_preprocess``), the client builds no message at all: its connections'
decoder applies each book frame to the book and hands nothing on (:meth:`SpotOrderBookClient._apply_frame`).

:class:`SpotOrderBookClient` is the reference's client: it subscribes to ``book`` feeds
through :class:`~kraken_ops.spot.websocket.SpotWSClient`, keeps one :class:`OrderBook`
per pair, and on a checksum mismatch resubscribes for a fresh snapshot by itself,
telling the user through :meth:`SpotOrderBookClient.on_book_update`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import zlib
from bisect import bisect_left
from decimal import Decimal
from types import CoroutineType
from typing import Any, Callable, Iterable

from kraken_ops._core.ws import FRAME_HANDLED, loads
from kraken_ops.spot.websocket import SpotWSClient

__all__ = ["OrderBook", "SpotOrderBookClient", "checksum_token", "book_checksum", "VALID_DEPTHS"]

LOG = logging.getLogger(__name__)

VALID_DEPTHS = (10, 25, 100, 500, 1000)
CHECKSUM_LEVELS = 10
_crc32 = zlib.crc32
_bisect_left = bisect_left


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


_SCALES = [Decimal(1).scaleb(d) for d in range(41)]
_PLAIN_NUMBER = re.compile(r"[0-9]{1,40}(?:\.[0-9]{0,40})?")


def _units(value: Any, decimals: int) -> int:
    """:func:`_scaled`, with shortcuts for the types JSON decoding gives (Decimal, int, plain number text)."""
    if type(value) is Decimal:
        shifted = value * _SCALES[decimals] if 0 <= decimals < 41 else value.scaleb(decimals)
        as_int = int(shifted)
        return as_int if as_int == shifted else int(shifted.to_integral_value())
    if type(value) is int:
        return value * 10**decimals
    if type(value) is str and _PLAIN_NUMBER.fullmatch(value):
        ip, _, fp = value.partition(".")
        if len(fp) <= decimals:
            return int(ip + fp + "0" * (decimals - len(fp)))
    return _scaled(value, decimals)


def _qty_token(text: str, decimals: int) -> str:
    """The checksum token of a quantity text with more decimals than the precision (rounded half-even)."""
    units = _scaled(text, decimals)
    return str(units) if units else ""


def _seg_qty(price_units: int, seg: str) -> str:
    """The quantity token of a level's checksum segment (its price token, ``str`` of the scaled price or
    nothing for a zero price, followed by the quantity token)."""
    return seg[len(str(price_units)):] if price_units else seg


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
    (AssetPairs). Prices and quantities may be Decimal, int, str (exact JSON number text)
    or float (taken as its shortest repr); they are never computed with as floats.

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
        "_ppad",
        "_qpad",
        "_price_cache",
        "_price_cache_size",
        "_bid_keys",
        "_ask_keys",
        "_bid_segs",
        "_ask_segs",
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
        self._ppad = "0" * price_decimals  # "0" * (decimals - digits after the point) pads a text value
        self._qpad = "0" * qty_decimals
        # price text -> (scaled int, checksum token): active prices recur (levels are
        # updated and removed by the same text), so most levels skip the digit work.
        # Bounded: cleared when full, so memory stays flat.
        self._price_cache: dict[str, tuple[int, str]] = {}
        self._price_cache_size = 4 * depth + 256
        # Per side, two parallel lists, best level first: the sort key (scaled price as an
        # int; negated for bids so that both sides sort ascending and one bisect serves
        # both) and the level's checksum segment (price token + qty token; the qty is read
        # back from it, see _seg_qty, so no third list is kept up to date on every update).
        self._ask_keys: list[int] = []
        self._bid_keys: list[int] = []
        self._ask_segs: list[str] = []
        self._bid_segs: list[str] = []
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
        for side in (self._ask_keys, self._bid_keys, self._ask_segs, self._bid_segs):
            side.clear()
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
        if asks and self._apply_side(asks, self._ask_keys, self._ask_segs, False):
            self._ask_crc = None
        bids = item.get("bids")
        if bids and self._apply_side(bids, self._bid_keys, self._bid_segs, True):
            self._bid_part = None
        if "timestamp" in item:
            self.timestamp = item["timestamp"]
        return self._verify(item.get("checksum"))

    def apply_text(self, asks: list[tuple[str, str]], bids: list[tuple[str, str]], checksum: int | None = None,
                   timestamp: str | None = None, *, snapshot: bool = False) -> bool:
        """Apply levels given as exact JSON number text, ``[(price, qty), ...]`` per side.

        The fast path of :class:`SpotOrderBookClient`: the texts must be plain
        non-negative decimal numbers (``60031``, ``0.3463``: digits with at most one
        point, no sign or exponent), as its frame parser guarantees. Scaled integers and
        checksum tokens come straight from the digits, padded to the pair's decimals.
        """
        if snapshot:
            self.reset()
            self.has_snapshot = True
        if asks and self._apply_text_side(asks, self._ask_keys, self._ask_segs, False):
            self._ask_crc = None
        if bids and self._apply_text_side(bids, self._bid_keys, self._bid_segs, True):
            self._bid_part = None
        if timestamp is not None:
            self.timestamp = timestamp
        return self._verify(checksum)

    def _verify(self, expected: Any) -> bool:
        self.updates += 1
        checksum = self.compute_checksum()
        self.checksum = checksum
        if expected is None:
            self.expected_checksum = None
            self.valid = self.has_snapshot
        else:
            if type(expected) is not int:
                expected = int(expected)
            self.expected_checksum = expected
            self.valid = self.has_snapshot and checksum == expected
        return self.valid

    def _apply_frame_text(self, bid_price: str | None, bid_qty: str, more_bids: str, ask_price: str | None, ask_qty: str,
                          more_asks: str, checksum: int, timestamp: str | None) -> bool:
        """:meth:`apply_text` for the groups of a frame :data:`_BOOK_FRAME` matched (the client's
        lean path; the caller handles snapshots): a side's only level (the usual update) is
        applied inline - the same steps as :meth:`_apply_text_side`, written out for asks and
        for bids to save a call per frame -, a side with more levels (``more_*``: the text of
        the ``,{"price":..,"qty":..}`` after the first) through :meth:`_apply_text_side`."""
        if ask_price is not None:
            if more_asks:
                asks = [(ask_price, ask_qty)]
                asks += _LEVEL_TEXTS.findall(more_asks)
                if self._apply_text_side(asks, self._ask_keys, self._ask_segs, False):
                    self._ask_crc = None
            else:
                cached = self._price_cache.get(ask_price)
                if cached is None:
                    cached = self._cache_price(ask_price)
                key, ptok = cached
                ip, _, fp = ask_qty.partition(".")
                if len(fp) <= self.qty_decimals:
                    qtok = (ip + fp + self._qpad[len(fp):]).lstrip("0")
                else:
                    qtok = _qty_token(ask_qty, self.qty_decimals)
                keys = self._ask_keys
                i = _bisect_left(keys, key)
                if i < len(keys) and keys[i] == key:
                    if qtok:
                        self._ask_segs[i] = ptok + qtok
                    else:
                        del keys[i], self._ask_segs[i]
                    if i < CHECKSUM_LEVELS:
                        self._ask_crc = None
                elif qtok:
                    keys.insert(i, key)
                    self._ask_segs.insert(i, ptok + qtok)
                    if len(keys) > self.depth:  # a level pushed below the depth: Kraken sends no removal for it
                        del keys[-1], self._ask_segs[-1]
                    if i < CHECKSUM_LEVELS:
                        self._ask_crc = None
                # else: removal of a level the book does not hold
        if bid_price is not None:
            if more_bids:
                bids = [(bid_price, bid_qty)]
                bids += _LEVEL_TEXTS.findall(more_bids)
                if self._apply_text_side(bids, self._bid_keys, self._bid_segs, True):
                    self._bid_part = None
            else:  # as for asks above, with the key negated
                cached = self._price_cache.get(bid_price)
                if cached is None:
                    cached = self._cache_price(bid_price)
                key, ptok = cached
                key = -key
                ip, _, fp = bid_qty.partition(".")
                if len(fp) <= self.qty_decimals:
                    qtok = (ip + fp + self._qpad[len(fp):]).lstrip("0")
                else:
                    qtok = _qty_token(bid_qty, self.qty_decimals)
                keys = self._bid_keys
                i = _bisect_left(keys, key)
                if i < len(keys) and keys[i] == key:
                    if qtok:
                        self._bid_segs[i] = ptok + qtok
                    else:
                        del keys[i], self._bid_segs[i]
                    if i < CHECKSUM_LEVELS:
                        self._bid_part = None
                elif qtok:
                    keys.insert(i, key)
                    self._bid_segs.insert(i, ptok + qtok)
                    if len(keys) > self.depth:
                        del keys[-1], self._bid_segs[-1]
                    if i < CHECKSUM_LEVELS:
                        self._bid_part = None
        if timestamp is not None:
            self.timestamp = timestamp
        self.updates += 1
        ask_crc = self._ask_crc
        if ask_crc is None:
            segs = self._ask_segs
            ask_crc = self._ask_crc = _crc32("".join(segs if len(segs) <= CHECKSUM_LEVELS else segs[:CHECKSUM_LEVELS]).encode())
        bid_part = self._bid_part
        if bid_part is None:
            segs = self._bid_segs
            bid_part = self._bid_part = "".join(segs if len(segs) <= CHECKSUM_LEVELS else segs[:CHECKSUM_LEVELS]).encode()
        computed = self.checksum = _crc32(bid_part, ask_crc) & 0xFFFFFFFF
        self.expected_checksum = checksum
        valid = self.valid = self.has_snapshot and computed == checksum
        return valid

    def _cache_price(self, price: str) -> tuple[int, str]:
        """(scaled int, checksum token) of a price text, remembered in the bounded cache."""
        ip, _, fp = price.partition(".")
        pd = self.price_decimals
        if len(fp) <= pd:
            pi = int(ip + fp + self._ppad[len(fp):])
        else:  # more decimals than the precision: round half-even like the documented rule
            pi = _scaled(price, pd)
        prices = self._price_cache
        if len(prices) >= self._price_cache_size:
            prices.clear()
        cached = prices[price] = (pi, str(pi) if pi else "")
        return cached

    def _apply_text_side(self, levels: list[tuple[str, str]], keys: list[int], segs: list[str], negate: bool) -> bool:
        """Apply ``(price text, qty text)`` levels in order, truncate to the depth;
        True when the top ten changed.

        Per level: ``str.partition`` and concatenations give the padded digits (the
        checksum tokens once leading zeros are stripped; a price's scaled int and token
        usually come from a small cache keyed by its text), one bisect finds the level.
        No Decimal, no float, no sorting.
        """
        pd, qd, ppad, qpad = self.price_decimals, self.qty_decimals, self._ppad, self._qpad
        prices = self._price_cache
        top = False
        for price, qty in levels:
            cached = prices.get(price)
            if cached is None:
                ip, _, fp = price.partition(".")
                if len(fp) <= pd:
                    pi = int(ip + fp + ppad[len(fp):])
                else:  # more decimals than the precision: round half-even like the documented rule
                    pi = _scaled(price, pd)
                if len(prices) >= self._price_cache_size:
                    prices.clear()
                cached = prices[price] = (pi, str(pi) if pi else "")
            pi, ptok = cached
            ip, _, fp = qty.partition(".")
            if len(fp) <= qd:
                qtok = (ip + fp + qpad[len(fp):]).lstrip("0")
            else:
                qi = _scaled(qty, qd)
                qtok = str(qi) if qi else ""
            key = -pi if negate else pi
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                if qtok:
                    segs[i] = ptok + qtok
                else:
                    del keys[i], segs[i]
            elif qtok:
                keys.insert(i, key)
                segs.insert(i, ptok + qtok)
            else:
                continue  # removal of a level the book does not hold
            if i < CHECKSUM_LEVELS:
                top = True
        depth = self.depth
        if len(keys) > depth:  # levels pushed below the depth: Kraken sends no removal for them
            del keys[depth:], segs[depth:]
        return top

    def _apply_side(self, levels: list[dict[str, Any]], keys: list[int], segs: list[str], negate: bool) -> bool:
        """Apply ``{"price": ..., "qty": ...}`` levels of any number type (see :meth:`_apply_text_side`)."""
        pd, qd = self.price_decimals, self.qty_decimals
        top = False
        for level in levels:
            pi = _units(level["price"], pd)
            qi = _units(level["qty"], qd)
            qtok = str(qi) if qi else ""
            key = -pi if negate else pi
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                if qtok:
                    segs[i] = f"{pi}{qtok}" if pi else qtok
                else:
                    del keys[i], segs[i]
            elif qtok:
                keys.insert(i, key)
                segs.insert(i, f"{pi}{qtok}" if pi else qtok)
            else:
                continue
            if i < CHECKSUM_LEVELS:
                top = True
        depth = self.depth
        if len(keys) > depth:
            del keys[depth:], segs[depth:]
        return top

    def compute_checksum(self) -> int:
        """CRC32 over the top ten levels of each side (kraken-protocol.md §4.6).

        The asks part (lowest first) comes before the bids part (highest first), so the
        CRC of the asks part is cached and the bids part is fed on top of it; a side's
        part is rebuilt (one join of its first ten segments) only after a change in its
        top ten.
        """
        ask_crc = self._ask_crc
        if ask_crc is None:
            ask_crc = self._ask_crc = zlib.crc32("".join(self._ask_segs[:CHECKSUM_LEVELS]).encode())
        bid_part = self._bid_part
        if bid_part is None:
            bid_part = self._bid_part = "".join(self._bid_segs[:CHECKSUM_LEVELS]).encode()
        return zlib.crc32(bid_part, ask_crc) & 0xFFFFFFFF

    # -- reading -------------------------------------------------------------------------
    def asks(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Ask levels (price, qty), lowest price first."""
        pd, qd = -self.price_decimals, -self.qty_decimals
        keys, segs = self._ask_keys, self._ask_segs
        if limit is not None:
            keys, segs = keys[:limit], segs[:limit]
        return [(Decimal(k).scaleb(pd), Decimal(_seg_qty(k, seg)).scaleb(qd)) for k, seg in zip(keys, segs)]

    def bids(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Bid levels (price, qty), highest price first."""
        pd, qd = -self.price_decimals, -self.qty_decimals
        keys, segs = self._bid_keys, self._bid_segs
        if limit is not None:
            keys, segs = keys[:limit], segs[:limit]
        return [(Decimal(-k).scaleb(pd), Decimal(_seg_qty(-k, seg)).scaleb(qd)) for k, seg in zip(keys, segs)]

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


# A v2 book frame exactly as Kraken writes it (compact, keys in Kraken's order, plain
# non-negative numbers without exponent, strings without escapes). Whatever this accepts,
# ``json`` parses to the same structure, so for such frames the client reads prices and
# quantities straight from the text; every other frame goes through ``loads``.
# Optional parts are written ``(?:...|)`` and repeats are possessive (``*+``, ``{0,39}+``):
# the same language (no repeat here can give back anything its follower could use), but
# Python's ``re`` runs them without its slower REPEAT/backtracking machinery (~0.15 us a frame).
_JSON_NUMBER = r"(?:0|[1-9][0-9]{0,39}+)(?:\.[0-9]{1,40}+|)"
_JSON_LEVEL = r'\{"price":' + _JSON_NUMBER + r',"qty":' + _JSON_NUMBER + r"\}"
# a side: empty, or its first level's price and qty captured and the other levels' text
_JSON_SIDE = r'(?:\{"price":(' + _JSON_NUMBER + r'),"qty":(' + _JSON_NUMBER + r')\}((?:,' + _JSON_LEVEL + r')*+)|)'
_JSON_PLAIN_STRING = r'[^"\\\x00-\x1f]*+'  # what json accepts between quotes when there is no escape
_BOOK_FRAME = re.compile(
    r'\{"channel":"book","type":"(snapshot|update)","data":\[\{"symbol":"(' + _JSON_PLAIN_STRING + r')"'
    r',"bids":\[' + _JSON_SIDE + r'\],"asks":\[' + _JSON_SIDE + r'\]'
    r',"checksum":(0|[1-9][0-9]{0,17}+)(?:,"timestamp":"(' + _JSON_PLAIN_STRING + r')"|)\}\]\}'
)
_book_frame_fullmatch = _BOOK_FRAME.fullmatch
_LEVEL_TEXTS = re.compile(r'\{"price":([0-9.]+),"qty":([0-9.]+)\}')  # only run on text _BOOK_FRAME matched
_BOOK_PREFIX = '{"channel":"book",'
# Reading from the text wins for frames of a few levels (the usual update: one); for many
# levels building the Decimal message in Python costs more than the C ``json`` decoder
# (measured on the benchmark fixtures: +0.6 us per 1-level frame, -1.3 us per 10-level one).
_FAST_FRAME_MAX = 320  # characters: the header and about five levels
_Match = re.Match


def _json_levels(levels: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The levels as ``loads`` gives them: numbers with a point as Decimal, the others as int."""
    return [
        {"price": Decimal(p) if "." in p else int(p), "qty": Decimal(q) if "." in q else int(q)}
        for p, q in levels
    ]


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
    def _make_connection(self, name: str, url: str) -> Any:
        conn = super()._make_connection(name, url)
        conn.decode = self._frame_decoder()
        return conn

    def _book_messages_unused(self) -> bool:
        """True when nothing would read a book message: no ``callback``, and neither
        :meth:`on_book_update` nor :meth:`on_message` (nor ``_preprocess``) replaced, in a
        subclass or on the instance."""
        cls = SpotOrderBookClient
        return (
            self._book_callback is None
            and getattr(self.on_book_update, "__func__", None) is cls.on_book_update
            and getattr(self.on_message, "__func__", None) is cls.on_message
            and getattr(self._preprocess, "__func__", None) is cls._preprocess
        )

    def _frame_decoder(self) -> Callable[[str | bytes], Any]:
        """The frame decoder for a new connection, chosen when it is made (at :meth:`start`):
        :meth:`_apply_frame` (books kept, no per-frame message) when nothing reads book
        messages, else :meth:`_decode_frame` (every message built and handed on)."""
        return self._apply_frame if self._book_messages_unused() else self._decode_frame

    def _apply_frame(self, raw: str | bytes) -> Any:
        """The decoder when nothing reads book messages: a book frame in Kraken's exact form
        is applied to its book straight from the text and goes no further
        (:data:`~kraken_ops._core.ws.FRAME_HANDLED`); no Decimal message is built and no
        callback chain awaited. A checksum mismatch still gives its notice (and the
        resubscription); every other frame is decoded as by :meth:`_decode_frame`."""
        if type(raw) is str:  # the pattern's literal start turns other frames away within a few characters
            match = _book_frame_fullmatch(raw)
            if match is not None:
                kind, pair, bid_price, bid_qty, more_bids, ask_price, ask_qty, more_asks, checksum, timestamp = match.groups()
                book = self._books.get(pair)
                if book is None:
                    return FRAME_HANDLED
                if kind == "snapshot":
                    book.reset()
                    book.has_snapshot = True
                elif not book.has_snapshot:
                    return FRAME_HANDLED  # updates before the (re)snapshot are stale
                if book._apply_frame_text(bid_price, bid_qty, more_bids, ask_price, ask_qty, more_asks, int(checksum), timestamp):
                    return FRAME_HANDLED
                return self._checksum_mismatch(pair, book)
        return loads(raw)

    @staticmethod
    def _decode_frame(raw: str | bytes) -> Any:
        """The connection's frame decoder: a short book frame in Kraken's exact form stays
        text (its regex match) for :meth:`_preprocess`; everything else is parsed by ``loads``."""
        if type(raw) is str and len(raw) <= _FAST_FRAME_MAX and raw.startswith(_BOOK_PREFIX):
            match = _BOOK_FRAME.fullmatch(raw)
            if match is not None:
                return match
        return loads(raw)

    def _apply_book_frame(self, match: Any) -> dict[str, Any]:
        """Apply a matched book frame from its text; return the message ``loads`` would have given."""
        kind, pair, bid_price, bid_qty, more_bids, ask_price, ask_qty, more_asks, checksum_text, timestamp = match.groups()
        # the first level of a side inline (most updates carry one level), the others in a loop
        if bid_price is None:
            bids, bid_levels = [], []
        else:
            bids = [(bid_price, bid_qty)]
            bid_levels = [{"price": Decimal(bid_price) if "." in bid_price else int(bid_price),
                           "qty": Decimal(bid_qty) if "." in bid_qty else int(bid_qty)}]
            if more_bids:
                more = _LEVEL_TEXTS.findall(more_bids)
                bids += more
                bid_levels += _json_levels(more)
        if ask_price is None:
            asks, ask_levels = [], []
        else:
            asks = [(ask_price, ask_qty)]
            ask_levels = [{"price": Decimal(ask_price) if "." in ask_price else int(ask_price),
                           "qty": Decimal(ask_qty) if "." in ask_qty else int(ask_qty)}]
            if more_asks:
                more = _LEVEL_TEXTS.findall(more_asks)
                asks += more
                ask_levels += _json_levels(more)
        checksum = int(checksum_text)
        item = {"symbol": pair, "bids": bid_levels, "asks": ask_levels, "checksum": checksum}
        if timestamp is not None:
            item["timestamp"] = timestamp
        message = {"channel": "book", "type": kind, "data": [item]}
        book = self._books.get(pair)
        if book is None:
            return message
        snapshot = kind == "snapshot"
        if not snapshot and not book.has_snapshot:
            return message  # updates before the (re)snapshot are stale
        if not book.apply_text(asks, bids, checksum, timestamp, snapshot=snapshot):
            return self._checksum_mismatch(pair, book)
        return message

    def _preprocess(self, message: Any) -> Any:
        """Runs in the reader for every message: applies book data at once, returns what to queue."""
        if type(message) is _Match:
            return self._apply_book_frame(message)
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
                return self._checksum_mismatch(pair, book)
        return message

    def _checksum_mismatch(self, pair: str, book: OrderBook) -> dict[str, Any]:
        """Count, log, resubscribe (once at a time); return the notice for :meth:`on_book_update`."""
        notice = {
            "kraken_ops": "checksum_mismatch",
            "symbol": pair,
            "expected": book.expected_checksum,
            "computed": book.checksum,
            "_pair": pair,
        }
        self.checksum_mismatches += 1
        book.has_snapshot = False  # ignore updates until the fresh snapshot arrives
        LOG.warning("book %s: checksum mismatch (expected %s, computed %s); resubscribing", pair, book.expected_checksum, book.checksum)
        if pair not in self._resubscribing:
            self._resubscribing.add(pair)
            self._spawn(self._resubscribe_book(pair))
        return notice

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
            if type(result) is CoroutineType or (result is not None and inspect.isawaitable(result)):
                await result
