"""Views of the engine's books that Kraken serves besides the L2 ``Depth``: the grouped
book (``GroupedBook``) and the Level 3 book (REST ``Level3``, WebSocket ``level3``).

Level 3 is built from the engine's real resting orders: each order's id, its price, its
visible quantity (an iceberg shows only its display quantity) and its time, in queue
order (price, then time priority). The market maker's quotes are orders without an
account; they get stable ids derived from their sequence number, shaped like Kraken's.

The checksum is computed here independently of the client's code (kraken_ops.spot.level3),
so that a bug in one cannot hide behind the same bug in the other.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from kraken_ops.exchange.engine import Book, Order, invalid
from kraken_ops.exchange.markets import Pair

D = Decimal
GROUPED_DEPTHS = (10, 25, 100, 250, 1000)
GROUPINGS = (1, 5, 10, 25, 50, 100, 250, 500, 1000)
LEVEL3_REST_DEPTHS = (0, 10, 25, 100, 250, 1000)  # 0: the whole book
LEVEL3_REST_DEFAULT = 100
LEVEL3_WS_DEPTHS = (10, 100, 1000)
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _int_param(params: dict[str, Any], name: str, allowed: tuple[int, ...], default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise invalid(name) from None
    if number not in allowed:
        raise invalid(name)
    return number


# ------------------------------------------------------------------ GroupedBook
def grouped_side(pair: Pair, book: Book, side: str, depth: int, grouping: int) -> list[dict[str, str]]:
    """``depth`` grouped levels of ``side`` (``buy``/``sell``), best first: each price is the
    group's passive edge (bids rounded down, asks up to a multiple of ``grouping`` ticks)."""
    size = pair.tick_size * grouping
    rounding = ROUND_FLOOR if side == "buy" else ROUND_CEILING
    out: list[list[Any]] = []
    for o in book.side(side):
        price = o.resting_price
        qty = visible_qty(o)
        if price is None or qty <= 0:
            continue
        group = (price / size).to_integral_value(rounding=rounding) * size
        if out and out[-1][0] == group:
            out[-1][1] += qty
            continue
        if len(out) == depth:
            break
        out.append([group, qty])
    return [{"price": pair.fmt_price(p), "qty": pair.fmt_vol(q)} for p, q in out]


def grouped_book(ctx: Any, pair: Pair, queried: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``GroupedBook`` result for ``pair``."""
    depth = _int_param(params, "depth", GROUPED_DEPTHS, 10)
    grouping = _int_param(params, "grouping", GROUPINGS, 1)
    book = ctx.engine.books[pair.id]
    return {"pair": queried, "grouping": grouping, "bids": grouped_side(pair, book, "buy", depth, grouping),
            "asks": grouped_side(pair, book, "sell", depth, grouping)}


# ------------------------------------------------------------------ Level 3
@dataclass(frozen=True)
class L3Order:
    """One resting order as Level 3 shows it."""

    order_id: str
    price: Decimal
    qty: Decimal
    time: float


def visible_qty(o: Order) -> Decimal:
    """What the book shows of an order: its remaining quantity, or the display quantity of an iceberg."""
    return o.remaining if o.display_qty is None else min(o.display_qty, o.remaining)


def level3_order_id(o: Order) -> str:
    """The order's txid; for the market maker's quotes an id derived from the sequence number."""
    if o.account is not None:
        return o.txid
    digits = ""
    n = o.seq
    while n:
        n, r = divmod(n, 36)
        digits = _B36[r] + digits
    text = ("M" + digits.rjust(15, "0"))[-16:]
    return f"O{text[:5]}-{text[5:10]}-{text[10:]}"


def level3_levels(pair: Pair, book: Book, side: str, depth: int) -> list[tuple[Decimal, list[L3Order]]]:
    """``[(price, [orders in queue order])]`` of ``side`` (``buy``/``sell``), best first,
    ``depth`` price levels (0: all), prices and quantities at the pair's precision."""
    out: list[tuple[Decimal, list[L3Order]]] = []
    for o in book.side(side):
        price = o.resting_price
        qty = visible_qty(o)
        if price is None or qty <= 0:
            continue
        price = D(pair.fmt_price(price))
        order = L3Order(level3_order_id(o), price, D(pair.fmt_vol(qty)), o.opentm)
        if out and out[-1][0] == price:
            out[-1][1].append(order)
            continue
        if depth and len(out) == depth:
            break
        out.append((price, [order]))
    return out


def nanoseconds(ts: float) -> int:
    """Unix time in integer nanoseconds (REST ``Level3`` timestamps)."""
    return int(D(repr(ts)) * 1_000_000_000)


def rfc3339_ns(ts: float) -> str:
    """RFC 3339 with nanoseconds (WebSocket ``level3`` timestamps)."""
    ns = nanoseconds(ts)
    seconds, frac = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def level3_rest(ctx: Any, pair: Pair, queried: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``Level3`` result for ``pair``: every order of the top ``depth`` levels."""
    depth = _int_param(params, "depth", LEVEL3_REST_DEPTHS, LEVEL3_REST_DEFAULT)
    book = ctx.engine.books[pair.id]

    def side(name: str) -> list[dict[str, Any]]:
        return [{"price": pair.fmt_price(o.price), "qty": pair.fmt_vol(o.qty), "order_id": o.order_id,
                 "timestamp": nanoseconds(o.time)} for _, orders in level3_levels(pair, book, name, depth) for o in orders]

    return {"pair": queried, "bids": side("buy"), "asks": side("sell")}


def level3_checksum(pair: Pair, asks: list[tuple[Decimal, list[L3Order]]], bids: list[tuple[Decimal, list[L3Order]]]) -> int:
    """Kraken's level3 CRC32: top 10 asks (low to high) then top 10 bids (high to low), every
    order of a level in queue order as price then quantity at full precision, without the
    decimal point and leading zeros."""
    def token(value: Decimal, decimals: int) -> str:
        return format(value, f".{decimals}f").replace(".", "").lstrip("0")

    text = "".join(token(price, pair.pair_decimals) + token(o.qty, pair.lot_decimals)
                   for levels in (asks[:10], bids[:10]) for price, orders in levels for o in orders)
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


def level3_item(o: L3Order, event: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"event": event} if event else {}
    item.update({"order_id": o.order_id, "limit_price": o.price, "order_qty": o.qty, "timestamp": rfc3339_ns(o.time)})
    return item


def level3_side_update(old: list[tuple[Decimal, list[L3Order]]], new: list[tuple[Decimal, list[L3Order]]], depth: int,
                       best_high: bool) -> list[dict[str, Any]]:
    """The events that take a depth-``depth`` subscriber from ``old`` to ``new`` (one side).

    Deletes come first, then, level by level (best first), ``modify`` for orders whose
    quantity changed and ``add`` for new ones, so that a client that appends added orders
    to the back of their level gets the queue order right. An order that changed its
    place in the queue (a new order slotted in front of it) is deleted and added again.
    Orders of a level that merely fell below the subscribed depth are not deleted: the
    subscriber truncates its book (Kraken's rule), as with the L2 book.
    """
    old_at = {price: orders for price, orders in old}
    old_where = {o.order_id: price for price, orders in old for o in orders}
    new_ids = {o.order_id: price for price, orders in new for o in orders}
    full = len(new) >= depth
    worst = new[-1][0] if new else None

    def out_of_scope(price: Decimal) -> bool:
        if not full or worst is None:
            return False
        return price < worst if best_high else price > worst

    deletes: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for price, orders in old:
        for o in orders:
            gone_out_of_scope = o.order_id not in new_ids and out_of_scope(price)
            if new_ids.get(o.order_id) != price and not gone_out_of_scope:
                deletes.append(level3_item(o, "delete"))
    for price, orders in new:
        held = {o.order_id: o for o in old_at.get(price, [])}
        survivors = [o.order_id for o in old_at.get(price, []) if new_ids.get(o.order_id) == price]
        seen = 0
        broken = False
        for o in orders:
            previous = held.get(o.order_id)
            if not broken and previous is not None and survivors[seen] == o.order_id:
                seen += 1  # still in its place in the queue
                if previous.qty != o.qty:
                    rest.append(level3_item(o, "modify"))
                continue
            if not broken and previous is None and seen == len(survivors):
                rest.append(level3_item(o, "add"))  # joins the back of the queue
                continue
            broken = True  # from here on the queue differs: re-send the rest of the level
            if previous is not None:
                deletes.append(level3_item(previous, "delete"))
            rest.append(level3_item(o, "add"))
    return deletes + rest


__all__ = [
    "GROUPED_DEPTHS", "GROUPINGS", "LEVEL3_REST_DEPTHS", "LEVEL3_WS_DEPTHS", "L3Order", "grouped_book", "level3_rest",
    "level3_levels", "level3_checksum", "level3_side_update", "level3_item", "level3_order_id", "nanoseconds", "rfc3339_ns",
]
