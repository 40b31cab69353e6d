"""Spot order books: a socket-free :class:`OrderBook` and the :class:`SpotOrderBookClient`.

:class:`SpotOrderBookClient` keeps python-kraken-sdk's contract: ``on_message(message)``
with a Kraken WebSocket v2 message (a dict) is the entry point that applies ``book``
snapshots and updates, for any pair, verifies the checksum and then calls
``on_book_update(pair=..., message=...)``; ``get(pair)`` returns the reference's book
``{"bid": {price: (volume, timestamp)}, "ask": {...}, "valid": bool, "price_decimals": n,
"qty_decimals": n}`` with prices and volumes as text padded to the pair's decimals (best
first). Decimal levels and the :class:`OrderBook` object are kraken-ops additions with
their own names (:meth:`SpotOrderBookClient.book`, :meth:`OrderBook.bids`, ...).

:class:`OrderBook` applies ``book`` messages and verifies the CRC32 checksum of
kraken-protocol.md §4.6. It knows nothing about sockets, so it is tested and benchmarked
on recorded messages. Levels enter a book as exact number text, by one set of rules
(:meth:`OrderBook._apply_levels`). The client's fast path reads that text straight from
the frame (:data:`_BOOK_FRAME`); a dict message (``on_message``, replays, frames in other
forms) has its numbers written as text first (:func:`_plain_text`) and then goes the same
way, so both paths keep identical books. Book updates read by a client's connection go
through a decoder generated for the client's configuration from the same rules
(:func:`_make_update_decoder`, no call per level); tests keep it equal to the method path
frame by frame. Where the optional C module ``kraken_ops.spot._bookscan`` is built, that
decoder scans the frame, applies a side's single level and takes the CRC32 with it; each
C function has a Python twin here that defines it and runs when the module is missing.

How it stays fast. Per side the book keeps parallel lists, best level first: the sort key
(the price as an exact integer scaled by the pair's precision, negated for bids, so one
:func:`bisect.bisect_left` serves both sides), the level's checksum segment (Kraken's
token is ``str`` of that integer), and the reference's price text and ``(volume text,
timestamp)`` value. An update costs one bisect and a short memmove per level; no sort, no
Decimal, no float. The checksum part of a side is rebuilt (one join) only when a change
touched its top ten. The first ``get()`` builds the reference dict; from then on its side
dicts are changed level by level with the book (a copy first when someone holds the side
dict), so ``get()`` is a lookup; the book dict itself is the same object across calls.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import sys
import zlib
from bisect import bisect_left
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from types import CoroutineType
from typing import Any, Callable, Iterable

from kraken_ops._core.ws import FRAME_HANDLED, loads, notice
from kraken_ops.spot.websocket import SpotWSClient

__all__ = ["OrderBook", "SpotOrderBookClient", "checksum_token", "book_checksum", "VALID_DEPTHS"]

LOG = logging.getLogger(__name__)

VALID_DEPTHS = (10, 25, 100, 500, 1000)
CHECKSUM_LEVELS = 10
_TOP, _REORDERED, _TOP_REORDERED = 1, 2, 3  # what OrderBook._apply_levels changed: the top ten; the order of the side dict
_crc32 = zlib.crc32
_bisect_left = bisect_left
_refcount: Callable[[Any], int] = getattr(sys, "getrefcount", lambda obj: 1 << 30)  # without it: always "held"

# The optional C helpers of the text path (kraken_ops/spot/_bookscan.c, built by setup.py when
# a compiler is there): the frame scanner (:data:`_UPDATE_FRAME`'s groups: twin
# :func:`scan_update_py`), the CRC32 of a side's top ten checksum segments (twin
# :func:`crc32_top_py`) and a side's single level applied (twin: the update decoder
# template's level code, ``_LEVEL_TEMPLATE``). The twins define them, tests hold each pair
# equal, and without the module (not built, or ``KRAKEN_OPS_NO_EXTENSIONS`` set) the twins run.
_scan_update: Callable[[Any], Any] | None = None
_crc32_top: Callable[[list[str], int], int] | None = None
_apply_one: Callable[..., Any] | None = None
if not os.environ.get("KRAKEN_OPS_NO_EXTENSIONS"):
    try:
        from kraken_ops.spot._bookscan import apply_one as _apply_one, crc32_top as _crc32_top, scan_update as _scan_update
    except ImportError:  # not built: the pure-Python twins
        pass


def scan_update_py(raw: str) -> tuple[Any, ...] | None:
    """The pure-Python twin of the C ``scan_update``: a book update frame's groups (pair;
    bids' first price, volume, volume's significant digits, further levels as
    ``_UPDATE_LEVELS.findall`` gives them in a tuple; the same for asks; checksum as int;
    timestamp), or None when the frame is not in Kraken's exact form."""
    match = _UPDATE_FRAME.fullmatch(raw)
    if match is None:
        return None
    g = match.groups()
    more = [None if text is None else tuple(_UPDATE_LEVELS.findall(text)) for text in (g[4], g[8])]
    return (*g[:4], more[0], *g[5:8], more[1], int(g[9]), g[10])


def crc32_top_py(segs: list[str], start: int) -> int:
    """The pure-Python twin of the C ``crc32_top``: CRC32 of a side's first ten checksum
    segments, continuing from ``start`` (asks from 0, then bids from the asks' CRC: the book
    checksum of kraken-protocol.md §4.6)."""
    return _crc32("".join(segs if len(segs) <= CHECKSUM_LEVELS else segs[:CHECKSUM_LEVELS]).encode(), start)


# a side's part of the checksum, as the general path takes it: the C function when built
_top_crc: Callable[[list[str], int], int] = _crc32_top if _crc32_top is not None else crc32_top_py


def _own_refs() -> int:
    """How many references a dict held in one slot has, read the way the book reads it (the
    slot, a local name, getrefcount's argument): more means that someone else holds it."""
    holder = {"slot": {}}
    held = holder["slot"]
    return _refcount(held)


_END = float("inf")  # after the last sort key of a side: bisect never passes it, so keys[i] always exists
_OWN_REFS = _own_refs()  # 3 on CPython 3.11-3.13
# a new level inserted in the middle of a side dict that is kept up to date: the levels
# after it are moved behind it when there are at most this many, else the dict is built
# again when read
_REORDER_IN_PLACE = 4


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


# a JSON number without sign or exponent (what Kraken writes, and the only text levels are applied from)
_PLAIN_NUMBER = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _plain_text(value: Any) -> str:
    """A price or quantity of a dict message (Decimal, int, str or float) as plain number text.

    The dict path's only conversion: afterwards its levels are applied exactly like the
    text read from a frame. Floats are taken as their shortest repr (what the JSON said).
    Raises ValueError for what cannot be a price or quantity (negative, NaN, not a number).
    """
    kind = type(value)
    if kind is str:
        if _PLAIN_NUMBER.fullmatch(value):
            return value
    elif kind is int:
        if value >= 0:
            return str(value)
    elif kind is Decimal:
        text = str(value)  # plain for the numbers JSON gives ("0.3463"), else "1E-9", "-1.5", "NaN", "Infinity"
        if "E" not in text and text[0] != "-" and text[-1].isdigit():
            return text
    try:
        number = _as_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(f"not a price or quantity: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"not a price or quantity: {value!r}")
    text = format(number, "f")  # positional notation, no leading zeros
    return text[1:] if text.startswith("-") else text  # "-0"


def _number(text: str) -> Any:
    """A number text as ``loads`` gives it: with a fraction a Decimal, else an int."""
    return Decimal(text) if "." in text else int(text)


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


def _fixed(units: int, decimals: int) -> str:
    """An integer in units of ``10**-decimals`` as text with exactly ``decimals`` decimals
    (what python-kraken-sdk's ``"{:.{n}f}".format(value)`` writes)."""
    if not decimals:
        return str(units)
    whole, frac = divmod(units, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


class OrderBook:
    """One pair's book from Kraken WebSocket v2 ``book`` messages, with checksum verification.

    ``price_decimals`` and ``qty_decimals`` are the pair's ``price_precision`` and
    ``qty_precision`` (instrument channel) or ``pair_decimals`` and ``lot_decimals``
    (AssetPairs). Prices and quantities may be Decimal, int, str (exact JSON number text)
    or float (taken as its shortest repr); they are never computed with as floats.

    Read it as python-kraken-sdk's book (:meth:`reference_view`, what
    ``SpotOrderBookClient.get`` returns) or with Decimals (:meth:`bids`, :meth:`asks`,
    :meth:`as_dict`; kraken-ops additions).

    >>> book = OrderBook(depth=10, price_decimals=1, qty_decimals=8)
    >>> book.apply({"type": "snapshot", "data": [{"symbol": "BTC/USD",
    ...     "bids": [{"price": Decimal("100.0"), "qty": Decimal("1")}],
    ...     "asks": [{"price": Decimal("100.5"), "qty": Decimal("2")}], "checksum": 0}]})
    False
    >>> book.best_bid(), book.best_ask()
    ((Decimal('100.0'), Decimal('1.00000000')), (Decimal('100.5'), Decimal('2.00000000')))
    >>> book.reference_view()["ask"]
    {'100.5': ('2.00000000', None)}
    """

    __slots__ = (
        "depth",
        "price_decimals",
        "qty_decimals",
        "_ppad",
        "_qpad",
        "_qdot",
        "_price_cache",
        "_price_cache_size",
        "_ask_keys",
        "_ask_segs",
        "_ask_levels",
        "_bid_keys",
        "_bid_segs",
        "_bid_levels",
        "_ask_crc",
        "_bid_part",
        "_qpads",
        "_qpad_by_len",
        "_qpad_by_text_len",
        "_view",
        "valid",
        "checksum",
        "expected_checksum",
        "has_snapshot",
        "timestamp",
        "_fresh",
    )

    def __init__(self, depth: int = 10, price_decimals: int = 1, qty_decimals: int = 8) -> None:
        if depth <= 0:
            raise ValueError("depth must be positive")
        self.depth = depth
        self.price_decimals = price_decimals
        self.qty_decimals = qty_decimals
        self._ppad = "0" * price_decimals  # "0" * (decimals - digits after the point) pads a number text
        self._qpad = "0" * qty_decimals
        self._qdot = "." if qty_decimals else ""
        # what a quantity text with 1..qty_decimals decimals gets appended for its reference
        # text (and its checksum token); other quantities go through _qty_texts
        self._qpads = {n: self._qpad[n:] for n in range(1, qty_decimals + 1)}
        # the same by index (the number of decimals, up to the 40 a frame's number may have):
        # None where the text is not simply padded
        self._qpad_by_len = (None, *(self._qpad[n:] for n in range(1, qty_decimals + 1)), *(None,) * (41 - qty_decimals))
        # and by the length of a volume text "0.<digits>"
        self._qpad_by_text_len = (None, None, *self._qpad_by_len)
        # price text -> [scaled int, checksum token, the reference's price text, the number
        # ``loads`` gives (once a message needed it)]: active prices recur (levels are updated
        # and removed by the same text), so most levels skip the digit work. Bounded: cleared
        # when full, so memory stays flat.
        self._price_cache: dict[str, list[Any]] = {}
        self._price_cache_size = 4 * depth + 256
        # Per side, parallel lists, best level first: the sort key (scaled price; negated
        # for bids so that both sides sort ascending and one bisect serves both), the
        # checksum segment (price token + qty token) and the reference's item
        # ``(price text, (volume text, timestamp))``.
        self._ask_keys: list[Any] = [_END]
        self._ask_segs: list[str] = []
        self._ask_levels: list[tuple[str, tuple[str, Any]]] = []
        self._bid_keys: list[Any] = [_END]
        self._bid_segs: list[str] = []
        self._bid_levels: list[tuple[str, tuple[str, Any]]] = []
        # checksum cache: CRC32 of the top-ten asks part and the bytes of the top-ten bids
        # part; None when a change touched the top ten of that side since the last checksum
        self._ask_crc: int | None = None
        self._bid_part: bytes | None = None
        # The reference dict, made by the first read; from then on its side dicts are kept
        # up to date level by level (a side is None when it must be built again when read).
        # A side dict that anyone else holds is never modified: the change goes to a copy.
        self._view: dict[str, Any] | None = None
        self.valid = False
        self.checksum: int | None = None
        self.expected_checksum: int | None = None
        self.has_snapshot = False
        self.timestamp: Any = None
        self._fresh = False  # the reference dict shows the book as it is

    # -- applying messages -------------------------------------------------------------
    def reset(self) -> None:
        """Forget every level (before a new snapshot)."""
        for side in (self._ask_segs, self._ask_levels, self._bid_segs, self._bid_levels):
            side.clear()
        del self._ask_keys[:-1], self._bid_keys[:-1]
        self._ask_crc = None
        self._bid_part = None
        view = self._view
        if view is not None:  # built again when read (a caller may hold the old ones)
            view["bid"] = view["ask"] = None
            view["valid"] = False
        self._fresh = False
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
        """Apply one ``data`` item of a book message and verify its ``checksum``.

        Its numbers are written as plain text first (:func:`_plain_text`; ValueError for a
        negative or non-numeric value, before anything is applied), then applied like a frame's.
        """
        asks = item.get("asks")
        bids = item.get("bids")
        ask_levels = [(_plain_text(level["price"]), _plain_text(level["qty"])) for level in asks] if asks else None
        bid_levels = [(_plain_text(level["price"]), _plain_text(level["qty"])) for level in bids] if bids else None
        if snapshot:
            self.reset()
            self.has_snapshot = True
        return self._apply_sides(ask_levels, bid_levels, item.get("checksum"), item.get("timestamp"))

    def apply_text(self, asks: list[tuple[str, str]], bids: list[tuple[str, str]], checksum: int | None = None,
                   timestamp: str | None = None, *, snapshot: bool = False) -> bool:
        """Apply levels given as exact JSON number text, ``[(price, qty), ...]`` per side.

        The texts must be plain non-negative decimal numbers (``60031``, ``0.3463``: digits
        with at most one point, no sign or exponent), as the client's frame parser guarantees.
        """
        if snapshot:
            self.reset()
            self.has_snapshot = True
        return self._apply_sides(asks or None, bids or None, checksum, timestamp)

    def _apply_sides(self, asks: Any, bids: Any, expected: Any, timestamp: Any) -> bool:
        """Apply a message's ask and bid levels (text pairs, or None), compute the checksum,
        compare it with ``expected`` and set :attr:`valid`; keep the reference dict (once
        someone has read it) up to date, as python-kraken-sdk's is."""
        view = self._view
        if asks:
            if view is None:
                side = None
            else:
                side = view["ask"]
                if side is not None and _refcount(side) > _OWN_REFS:  # held by a caller: never changed again
                    side = view["ask"] = side.copy()
            changed = self._apply_levels(asks, self._ask_keys, self._ask_segs, self._ask_levels, 0, timestamp, side)
            if changed:
                if changed != _REORDERED:
                    self._ask_crc = None
                if changed != _TOP:
                    view["ask"] = None  # type: ignore[index]
                    self._fresh = False
        if bids:
            if view is None:
                side = None
            else:
                side = view["bid"]
                if side is not None and _refcount(side) > _OWN_REFS:
                    side = view["bid"] = side.copy()
            changed = self._apply_levels(bids, self._bid_keys, self._bid_segs, self._bid_levels, 4, timestamp, side)
            if changed:
                if changed != _REORDERED:
                    self._bid_part = None
                if changed != _TOP:
                    view["bid"] = None  # type: ignore[index]
                    self._fresh = False
        if timestamp is not None:
            self.timestamp = timestamp
        if self._bid_part is None or self._ask_crc is None:  # a top ten changed
            computed = self.checksum = self.compute_checksum()
        else:
            computed = self.checksum
        if type(expected) is str and str(computed) == expected:  # a frame's digits (int() only when they differ)
            self.expected_checksum = computed
            valid = self.valid = self.has_snapshot
        elif expected is None:
            self.expected_checksum = None
            valid = self.valid = self.has_snapshot
        else:
            if type(expected) is not int:
                expected = int(expected)
            self.expected_checksum = expected
            valid = self.valid = computed == expected and self.has_snapshot
        if view is not None:
            view["valid"] = valid
            if not self._fresh and _refcount(view) > _OWN_REFS:  # a caller holds it: as current as the reference's
                self.reference_view()
        return valid

    def _apply_levels(self, levels: Iterable[tuple[str, str]], keys: list[Any], segs: list[str],
                      items: list[tuple[str, tuple[str, Any]]], key_at: int, timestamp: Any, view: dict[str, Any] | None) -> int:
        """Apply ``(price text, qty text)`` levels in order and truncate the side to the depth.
        The one place levels enter a book.

        Per level: the price's sort key, checksum token and reference text come from a
        small cache keyed by its text (``key_at``: 0 for asks, 4 for bids, whose key is
        negated); the quantity's reference text is the text padded with zeros, its token
        that without the point and leading zeros; one bisect finds the level. A quantity of
        zero removes the level. ``view`` (the side's reference dict, or None) gets the same
        change while its order stays right. Returns 0, :data:`_TOP` (the top ten changed),
        :data:`_REORDERED` (``view`` must be built again) or both (:data:`_TOP_REORDERED`).
        """
        cache = self._price_cache
        pads = self._qpads
        top = reordered = False
        for price, qty in levels:
            entry = cache.get(price)
            if entry is None:
                entry = self._price_entry(price)
            key = entry[key_at]
            i = _bisect_left(keys, key)  # keys end with _END: keys[i] exists
            if qty == "0":
                if keys[i] != key:
                    continue  # removal of a level the book does not hold
                del keys[i], segs[i], items[i]
                if view is not None:
                    del view[entry[2]]
            else:
                # the reference's volume text (padded to the precision) and the level's
                # checksum segment: price token + volume digits without the point and
                # leading zeros ("" when the volume is zero)
                ip, _, fp = qty.partition(".")
                pad = pads.get(len(fp))
                if pad is None:  # no point, or more decimals than the precision
                    ref, seg = self._qty_texts(qty)
                    if seg:
                        seg = entry[1] + seg
                elif ip == "0":  # the usual volume: below one
                    ref = qty + pad
                    seg = fp.lstrip("0")
                    if seg:
                        seg = f"{entry[1]}{seg}{pad}"
                else:
                    ref = qty + pad
                    seg = f"{entry[1]}{ip}{fp}{pad}"
                if keys[i] == key:
                    if seg:
                        value = (ref, timestamp)
                        segs[i] = seg
                        items[i] = (entry[2], value)
                        if view is not None:
                            view[entry[2]] = value
                    else:  # "0.0", or rounded to zero
                        del keys[i], segs[i], items[i]
                        if view is not None:
                            del view[entry[2]]
                elif seg:
                    value = (ref, timestamp)
                    keys.insert(i, key)
                    segs.insert(i, seg)
                    items.insert(i, (entry[2], value))
                    if view is not None:
                        after = len(items) - i - 1  # levels after the new one: moved behind it
                        if not after:
                            view[entry[2]] = value
                        elif after <= _REORDER_IN_PLACE:
                            tail = items[i + 1:]
                            for ptext, _ in tail:
                                del view[ptext]
                            view[entry[2]] = value
                            view.update(tail)
                        else:  # cheaper to build it again when it is read
                            view = None
                            reordered = True
                else:
                    continue
            if i < 10:  # CHECKSUM_LEVELS
                top = True
        depth = self.depth
        if len(items) > depth:  # levels pushed below the depth: Kraken sends no removal for them
            if view is not None:
                for ptext, _ in items[depth:]:
                    del view[ptext]
            del keys[depth:-1], segs[depth:], items[depth:]
        if reordered:
            return _TOP_REORDERED if top else _REORDERED
        return _TOP if top else 0

    def _qty_texts(self, qty: str) -> tuple[str, str]:
        """(reference text, checksum token) of a volume text without a point or with more
        decimals than the precision (rounded half-even like the documented rule)."""
        qi = _scaled(qty, self.qty_decimals)
        return _fixed(qi, self.qty_decimals), str(qi) if qi else ""

    def _price_entry(self, price: str) -> list[Any]:
        """``[scaled int, checksum token, reference text, JSON number (None until a message
        needs it), -scaled int]`` of a price text, remembered in the bounded cache."""
        ip, _, fp = price.partition(".")
        pd = self.price_decimals
        n = len(fp)
        if n <= pd:
            pad = self._ppad[n:]
            digits = f"{ip}{fp}{pad}"
            scaled = int(digits)
            entry = [scaled, digits.lstrip("0"), f"{ip}.{fp}{pad}" if pd else ip, None, -scaled]
        else:  # more decimals than the precision: round half-even like the documented rule
            pi = _scaled(price, pd)
            entry = [pi, str(pi) if pi else "", _fixed(pi, pd), None, -pi]
        cache = self._price_cache
        if len(cache) >= self._price_cache_size:
            cache.clear()
        cache[price] = entry
        return entry

    def compute_checksum(self) -> int:
        """CRC32 over the top ten levels of each side (kraken-protocol.md §4.6).

        The asks part (lowest first) comes before the bids part (highest first), so the
        CRC of the asks part is cached and the bids part is fed on top of it; a side's
        part is rebuilt (one join of its first ten segments) only after a change in its
        top ten.
        """
        ask_crc = self._ask_crc
        if ask_crc is None:
            ask_crc = self._ask_crc = _top_crc(self._ask_segs, 0)
        bid_part = self._bid_part
        if bid_part is None:
            bid_part = self._bid_part = "".join(self._bid_segs[:CHECKSUM_LEVELS]).encode()
        return _crc32(bid_part, ask_crc)

    # -- reading -------------------------------------------------------------------------
    def reference_view(self) -> dict[str, Any]:
        """The book as python-kraken-sdk's ``SpotOrderBookClient.get`` gives it.

        ``{"bid": {price: (volume, timestamp)}, "ask": {...}, "valid": bool,
        "price_decimals": n, "qty_decimals": n}``: prices and volumes are text with exactly
        the pair's decimals (``"60029.9"``, ``"0.34630000"``), best level first; the
        timestamp is that of the update that last set the level (None from a snapshot).

        The same dict on every call, brought up to date when read and, while anyone else
        holds it, after every change. Once it exists its side dicts are kept up to date
        level by level, but a side dict that anyone else holds (a name, a list, an
        iterator: ``sys.getrefcount`` tells) is never modified: the change goes to a copy,
        which replaces it in the reference dict (as the reference's are replaced). A side
        dict nobody holds any more cannot be told from a new one.
        """
        view = self._view
        if self._fresh:
            return view  # type: ignore[return-value]
        if view is None:
            view = self._view = {"bid": None, "ask": None, "valid": self.valid,
                                 "price_decimals": self.price_decimals, "qty_decimals": self.qty_decimals}
        if view["bid"] is None:
            view["bid"] = dict(self._bid_levels)
        if view["ask"] is None:
            view["ask"] = dict(self._ask_levels)
        view["valid"] = self.valid
        self._fresh = True
        return view

    def asks(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Ask levels (price, qty) as Decimals, lowest price first (kraken-ops addition)."""
        levels = self._ask_levels if limit is None else self._ask_levels[:limit]
        return [(Decimal(price), Decimal(value[0])) for price, value in levels]

    def bids(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Bid levels (price, qty) as Decimals, highest price first (kraken-ops addition)."""
        levels = self._bid_levels if limit is None else self._bid_levels[:limit]
        return [(Decimal(price), Decimal(value[0])) for price, value in levels]

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        levels = self.bids(1)
        return levels[0] if levels else None

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        levels = self.asks(1)
        return levels[0] if levels else None

    def __len__(self) -> int:
        return len(self._ask_levels) + len(self._bid_levels)

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        """``{"bid": {price: qty}, "ask": {price: qty}, "valid": bool}`` with Decimals, best first
        (kraken-ops addition; :meth:`reference_view` is python-kraken-sdk's shape)."""
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
# What json accepts between quotes, narrowed to printable ASCII without escapes (a bitmap
# test per character in ``re``, about half the cost of the negated class); any other
# string sends the frame through ``loads``.
_JSON_PLAIN_STRING = r'[ !#-\[\]-~]*+'
_BOOK_FRAME = re.compile(
    r'\{"channel":"book","type":"(snapshot|update)","data":\[\{"symbol":"(' + _JSON_PLAIN_STRING + r')"'
    r',"bids":\[' + _JSON_SIDE + r'\],"asks":\[' + _JSON_SIDE + r'\]'
    r',"checksum":(0|[1-9][0-9]{0,17}+)(?:,"timestamp":"(' + _JSON_PLAIN_STRING + r')"|)\}\]\}'
)
_book_frame_fullmatch = _BOOK_FRAME.fullmatch
_LEVEL_TEXTS = re.compile(r'\{"price":([0-9.]+),"qty":([0-9.]+)\}')  # only run on text _BOOK_FRAME matched
# Building the message in Python from the frame's text wins for frames of a few levels (the
# usual update: one); for more, the C ``json`` decoder builds it faster (the book itself is
# applied from the text either way).
_FAST_FRAME_MAX = 320  # characters: the header and about five levels


def _price_number(prices: dict[str, list[Any]], price: str) -> Any:
    """A price text's number as ``loads`` gives it, kept in the book's price cache once made
    (Decimals are immutable, so messages can share them)."""
    entry = prices.get(price)
    if entry is None:
        return _number(price)
    number = entry[3]
    if number is None:
        number = entry[3] = _number(price)
    return number


def _json_levels(levels: Any, prices: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The levels as ``loads`` gives them: numbers with a point as Decimal, the others as int
    (prices' numbers as :func:`_price_number` gives them, without a call per level)."""
    out = []
    for price, qty in levels:
        entry = prices.get(price)
        if entry is None:
            number = _number(price)
        else:
            number = entry[3]
            if number is None:
                number = entry[3] = _number(price)
        out.append({"price": number, "qty": Decimal(qty) if "." in qty else 0 if qty == "0" else int(qty)})
    return out


# -- the specialised update decoder ------------------------------------------------------
# Book updates are nearly all frames of a subscription, and nearly all of them change one or
# two levels of one side. The client reads them with a decoder made for it when its
# connections are made (:func:`_make_update_decoder`): one function per combination of
# "does anyone read messages" and "is the depth above the ten checksum levels", generated
# from the template below and compiled once, whose per-frame path has no call per level, no
# attribute lookups on the client, and no branch for what the client's configuration already
# settled. It applies exactly what :meth:`OrderBook._apply_levels` applies (the tests keep
# both paths equal frame by frame); anything else (snapshots, unknown pairs, updates before
# a snapshot, frames not in Kraken's exact form) goes to :meth:`SpotOrderBookClient._decode_frame`.
#
# The update pattern is :data:`_BOOK_FRAME` for ``"type":"update"``, except that a side's
# first volume in the usual form ``0.<zeros><digits>`` also gives its significant digits
# (the checksum token without its padding), which saves a partition and a strip a level.
_JSON_QTY = r"(0\.(?=[0-9]{1,40}+[^0-9])0*+([1-9][0-9]*+)|" + _JSON_NUMBER + r")"
_JSON_UPDATE_SIDE = r'(?:\{"price":(' + _JSON_NUMBER + r'),"qty":' + _JSON_QTY + r"\}((?:," + _JSON_LEVEL + r")*+)|)"
_UPDATE_FRAME = re.compile(
    r'\{"channel":"book","type":"update","data":\[\{"symbol":"(' + _JSON_PLAIN_STRING + r')"'
    r',"bids":\[' + _JSON_UPDATE_SIDE + r'\],"asks":\[' + _JSON_UPDATE_SIDE + r'\]'
    r',"checksum":(0|[1-9][0-9]{0,17}+)(?:,"timestamp":"(' + _JSON_PLAIN_STRING + r')"|)\}\]\}'
)
# the further levels of a side (only run on text _UPDATE_FRAME matched): price, volume, and
# the volume's significant digits when it is 0.<digits> ("" otherwise)
_UPDATE_LEVELS = re.compile(r'\{"price":([0-9.]+),"qty":(0\.0*+([1-9][0-9]*+)|[0-9.]+)\}')

# One level (``price``, ``qty``, ``sig``) of side S: what OrderBook._apply_levels does.
_LEVEL_TEMPLATE = """
entry = CACHE_GET(PRICE_)
if entry is None:
    entry = book._price_entry(PRICE_)
key = entry[KEY]
i = bisect(keys, key)
if SIG_ and (pad := PADS_BY_TEXT[len(QTY_)]) is not None:  # the usual volume: 0.<digits>
    seg = f"{entry[1]}{SIG_}{pad}"
    ref = QTY_ + pad
elif QTY_ == "0":
    seg = ""
else:
    ip, _, fp = QTY_.partition(".")
    pad = book._qpad_by_len[len(fp)]
    if pad is None:  # no point, or more decimals than the precision
        ref, seg = book._qty_texts(QTY_)
        if seg:
            seg = entry[1] + seg
    elif ip == "0":
        ref = QTY_ + pad
        seg = fp.lstrip("0")
        if seg:
            seg = f"{entry[1]}{seg}{pad}"
    else:
        ref = QTY_ + pad
        seg = f"{entry[1]}{ip}{fp}{pad}"
if keys[i] == key:
    if seg:
        value = (ref, ts)
        segs[i] = seg
        items[i] = (entry[2], value)
        if side is not None:
            side[entry[2]] = value
    else:
        del keys[i], segs[i], items[i]
        if side is not None:
            del side[entry[2]]
    #TOP if i < 10:
    #TOP     top = True
elif seg#ONE and i < (depth := book.depth)#:
    value = (ref, ts)
    keys.insert(i, key)
    segs.insert(i, seg)
    items.insert(i, (entry[2], value))
    #ONE if len(items) > depth:  # the last level is pushed below the depth
    #ONE     del keys[-2], segs[-1]
    #ONE     if side is None:
    #ONE         del items[-1]
    #ONE     else:
    #ONE         del side[items.pop()[0]]
    if side is not None:
        after = len(items) - i - 1  # levels after the new one: moved behind it
        if not after:
            side[entry[2]] = value
        elif after <= REORDER:
            tail = items[i + 1:]
            for ptext, _ in tail:
                del side[ptext]
            side[entry[2]] = value
            side.update(tail)
        else:  # cheaper to build it again when it is read
            side = None
            reordered = True
    #TOP if i < 10:
    #TOP     top = True
"""
# its part of the message (a dict like the one ``loads`` gives; the price's number is kept in
# the price cache, Decimals being immutable)
_LEVEL_MESSAGE_TEMPLATE = """
number = entry[3]
if number is None:
    number = entry[3] = _number(PRICE_)
LEVELS{"price": number, "qty": exact_decimal(QTY_) if SIG_ or "." in QTY_ else 0 if QTY_ == "0" else int(QTY_)}END
"""

_SIDE_TEMPLATE = """
if P is None:
    #MSG S_levels = []
    pass
else:
    keys = book._S_keys
    segs = book._S_segs
    items = book._S_levels
    if view is None:
        side = None
    else:
        side = view["S"]
        if side is not None and refcount(side) > OWN:  # held by a caller: never changed again
            side = view["S"] = side.copy()
    #TOP top = False
    reordered = False
    if M:
        #MSG S_levels = [] if len(raw) <= FAST_MAX else None
        cache_get = book._price_cache.get
        pads_by_text = book._qpad_by_text_len
        #PY for price, qty, sig in [(P, Q, G), *findall(M)]:
        #C for price, qty, sig in [(P, Q, G), *M]:  # the scanner gives the further levels
            LOOP_LEVEL
        if len(items) > (depth := book.depth):  # levels pushed below the depth: Kraken sends no removal for them
            if side is not None:
                for ptext, _ in items[depth:]:
                    del side[ptext]
            del keys[depth:-1], segs[depth:], items[depth:]
    else:
        ONE_LEVEL
    #TOP if top:
    #TOP     book.CACHED = None
    #C #TOP     stale = True
    #FLAT book.CACHED = None
    #C #FLAT stale = True
    if reordered:
        view["S"] = None
        book._fresh = False
"""

_DECODER_TEMPLATE = """
def make(books_get, generic, mismatch):
    def decode(raw):
        #PY try:
        #PY     match = fullmatch(raw)
        #PY except TypeError:  # bytes
        #PY     return loads(raw)
        #PY if match is None:
        #PY     return generic(raw)
        #PY pair, bp, bq, bg, mb, ap, aq, ag, ma, cs, ts = match.groups()
        #C try:
        #C     groups = scan(raw)
        #C except TypeError:  # bytes
        #C     return loads(raw)
        #C if groups is None:
        #C     return generic(raw)
        #C pair, bp, bq, bg, mb, ap, aq, ag, ma, cs, ts = groups
        book = books_get(pair)
        if book is None or not book.has_snapshot:
            return generic(raw)
        view = book._view
        #C stale = False
        ASK_SIDE
        BID_SIDE
        if ts is not None:
            book.timestamp = ts
        #PY bid_part = book._bid_part
        #PY if bid_part is None:
        #PY     segs = book._bid_segs
        #PY     bid_part = book._bid_part = "".join(TOP_SEGS).encode()
        #PY     ask_crc = book._ask_crc
        #PY     if ask_crc is None:
        #PY         segs = book._ask_segs
        #PY         ask_crc = book._ask_crc = crc32("".join(TOP_SEGS).encode())
        #PY     computed = book.checksum = crc32(bid_part, ask_crc)
        #PY elif book._ask_crc is None:
        #PY     segs = book._ask_segs
        #PY     ask_crc = book._ask_crc = crc32("".join(TOP_SEGS).encode())
        #PY     computed = book.checksum = crc32(bid_part, ask_crc)
        #PY else:  # neither top ten changed
        #PY     computed = book.checksum
        #PY if f"{computed}" == cs:
        #C if stale:  # a top ten changed (the asks' part is kept while the asks' top ten is)
        #C     ask_crc = book._ask_crc
        #C     if ask_crc is None:
        #C         ask_crc = book._ask_crc = crc_top(book._ask_segs, 0)
        #C     computed = book.checksum = crc_top(book._bid_segs, ask_crc)
        #C else:
        #C     computed = book.checksum
        #C if computed == cs:
            book.expected_checksum = computed
            valid = book.valid = True
        else:
            #PY computed = book.expected_checksum = int(cs)  # the message carries the frame's checksum
            #C computed = book.expected_checksum = cs  # the message carries the frame's checksum
            valid = book.valid = book.checksum == computed
        if view is not None:
            view["valid"] = valid
            if not book._fresh and refcount(view) > OWN:  # a caller holds it: as current as the reference's
                book.reference_view()
        #QUIET return HANDLED if valid else mismatch(pair, book, None)
        #MSG if ask_levels is None or bid_levels is None:  # many levels: the C decoder builds it faster
        #MSG     message = loads(raw)
        #MSG else:
        #MSG     message = TEMPLATE.copy()
        #MSG     if ts is None:
        #MSG         message["data"] = [{"symbol": pair, "bids": bid_levels, "asks": ask_levels, "checksum": computed}]
        #MSG     else:
        #MSG         message["data"] = [{"symbol": pair, "bids": bid_levels, "asks": ask_levels, "checksum": computed, "timestamp": ts}]
        #MSG return (pair, message) if valid else mismatch(pair, book, message)
    return decode
"""


def _select(text: str, keep: set[str]) -> str:
    """The template lines for this variant: a line ``#NAME ...`` is kept (without the mark)
    when NAME is in ``keep``, dropped otherwise (``#A #B ...``: both must be kept);
    ``#ONE and i < depth#`` inline the same way."""
    out = []
    for line in text.splitlines():
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        while body.startswith("#") and body[1:].split(" ", 1)[0].isupper():
            name, _, body = body[1:].partition(" ")
            if name not in keep:
                break
            line = indent + body
        else:
            out.append(line)
    text = "\n".join(out)
    inline = re.compile(r"#([A-Z]+)(.*?)#")
    return inline.sub(lambda m: m.group(2) if m.group(1) in keep else "", text)


def _indented(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.strip("\n").splitlines()).lstrip()


def _decoder_source(quiet: bool, deep: bool, native: bool = False) -> str:
    """The source of the decoder factory for one variant (see :func:`_make_update_decoder`);
    ``native``: with the C helpers (``scan``, ``crc_top``, ``apply_one``)."""
    keep = {"QUIET"} if quiet else {"MSG"}
    keep.add("TOP" if deep else "FLAT")
    keep.add("C" if native else "PY")
    sides = {}
    for s, key, p, q, g, m, cached in (("ask", 0, "ap", "aq", "ag", "ma", "_ask_crc"), ("bid", 4, "bp", "bq", "bg", "mb", "_bid_part")):
        def level(one: bool, s: str = s, key: int = key, p: str = p, q: str = q, g: str = g) -> str:
            text = _select(_LEVEL_TEMPLATE, keep | ({"ONE"} if one else set())).replace("KEY", str(key))
            if one:  # the pattern's groups, the price cache and the pads straight from the book
                names = {"PRICE_": p, "QTY_": q, "SIG_": g, "CACHE_GET": "book._price_cache.get", "PADS_BY_TEXT": "book._qpad_by_text_len"}
            else:
                names = {"PRICE_": "price", "QTY_": "qty", "SIG_": "sig", "CACHE_GET": "cache_get", "PADS_BY_TEXT": "pads_by_text"}
            text = re.sub("|".join(names), lambda m: names[m.group(0)], text)
            if native:  # the C apply_one, the template's code for a volume it leaves to it
                # (in a loop the side is cut to the depth after the last level: no depth here)
                args = f"{q}, {g}, book._qpad_by_text_len, ts, book.depth" if one else "qty, sig, pads_by_text, ts, UNBOUNDED"
                head, mark, body = text.partition(f"key = entry[{key}]\n")
                text = head + (
                    f"done = apply_one(keys, segs, items, side, entry, {key}, {args}, REORDER)\n"
                    "if done is None:  # a volume not in the usual form\n"
                    + "\n".join("    " + line if line.strip() else "" for line in (mark + body).splitlines())
                    + "\nelse:\n    if done & 2:  # cheaper to build it again when it is read\n        side = None\n        reordered = True\n"
                    + ("    if done & 1:\n        top = True\n" if deep else "")
                )
            if quiet:
                return text
            # one level: its message is a list of one dict; in a loop: appended unless loads builds it
            message = re.sub("PRICE_|QTY_|SIG_", lambda m: names[m.group(0)], _LEVEL_MESSAGE_TEMPLATE)
            if one:
                return text + message.replace("LEVELS", f"{s}_levels = [").replace("END", "]")
            add = message.replace("LEVELS", f"{s}_levels.append(").replace("END", ")")
            return text + f"\nif {s}_levels is not None:\n" + _indented(add, 4).join(["    ", ""])
        side = _select(_SIDE_TEMPLATE, keep)
        side = side.replace("LOOP_LEVEL", _indented(level(False), 12)).replace("ONE_LEVEL", _indented(level(True), 8))
        side = side.replace("_S_", f"_{s}_").replace('"S"', f'"{s}"').replace("S_levels", f"{s}_levels").replace("CACHED", cached)
        side = re.sub(r"\bP\b", p, side)
        side = re.sub(r"\bQ\b", q, side)
        side = re.sub(r"\bG\b", g, side)
        sides[s] = re.sub(r"\bM\b", m, side)
    source = _select(_DECODER_TEMPLATE, keep)
    # the first ten segments (at depth ten a side never has more when the checksum is taken)
    source = source.replace("TOP_SEGS", "segs if len(segs) <= 10 else segs[:10]" if deep else "segs")
    return source.replace("ASK_SIDE", _indented(sides["ask"], 8)).replace("BID_SIDE", _indented(sides["bid"], 8))


_DECODER_FACTORIES: dict[tuple[bool, bool, bool], Callable[..., Any]] = {}
# ``Decimal(text)`` for a frame's plain number text, ~10 % cheaper (a method call without the
# constructor's argument parsing): a context that cannot round (every precision and exponent
# a frame's number can have fits), so the result has the same digits and exponent
_exact_decimal = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN).create_decimal


def _make_update_decoder(client: SpotOrderBookClient) -> Callable[[Any], Any]:
    """The client's frame decoder: book updates of pairs with a book applied straight from the
    frame's text by a function specialised for the client (quiet or not, depth above ten or
    not); every other frame goes to :meth:`SpotOrderBookClient._decode_frame`."""
    variant = (client._quiet, client._depth > CHECKSUM_LEVELS, _apply_one is not None)
    factory = _DECODER_FACTORIES.get(variant)
    if factory is None:
        namespace = {
            "fullmatch": _UPDATE_FRAME.fullmatch, "findall": _UPDATE_LEVELS.findall, "loads": loads,
            "bisect": _bisect_left, "crc32": _crc32, "refcount": _refcount, "OWN": _OWN_REFS,
            "REORDER": _REORDER_IN_PLACE, "HANDLED": FRAME_HANDLED, "FAST_MAX": _FAST_FRAME_MAX,
            "exact_decimal": _exact_decimal, "_number": _number, "TEMPLATE": {"channel": "book", "type": "update", "data": None},
            "scan": _scan_update, "crc_top": _crc32_top, "apply_one": _apply_one, "UNBOUNDED": sys.maxsize,
        }
        exec(compile(_decoder_source(*variant), f"<book update decoder {variant}>", "exec"), namespace)  # noqa: S102
        factory = _DECODER_FACTORIES[variant] = namespace["make"]
    return factory(client._books.get, SpotOrderBookClient._decode_frame.__get__(client), client._checksum_mismatch)


def _precision_from_pair(info: dict[str, Any]) -> tuple[int, int]:
    """(price decimals, qty decimals) from an AssetPairs entry or an instrument ``pairs`` item."""
    if "price_precision" in info:
        return int(info["price_precision"]), int(info["qty_precision"])
    return int(info["pair_decimals"]), int(info["lot_decimals"])


_NEEDS_PRECISION: Any = object()  # _process: a snapshot for a pair whose precisions are not known yet


class SpotOrderBookClient(SpotWSClient):
    """Maintains Spot order books from the WebSocket v2 ``book`` channel (python-kraken-sdk's contract).

    Subscribe with :meth:`add_book`; every book message then goes through
    :meth:`on_message`, which applies snapshots and updates to the book of their pair
    (created from its snapshot), verifies the checksum and calls
    ``on_book_update(pair=pair, message=message)`` (or ``callback``, with the same
    keywords). Read a book with :meth:`get` (the reference's shape) or :meth:`book` (an
    :class:`OrderBook` with Decimal levels; kraken-ops addition).

    When a checksum does not match, the book is marked invalid (``get(pair)["valid"]`` is
    False), ``on_book_update`` receives the message and then
    ``{"error": "Checksum mismatch - resubscribing to the orderbook for PAIR"}``, and the
    pair is unsubscribed and subscribed again for a fresh snapshot (in the background,
    after ``resubscribe_delay`` seconds; updates are ignored until the snapshot). A
    subscription acknowledgement for a book drops that book, as in the reference: its
    snapshot follows.

    kraken-ops' own notices (``reconnecting``, ``overflow``, ``checksum_mismatch`` ...)
    and Kraken's refusals go to :meth:`on_notice` (kraken-ops addition: ``notice_callback``
    or a log line), never to ``on_book_update``.

    Books are kept in the connection's reader (cheap and never blocking), so a slow
    ``on_book_update`` only delays notifications, never the book itself: when the
    consumer falls behind, notifications are dropped per the buffering policy of
    :class:`~kraken_ops.spot.websocket.SpotWSClient` but :meth:`get` stays correct. A
    subclass that overrides :meth:`on_message` (the reference says not to) gets every
    message in the consumer instead, and books are kept when it calls
    ``super().on_message(message)``, exactly as in the reference.

    Precisions (price and quantity decimals for the checksum) come from AssetPairs at
    ``rest_url`` when one is given (or when there is no connection), otherwise from the
    ``instrument`` channel of the same WebSocket; :meth:`set_precision` skips the lookup.

    >>> class Book(SpotOrderBookClient):  # doctest: +SKIP
    ...     async def on_book_update(self, pair, message):
    ...         book = self.get(pair=pair)
    ...         bid, ask = next(iter(book["bid"].items())), next(iter(book["ask"].items()))
    ...         print(pair, bid[0], bid[1][0], ask[0], ask[1][0], book["valid"])
    >>> async with Book(depth=10) as client:  # doctest: +SKIP
    ...     await client.add_book(pairs=["BTC/USD"])
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
        notice_callback: Callable[[dict[str, Any]], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if depth not in VALID_DEPTHS:
            raise ValueError(f"depth must be one of {VALID_DEPTHS}")
        super().__init__(rest_url=rest_url, ws_url=ws_url, **kwargs)
        self._precision_from_rest = rest_url is not None
        self._instrument_waiter: asyncio.Future[dict[str, Any]] | None = None
        self._depth = depth
        self._book_callback = callback
        self._notice_callback = notice_callback
        self._books: dict[str, OrderBook] = {}
        self._precisions: dict[str, tuple[int, int]] = {}
        self._resubscribing: set[str] = set()
        self._adopting: set[str] = set()
        self._resubscribe_delay = resubscribe_delay
        self.checksum_mismatches = 0
        # How frames are handled, settled when the connections are made (_settle): whether
        # the reader keeps the books, whether anybody reads book messages, and the callable
        # to notify directly (``callback`` when on_book_update is not replaced).
        self._reader_applies = True
        self._quiet = False
        self._update_target: Callable[..., Any] | None = None

    @property
    def depth(self) -> int:
        """The fixed depth of this client's books."""
        return self._depth

    async def add_book(self, pairs: list[str]) -> None:
        """Subscribe to the books of ``pairs`` (their precisions are looked up first)."""
        await self._load_precisions(pairs)
        await self.subscribe(params={"channel": "book", "depth": self._depth, "symbol": list(pairs)})

    async def remove_book(self, pairs: list[str]) -> None:
        """Unsubscribe from the books of ``pairs`` and forget them."""
        await self.unsubscribe(params={"channel": "book", "depth": self._depth, "symbol": list(pairs)})
        for pair in pairs:
            self._books.pop(pair, None)

    def get(self, pair: str) -> dict[str, Any] | None:
        """The book of ``pair`` as python-kraken-sdk gives it, or None before its snapshot.

        ``{"bid": {price: (volume, timestamp)}, "ask": {...}, "valid": bool,
        "price_decimals": n, "qty_decimals": n}``, best level first; prices and volumes are
        text with the pair's decimals (``"60029.9"``, ``"0.34630000"``). See
        :meth:`OrderBook.reference_view`; Decimals: :meth:`book`.
        """
        book = self._books.get(pair)
        if book is None:
            return None
        return book._view if book._fresh else book.reference_view()

    def book(self, pair: str) -> OrderBook | None:
        """The :class:`OrderBook` object of ``pair`` (kraken-ops addition: Decimal levels, checksums)."""
        return self._books.get(pair)

    def set_precision(self, pair: str, price_decimals: int, qty_decimals: int) -> None:
        """Set a pair's precisions by hand (skips the AssetPairs or instrument lookup)."""
        self._precisions[pair] = (price_decimals, qty_decimals)

    async def _load_precisions(self, pairs: list[str]) -> None:
        """Precisions from AssetPairs (``rest_url`` given, or no connection), else from the instrument channel."""
        missing = [p for p in pairs if p not in self._precisions]
        if not missing:
            return
        if not self._precision_from_rest and self._public is not None:
            await self._load_precisions_ws(missing)
            return
        from kraken_ops.spot.base import SpotAsyncClient

        rest = SpotAsyncClient(url=self._rest_url)
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

    # -- applying book messages (one implementation for the reader and on_message) -------
    def _process(self, message: dict[str, Any], quiet: bool = False) -> Any:
        """Apply one dict message as python-kraken-sdk's ``on_message`` does; return what to deliver.

        Book message: applied to the book of its pair (a snapshot creates or resets it;
        an update before the pair's snapshot is ignored, and so is a message without a
        checksum), then ``(pair, message)`` for ``on_book_update`` (None when ``quiet``),
        or on a mismatch what :meth:`_checksum_mismatch` returns; :data:`_NEEDS_PRECISION`
        for a snapshot of a pair whose precisions are unknown. A successful book
        (un)subscription drops that pair's book (its snapshot follows). kraken-ops notices
        and Kraken's refusals are returned as they are (for :meth:`on_notice`); anything
        else gives None.
        """
        if message.get("channel") == "book":
            data = message.get("data")
            kind = message.get("type")
            if not kind or type(data) is not list or not data or not isinstance(data[0], dict):
                return None
            item = data[0]
            pair = item.get("symbol")
            if item.get("checksum") is None or not isinstance(pair, str):
                return None
            book = self._books.get(pair)
            if kind == "snapshot":
                if book is None:
                    precision = self._precisions.get(pair)
                    if precision is None:
                        return _NEEDS_PRECISION
                    book = OrderBook(self._depth, *precision)
                    valid = book.apply_data(item, snapshot=True)  # raises before the book is registered
                    self._books[pair] = book
                else:
                    valid = book.apply_data(item, snapshot=True)
            elif book is None or not book.has_snapshot:
                return None  # an update before the pair's (fresh) snapshot: nothing to apply it to
            else:
                valid = book.apply_data(item)
            if valid:
                return None if quiet else (pair, message)
            return self._checksum_mismatch(pair, book, None if quiet else message)
        method = message.get("method")
        if method is not None:
            if message.get("success") is False:
                return message  # a refused request (e.g. an unknown pair): on_notice
            if method in ("subscribe", "unsubscribe"):
                result = message.get("result")
                if isinstance(result, dict) and result.get("channel") == "book":
                    self._books.pop(result.get("symbol"), None)
            return None
        if "kraken_ops" in message:
            return message
        return None

    def _checksum_mismatch(self, pair: str, book: OrderBook, message: dict[str, Any] | None) -> Any:
        """Count, log, resubscribe (once at a time); return what to deliver: the message, the
        reference's error message for ``on_book_update`` and kraken-ops' notice for
        :meth:`on_notice` (only the notice when nobody reads book messages)."""
        self.checksum_mismatches += 1
        book.has_snapshot = False  # ignore updates until the fresh snapshot arrives
        LOG.warning("book %s: checksum mismatch (expected %s, computed %s); resubscribing", pair, book.expected_checksum, book.checksum)
        self._schedule_resubscribe(pair)
        ko_notice = notice("checksum_mismatch", symbol=pair, expected=book.expected_checksum, computed=book.checksum)
        if message is None:
            return ko_notice
        return (pair, message, {"error": f"Checksum mismatch - resubscribing to the orderbook for {pair}"}, ko_notice)

    def _schedule_resubscribe(self, pair: str) -> None:
        if pair in self._resubscribing or self._public is None:
            return  # already under way, or no connection (messages given to on_message by hand)
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

    def _adopt(self, message: dict[str, Any]) -> None:
        """A snapshot arrived in the reader for a pair without known precisions (subscribed
        with ``subscribe`` rather than :meth:`add_book`): look them up, then resubscribe
        the pair for a snapshot that can be applied."""
        pair = message["data"][0]["symbol"]
        if pair in self._adopting:
            return
        self._adopting.add(pair)
        self._spawn(self._adopt_pair(pair))

    async def _adopt_pair(self, pair: str) -> None:
        try:
            await self._load_precisions([pair])
            await self._resubscribe_book(pair)
        except Exception as exc:  # noqa: BLE001
            LOG.warning("book %s: no precisions, the book is not kept: %s", pair, exc)
        finally:
            self._adopting.discard(pair)

    # -- message flow --------------------------------------------------------------------
    def _overridden(self, name: str) -> bool:
        """Whether ``name`` is replaced, in a subclass or on the instance."""
        return getattr(getattr(self, name), "__func__", None) is not getattr(SpotOrderBookClient, name)

    def _settle(self) -> None:
        """Decide how frames are handled (when connections are made, at :meth:`start`)."""
        self._reader_applies = not self._overridden("on_message")
        replaced = self._overridden("on_book_update")
        self._quiet = self._book_callback is None and not replaced
        self._update_target = self._book_callback if not replaced else None
        # the connections' decoder: book updates by a function made for this configuration,
        # the rest by the method of the same name (an instance attribute hides it)
        self._decode_frame = _make_update_decoder(self)

    def _make_connection(self, name: str, url: str) -> Any:
        conn = super()._make_connection(name, url)
        self._settle()
        if self._reader_applies:
            conn.decode = self._decode_frame
        return conn

    def _decode_frame(self, raw: str | bytes) -> Any:
        """The connections' frame decoder (unless :meth:`on_message` is overridden).

        A book frame in Kraken's exact form (:data:`_BOOK_FRAME`) for a pair with a book is
        applied straight from its text. Nobody reading book messages, it goes no further
        (:data:`~kraken_ops._core.ws.FRAME_HANDLED`); otherwise it becomes ``(pair,
        message)`` for the dispatcher, the message equal to what ``loads`` gives. Every
        other frame is parsed by ``loads`` and handled by :meth:`_preprocess`.
        """
        if type(raw) is str:  # the pattern's literal start turns other frames away within a few characters
            match = _book_frame_fullmatch(raw)
            if match is not None:
                kind, pair, bid_price, bid_qty, more_bids, ask_price, ask_qty, more_asks, checksum_text, timestamp = match.groups()
                book = self._books.get(pair)
                if book is not None:
                    if kind == "update":
                        if not book.has_snapshot:
                            return FRAME_HANDLED  # an update before the (fresh) snapshot
                    else:
                        book.reset()
                        book.has_snapshot = True
                    # a side's levels: None, its one level (the usual update) or all of them
                    if ask_price is None:
                        asks = None
                    elif more_asks:
                        asks = [(ask_price, ask_qty)]
                        asks += _LEVEL_TEXTS.findall(more_asks)
                    else:
                        asks = ((ask_price, ask_qty),)
                    if bid_price is None:
                        bids = None
                    elif more_bids:
                        bids = [(bid_price, bid_qty)]
                        bids += _LEVEL_TEXTS.findall(more_bids)
                    else:
                        bids = ((bid_price, bid_qty),)
                    valid = book._apply_sides(asks, bids, checksum_text, timestamp)
                    checksum = book.expected_checksum
                    if self._quiet:
                        return FRAME_HANDLED if valid else self._checksum_mismatch(pair, book, None)
                    if more_asks or more_bids:
                        if len(raw) <= _FAST_FRAME_MAX:
                            prices = book._price_cache
                            item = {"symbol": pair, "bids": [] if bids is None else _json_levels(bids, prices),
                                    "asks": [] if asks is None else _json_levels(asks, prices), "checksum": checksum}
                            if timestamp is not None:
                                item["timestamp"] = timestamp
                            message = {"channel": "book", "type": kind, "data": [item]}
                        else:
                            message = loads(raw)
                    else:  # at most one level a side (the usual update): no loop, no call
                        if bid_price is None:
                            bid_levels = []
                        else:  # applied last: its price is in the cache
                            entry = book._price_cache[bid_price]
                            number = entry[3]
                            if number is None:
                                number = entry[3] = _number(bid_price)
                            bid_levels = [{"price": number, "qty": Decimal(bid_qty) if "." in bid_qty else 0 if bid_qty == "0" else int(bid_qty)}]
                        if ask_price is None:
                            ask_levels = []
                        elif bid_price is None:  # applied last: its price is in the cache
                            entry = book._price_cache[ask_price]
                            number = entry[3]
                            if number is None:
                                number = entry[3] = _number(ask_price)
                            ask_levels = [{"price": number, "qty": Decimal(ask_qty) if "." in ask_qty else 0 if ask_qty == "0" else int(ask_qty)}]
                        else:  # the bid level may have filled (and so cleared) the cache
                            ask_levels = [{"price": _price_number(book._price_cache, ask_price),
                                           "qty": Decimal(ask_qty) if "." in ask_qty else 0 if ask_qty == "0" else int(ask_qty)}]
                        if timestamp is None:
                            message = {"channel": "book", "type": kind, "data": [
                                {"symbol": pair, "bids": bid_levels, "asks": ask_levels, "checksum": checksum}]}
                        else:
                            message = {"channel": "book", "type": kind, "data": [
                                {"symbol": pair, "bids": bid_levels, "asks": ask_levels, "checksum": checksum, "timestamp": timestamp}]}
                    return (pair, message) if valid else self._checksum_mismatch(pair, book, message)
        return loads(raw)

    def _on_frame(self, side: str, message: Any) -> None:
        if type(message) is tuple:  # a book frame _decode_frame applied: straight to the dispatcher
            self._push(message)
        else:
            super()._on_frame(side, message)

    def _preprocess(self, message: Any) -> Any:
        """Runs in the reader for every decoded frame: keeps the books, returns what to queue."""
        if type(message) is tuple:  # a book frame _decode_frame applied
            return message
        if not isinstance(message, dict):
            return None if self._reader_applies else message
        waiter = self._instrument_waiter
        if waiter is not None and message.get("channel") == "instrument" and not waiter.done() and isinstance(message.get("data"), dict):
            waiter.set_result(message["data"])
        if not self._reader_applies:
            return message
        try:
            out = self._process(message, self._quiet)
        except ValueError as exc:
            LOG.warning("ignoring a book message that cannot be applied: %s", exc)
            return None
        if out is _NEEDS_PRECISION:
            self._adopt(message)
            return None
        return out

    def _deliver(self, item: Any) -> Any:
        """The dispatcher's handler: ``(pair, message)`` to ``on_book_update``, a mismatch's
        messages in the reference's order, notices to :meth:`on_notice`; when
        :meth:`on_message` is overridden, every message to it."""
        if type(item) is tuple:
            if len(item) == 2:
                target = self._update_target
                if target is None:
                    return self.on_book_update(pair=item[0], message=item[1])
                return target(pair=item[0], message=item[1])
            return self._deliver_mismatch(item)
        if self._reader_applies:
            return self.on_notice(item)
        return self.on_message(item)

    async def _deliver_mismatch(self, item: tuple[Any, ...]) -> None:
        pair, message, error, ko_notice = item
        for update in (message, error):
            target = self._update_target
            result = self.on_book_update(pair=pair, message=update) if target is None else target(pair=pair, message=update)
            if result is not None and inspect.isawaitable(result):
                await result
        await self.on_notice(ko_notice)

    async def on_message(self, message: Any) -> None:
        """Apply a Kraken WebSocket v2 message as python-kraken-sdk's client does (reference entry point).

        A ``book`` snapshot or update is applied to the book of its pair (a snapshot for a
        pair without precisions looks them up first, as the reference does), its checksum
        verified, then ``on_book_update(pair=..., message=...)`` is awaited; after a
        mismatch, also with the reference's ``{"error": "Checksum mismatch - ..."}`` (and
        the pair is resubscribed when there is a connection). Replaying recorded messages
        through it builds the same books as the socket does. Non-dict messages are ignored;
        notices and refusals go to :meth:`on_notice`.
        """
        if not isinstance(message, dict):
            return
        out = self._process(message)
        if out is _NEEDS_PRECISION:
            await self._load_precisions([message["data"][0]["symbol"]])
            out = self._process(message)
        if out is None:
            return
        if type(out) is tuple:
            result = self._deliver(out)
            if result is not None and inspect.isawaitable(result):
                await result
        else:
            await self.on_notice(out)

    async def on_book_update(self, pair: str, message: dict[str, Any]) -> None:
        """Called after every book message of ``pair``; override it or pass ``callback``
        (called as ``callback(pair=pair, message=message)``, awaited when it returns an
        awaitable). Unlike the reference, it prints nothing without a callback."""
        callback = self._book_callback
        if callback is not None:
            result = callback(pair=pair, message=message)
            if type(result) is CoroutineType or (result is not None and inspect.isawaitable(result)):
                await result

    async def on_notice(self, message: dict[str, Any]) -> None:
        """kraken-ops addition: kraken-ops' own notices (``{"kraken_ops": "reconnecting" | "overflow"
        | "checksum_mismatch" ...}``) and Kraken's refusals (``"success": false``), which the
        reference drops. Calls ``notice_callback`` if given, else logs them."""
        callback = self._notice_callback
        if callback is not None:
            result = callback(message)
            if result is not None and inspect.isawaitable(result):
                await result
            return
        LOG.info("book client notice: %s", message)
