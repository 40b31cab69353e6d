"""The local exchange's book updates must be valid for every Kraken client, not only ours.

python-kraken-sdk 3.5.1 truncates a side to the depth after *every level* of a message,
kraken-ops after every message. Kraken's own stream works with both; so must the
exchange's (``kraken_ops.exchange.ws_spot.book_update``). These tests drive random full
books through many changes and apply the resulting updates with both truncation rules.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from kraken_ops.exchange.ws_spot import book_update, dumps
from kraken_ops.spot.orderbook import OrderBook, book_checksum

D = Decimal


def _top(full: dict[Decimal, Decimal], depth: int, reverse: bool) -> dict[Decimal, Decimal]:
    return dict(sorted(full.items(), reverse=reverse)[:depth])


def _apply_per_level(book: dict[Decimal, Decimal], levels: list[dict], depth: int, reverse: bool) -> dict:
    """python-kraken-sdk's SpotOrderBookClient.__update_book: sort and truncate after each level."""
    for level in levels:
        if level["qty"] > 0:
            book[level["price"]] = level["qty"]
        else:
            book.pop(level["price"], None)
        book = dict(sorted(book.items(), reverse=reverse)[:depth])
    return book


def _apply_per_message(book: dict[Decimal, Decimal], levels: list[dict], depth: int, reverse: bool) -> dict:
    for level in levels:
        if level["qty"] > 0:
            book[level["price"]] = level["qty"]
        else:
            book.pop(level["price"], None)
    return dict(sorted(book.items(), reverse=reverse)[:depth])


def _mutate(rng: random.Random, full: dict[Decimal, Decimal], base: int, sign: int) -> None:
    """A few random changes: new levels (top, middle, deep), removals, qty changes."""
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.4 or not full:
            full[D(base + sign * rng.randint(1, 40))] = D(rng.randint(1, 999))
        elif r < 0.8:
            del full[rng.choice(sorted(full, reverse=sign < 0)[:15])]
        else:
            full[rng.choice(list(full))] = D(rng.randint(1, 999))


@pytest.mark.parametrize("depth", [10, 25])
@pytest.mark.parametrize("seed", range(6))
def test_updates_are_valid_for_per_level_and_per_message_truncation(depth: int, seed: int) -> None:
    rng = random.Random(seed)
    full_bids = {D(1000 - i): D(rng.randint(1, 999)) for i in range(1, rng.randint(2, 40))}
    full_asks = {D(1000 + i): D(rng.randint(1, 999)) for i in range(1, rng.randint(2, 40))}
    bids, asks = _top(full_bids, depth, True), _top(full_asks, depth, False)
    sdk_bids, sdk_asks = dict(bids), dict(asks)
    our_bids, our_asks = dict(bids), dict(asks)
    for _ in range(400):
        _mutate(rng, full_bids, 1000, -1)
        _mutate(rng, full_asks, 1000, +1)
        new_bids, new_asks = _top(full_bids, depth, True), _top(full_asks, depth, False)
        ub, ua = book_update(bids, asks, new_bids, new_asks, depth)
        # Kraken sends no qty 0 for a level that merely fell out of the subscribed depth
        for levels, old, full in ((ub, bids, full_bids), (ua, asks, full_asks)):
            for level in levels:
                if level["qty"] == 0:
                    assert level["price"] in old and level["price"] not in full
        sdk_bids = _apply_per_level(sdk_bids, ub, depth, True)
        sdk_asks = _apply_per_level(sdk_asks, ua, depth, False)
        our_bids = _apply_per_message(our_bids, ub, depth, True)
        our_asks = _apply_per_message(our_asks, ua, depth, False)
        assert sdk_bids == our_bids == new_bids
        assert sdk_asks == our_asks == new_asks
        bids, asks = new_bids, new_asks


def test_insert_before_removal_keeps_the_unchanged_bottom_level() -> None:
    """The case that broke python-kraken-sdk: a new best ask and a removal in one message
    while the worst level stays unchanged (so it is not re-sent)."""
    old_asks = {D(100 + i): D(1) for i in range(10)}
    new_asks = dict(old_asks)
    del new_asks[D(105)]
    new_asks[D("99.5")] = D(2)
    _, ua = book_update({}, old_asks, {}, new_asks, 10)
    assert ua[0] == {"price": D(105), "qty": D(0)}  # removals first
    assert _apply_per_level(dict(old_asks), ua, 10, False) == dict(sorted(new_asks.items()))


def test_recorded_exchange_stream_checks_with_both_rules() -> None:
    """A short stream recorded from the exchange (engine + book encoder): every checksum
    holds for kraken-ops' OrderBook and for a per-level-truncating client."""
    import gzip
    import json
    import tempfile
    from pathlib import Path

    from benchmarks.record_book_stream import record

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.ndjson.gz"
        record(10, 600, path, seed=3)
        frames = gzip.open(path, "rt").read().splitlines()
    book = OrderBook(10, 1, 8)
    sdk: dict[str, dict] = {"bids": {}, "asks": {}}
    for raw in frames:
        msg = json.loads(raw, parse_float=D)
        assert book.apply(msg), raw
        item = msg["data"][0]
        sdk["asks"] = _apply_per_level(sdk["asks"], item["asks"], 10, False)
        sdk["bids"] = _apply_per_level(sdk["bids"], item["bids"], 10, True)
        assert book_checksum(sdk["asks"].items(), sdk["bids"].items(), 1, 8) == item["checksum"], raw
    assert dumps(D("0.1000")) == "0.1"
