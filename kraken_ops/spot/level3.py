"""A Level 3 (order by order) book kept from Kraken's WebSocket v2 ``level3`` channel.

A kraken-ops addition beyond python-kraken-sdk. Kraken's rules (docs.kraken.com, "L3
checksum (WebSocket v2)"): a snapshot lists the resting orders of each side in queue
order; an update lists order events, ``add`` (the order joins the back of its price
level), ``modify`` (its quantity changes, its place in the queue does not) and ``delete``.
All events of a message are applied before the checksum is computed; a level with no
orders left is removed; after each message each side is cut to the subscribed depth.

The checksum is the CRC32 of the top 10 price levels, asks low to high and then bids
high to low, each level contributing every order in queue order as ``price`` followed
by ``qty``, each written with the pair's full precision, the decimal point removed and
leading zeros stripped. Kraken's documented example (a BTC/USD snapshot, checksum
1063832831) is a test vector in ``tests/streaming/test_level3_book.py``.

>>> book = Level3Book("BTC/USD", depth=10, price_decimals=1, qty_decimals=8)
>>> book.apply({"symbol": "BTC/USD", "bids": [{"order_id": "O1", "limit_price": Decimal("100.0"),
...             "order_qty": Decimal("1"), "timestamp": "2024-01-08T12:26:39Z"}], "asks": []}, snapshot=True)
True
>>> [o["order_id"] for o in book.bids()]
['O1']
"""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Any, Iterable

__all__ = ["Level3Book", "level3_checksum"]

CHECKSUM_LEVELS = 10


def _token(value: Any, decimals: int | None) -> str:
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    text = format(number, f".{decimals}f") if decimals is not None else format(number, "f")
    return text.replace(".", "").lstrip("0")


def level3_checksum(
    asks: Iterable[tuple[Any, Iterable[Any]]],
    bids: Iterable[tuple[Any, Iterable[Any]]],
    price_decimals: int | None,
    qty_decimals: int | None,
) -> int:
    """Kraken's level3 CRC32 of ``asks`` (best first) and ``bids`` (best first).

    Each side is a sequence of ``(price, [qty of each order in queue order])``; only the
    first 10 levels of each side count.
    """
    parts: list[str] = []
    for side in (asks, bids):
        for n, (price, quantities) in enumerate(side):
            if n == CHECKSUM_LEVELS:
                break
            p = _token(price, price_decimals)
            for qty in quantities:
                parts.append(p + _token(qty, qty_decimals))
    return zlib.crc32("".join(parts).encode()) & 0xFFFFFFFF


class Level3Book:
    """The resting orders of one symbol, maintained from ``level3`` snapshots and updates.

    ``depth`` is the subscribed number of price levels a side; ``price_decimals`` and
    ``qty_decimals`` (the pair's ``pair_decimals`` and ``lot_decimals``) pad numbers for
    the checksum, as Kraken's numbers arrive as JSON numbers without trailing zeros.
    """

    def __init__(self, symbol: str = "", depth: int = 10, price_decimals: int | None = None, qty_decimals: int | None = None) -> None:
        self.symbol = symbol
        self.depth = depth
        self.price_decimals = price_decimals
        self.qty_decimals = qty_decimals
        # side -> price -> {order_id: order}, orders in queue order (dicts keep insertion order)
        self._sides: dict[str, dict[Decimal, dict[str, dict[str, Any]]]] = {"bids": {}, "asks": {}}
        self._where: dict[str, tuple[str, Decimal]] = {}
        self.valid: bool | None = None  # None until a checksum was checked
        self.last_checksum: int | None = None  # Kraken's, from the last message
        self.timestamp: str | None = None
        self.has_snapshot = False

    # -- applying Kraken's messages -----------------------------------------------------------
    def apply(self, item: dict[str, Any], *, snapshot: bool = False) -> bool | None:
        """Apply one ``data`` item of a ``level3`` message; return whether its checksum holds
        (None when the item carries none). A ``modify`` of an order the book does not hold
        marks the book invalid: only a fresh snapshot repairs it."""
        if snapshot:
            for side in self._sides.values():
                side.clear()
            self._where.clear()
            self.has_snapshot = True
        consistent = True
        for side in ("bids", "asks"):
            for order in item.get(side) or []:
                event = "add" if snapshot else order.get("event", "add")
                if event == "add":
                    self._add(side, order)
                elif event == "modify":
                    consistent = self._modify(side, order) and consistent
                elif event == "delete":
                    self._delete(str(order.get("order_id")))
                else:
                    consistent = False
        self._truncate()
        if item.get("timestamp") is not None:
            self.timestamp = item["timestamp"]
        checksum = item.get("checksum")
        if checksum is None:
            if not consistent:
                self.valid = False
            return None if consistent else False
        self.last_checksum = int(checksum)
        self.valid = consistent and self.checksum == self.last_checksum
        return self.valid

    def _add(self, side: str, order: dict[str, Any]) -> None:
        order_id = str(order.get("order_id"))
        if order_id in self._where:
            self._delete(order_id)
        price = _decimal(order.get("limit_price"))
        entry = {
            "order_id": order_id,
            "limit_price": price,
            "order_qty": _decimal(order.get("order_qty")),
            "timestamp": order.get("timestamp"),
        }
        self._sides[side].setdefault(price, {})[order_id] = entry
        self._where[order_id] = (side, price)

    def _modify(self, side: str, order: dict[str, Any]) -> bool:
        order_id = str(order.get("order_id"))
        where = self._where.get(order_id)
        if where is None:
            return False
        held = self._sides[where[0]][where[1]][order_id]
        qty = _decimal(order.get("order_qty"))
        price = _decimal(order.get("limit_price")) if order.get("limit_price") is not None else held["limit_price"]
        if price != held["limit_price"]:  # a new price: a new place in the queue
            self._delete(order_id)
            self._add(side, {**held, "limit_price": price, "order_qty": qty, "timestamp": order.get("timestamp", held["timestamp"])})
            return True
        if qty <= 0:
            self._delete(order_id)
            return True
        held["order_qty"] = qty
        if order.get("timestamp") is not None:
            held["timestamp"] = order["timestamp"]
        return True

    def _delete(self, order_id: str) -> None:
        where = self._where.pop(order_id, None)
        if where is None:
            return  # already gone (e.g. its level fell out of the subscribed depth)
        side, price = where
        level = self._sides[side].get(price)
        if level is None:
            return
        level.pop(order_id, None)
        if not level:
            del self._sides[side][price]

    def _truncate(self) -> None:
        for side in ("bids", "asks"):
            levels = self._sides[side]
            if len(levels) <= self.depth:
                continue
            for price in self._prices(side)[self.depth :]:
                for order_id in levels.pop(price):
                    self._where.pop(order_id, None)

    # -- reading -----------------------------------------------------------------------------
    def _prices(self, side: str) -> list[Decimal]:
        return sorted(self._sides[side], reverse=(side == "bids"))

    def levels(self, side: str, depth: int | None = None) -> list[tuple[Decimal, list[dict[str, Any]]]]:
        """``[(price, [orders in queue order]), ...]`` of ``side`` (``bids`` or ``asks``), best first."""
        prices = self._prices(side)
        if depth is not None:
            prices = prices[:depth]
        return [(p, list(self._sides[side][p].values())) for p in prices]

    def bids(self, depth: int | None = None) -> list[dict[str, Any]]:
        """Every bid order of the top ``depth`` levels, best price first, queue order within a level."""
        return [o for _, orders in self.levels("bids", depth) for o in orders]

    def asks(self, depth: int | None = None) -> list[dict[str, Any]]:
        """Every ask order of the top ``depth`` levels, best price first, queue order within a level."""
        return [o for _, orders in self.levels("asks", depth) for o in orders]

    def order(self, order_id: str) -> dict[str, Any] | None:
        """The order ``order_id`` if the book holds it."""
        where = self._where.get(order_id)
        return None if where is None else self._sides[where[0]][where[1]].get(order_id)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._where

    def __len__(self) -> int:
        return len(self._where)

    @property
    def checksum(self) -> int:
        """The checksum of the book as held now."""

        def side(name: str) -> list[tuple[Decimal, list[Decimal]]]:
            return [(p, [o["order_qty"] for o in orders]) for p, orders in self.levels(name, CHECKSUM_LEVELS)]

        return level3_checksum(side("asks"), side("bids"), self.price_decimals, self.qty_decimals)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))
