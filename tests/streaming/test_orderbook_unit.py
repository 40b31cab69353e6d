"""The socket-free Spot order book: maintenance rules and the checksum of kraken-protocol.md §4.6."""

from __future__ import annotations

import json
import random
import zlib
from decimal import Decimal

import pytest

from kraken_ops._core.ws import dumps, loads
from kraken_ops.spot.orderbook import OrderBook, book_checksum, checksum_token

D = Decimal

# kraken-protocol.md §6.7 (official example of docs spot-ws-book-v2): price decimals 1, qty decimals 8
OFFICIAL_ASKS = [
    ("45285.2", "0.00100000"),
    ("45286.4", "1.54571953"),
    ("45286.6", "1.54571109"),
    ("45289.6", "1.54560911"),
    ("45290.2", "0.15890660"),
    ("45291.8", "1.54553491"),
    ("45294.7", "0.04454749"),
    ("45296.1", "0.35380000"),
    ("45297.5", "0.09945542"),
    ("45299.5", "0.18772827"),
]
OFFICIAL_BIDS = [
    ("45283.5", "0.10000000"),
    ("45283.4", "1.54582015"),
    ("45282.1", "0.10000000"),
    ("45281.0", "0.10000000"),
    ("45280.3", "1.54592586"),
    ("45279.0", "0.07990000"),
    ("45277.6", "0.03310103"),
    ("45277.5", "0.30000000"),
    ("45277.3", "1.54602737"),
    ("45276.6", "0.15445238"),
]
OFFICIAL_ASK_STRING = (
    "45285210000045286415457195345286615457110945289615456091145290215890660452918154553491"
    "452947445474945296135380000452975994554245299518772827"
)
OFFICIAL_BID_STRING = (
    "452835100000004528341545820154528211000000045281010000000452803154592586452790799000045277633101034527753000000"
    "045277315460273745276615445238"
)
OFFICIAL_CHECKSUM = 3310070434


def _levels(pairs: list[tuple[str, str]], as_float_text: bool = False) -> list[dict[str, object]]:
    # as a v2 message would parse with parse_float=Decimal: Kraken sends JSON numbers, so
    # trailing zeros may be missing ("0.1" for 0.10000000)
    out = []
    for price, qty in pairs:
        if as_float_text:
            price, qty = repr(float(price)), repr(float(qty))
        out.append({"price": D(price), "qty": D(qty)})
    return out


def _snapshot(asks, bids, checksum, symbol="BTC/USD"):
    return {"channel": "book", "type": "snapshot", "data": [{"symbol": symbol, "asks": asks, "bids": bids, "checksum": checksum}]}


def _update(asks=(), bids=(), checksum=None, symbol="BTC/USD"):
    item = {"symbol": symbol, "asks": list(asks), "bids": list(bids)}
    if checksum is not None:
        item["checksum"] = checksum
    return {"channel": "book", "type": "update", "data": [item]}


def test_official_example_token_strings_and_checksum() -> None:
    asks = "".join(checksum_token(D(p), 1) + checksum_token(D(q), 8) for p, q in OFFICIAL_ASKS)
    bids = "".join(checksum_token(D(p), 1) + checksum_token(D(q), 8) for p, q in OFFICIAL_BIDS)
    assert asks == OFFICIAL_ASK_STRING
    assert bids == OFFICIAL_BID_STRING
    assert zlib.crc32((asks + bids).encode()) == OFFICIAL_CHECKSUM
    assert book_checksum(OFFICIAL_ASKS, OFFICIAL_BIDS, 1, 8) == OFFICIAL_CHECKSUM


@pytest.mark.parametrize("float_text", [False, True], ids=["padded", "json-numbers"])
def test_order_book_reproduces_official_checksum(float_text: bool) -> None:
    book = OrderBook(depth=10, price_decimals=1, qty_decimals=8)
    # snapshot levels in scrambled order: the book sorts them
    asks, bids = _levels(OFFICIAL_ASKS, float_text), _levels(OFFICIAL_BIDS, float_text)
    random.Random(1).shuffle(asks)
    random.Random(2).shuffle(bids)
    assert book.apply(_snapshot(asks, bids, OFFICIAL_CHECKSUM)) is True
    assert book.checksum == OFFICIAL_CHECKSUM
    assert book.valid


def test_official_checksum_through_json_with_decimal_parsing() -> None:
    raw = json.dumps(
        _snapshot([{"price": float(p), "qty": float(q)} for p, q in OFFICIAL_ASKS], [{"price": float(p), "qty": float(q)} for p, q in OFFICIAL_BIDS], OFFICIAL_CHECKSUM)
    )
    message = loads(raw)
    assert isinstance(message["data"][0]["asks"][0]["price"], Decimal)
    assert OrderBook(10, 1, 8).apply(message)


def test_wrong_checksum_marks_book_invalid() -> None:
    book = OrderBook(depth=10, price_decimals=1, qty_decimals=8)
    assert book.apply(_snapshot(_levels(OFFICIAL_ASKS), _levels(OFFICIAL_BIDS), OFFICIAL_CHECKSUM + 1)) is False
    assert not book.valid
    assert book.checksum == OFFICIAL_CHECKSUM
    assert book.expected_checksum == OFFICIAL_CHECKSUM + 1


def _reference_state(asks: dict[Decimal, Decimal], bids: dict[Decimal, Decimal], depth: int):
    top_asks = sorted(asks.items())[:depth]
    top_bids = sorted(bids.items(), reverse=True)[:depth]
    return dict(top_asks), dict(top_bids)


def test_updates_qty_zero_removes_and_truncation_to_depth_match_a_naive_model() -> None:
    rng = random.Random(7)
    depth = 10
    book = OrderBook(depth=depth, price_decimals=1, qty_decimals=8)
    asks = {D(1000) + D(i) / 10: D(rng.randint(1, 10**8)) / 10**8 for i in range(1, depth + 1)}
    bids = {D(1000) - D(i) / 10: D(rng.randint(1, 10**8)) / 10**8 for i in range(0, depth)}
    checksum = book_checksum(asks.items(), bids.items(), 1, 8)
    assert book.apply(_snapshot([{"price": p, "qty": q} for p, q in asks.items()], [{"price": p, "qty": q} for p, q in bids.items()], checksum))
    for _ in range(3000):
        ask_changes, bid_changes = [], []
        for side, changes, levels in (("ask", ask_changes, asks), ("bid", bid_changes, bids)):
            for _ in range(rng.randint(0, 3)):
                if levels and rng.random() < 0.3:
                    price = rng.choice(list(levels))
                    qty = D(0)
                else:
                    offset = D(rng.randint(0, 40)) / 10
                    price = D(1000) + D("0.1") + offset if side == "ask" else D(1000) - offset
                    qty = D(rng.randint(1, 10**9)) / 10**8
                changes.append({"price": price, "qty": qty})
                if qty == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = qty
        asks, bids = _reference_state(asks, bids, depth)
        expected = book_checksum(asks.items(), bids.items(), 1, 8)
        assert book.apply(_update(ask_changes, bid_changes, expected)), "checksum diverged from the naive model"
        assert [p for p, _ in book.asks()] == sorted(asks)
        assert [p for p, _ in book.bids()] == sorted(bids, reverse=True)
        assert len(book.asks()) <= depth and len(book.bids()) <= depth


def test_deep_book_checksum_uses_top_ten_only() -> None:
    book = OrderBook(depth=100, price_decimals=2, qty_decimals=4)
    asks = [{"price": D(200) + D(i) / 100, "qty": D("1.5")} for i in range(100)]
    bids = [{"price": D(199) - D(i) / 100, "qty": D("2")} for i in range(100)]
    expected = book_checksum([(a["price"], a["qty"]) for a in asks[:10]], [(b["price"], b["qty"]) for b in bids[:10]], 2, 4)
    assert book.apply(_snapshot(asks, bids, expected))
    assert len(book) == 200
    # a change at level 50 does not move the checksum
    assert book.apply(_update(asks=[{"price": D("200.50"), "qty": D("9")}], checksum=expected))
    assert book.asks()[50] == (D("200.50"), D("9.0000"))


def test_updates_before_snapshot_do_not_validate() -> None:
    book = OrderBook(10, 1, 8)
    assert book.apply(_update(asks=[{"price": D("1.0"), "qty": D("1")}], checksum=0)) is False


def test_as_dict_is_reference_shape_best_first_with_decimals() -> None:
    book = OrderBook(10, 1, 8)
    book.apply(_snapshot(_levels(OFFICIAL_ASKS), _levels(OFFICIAL_BIDS), OFFICIAL_CHECKSUM))
    got = book.as_dict()
    assert got["valid"] is True
    assert next(iter(got["ask"].items())) == (D("45285.2"), D("0.00100000"))
    assert next(iter(got["bid"].items())) == (D("45283.5"), D("0.10000000"))
    assert all(isinstance(k, Decimal) and isinstance(v, Decimal) for k, v in got["bid"].items())


def test_dumps_writes_decimals_as_json_numbers_exactly() -> None:
    text = dumps({"a": [D("4.0"), D("0.00100000"), 1, True, None, "x\n"], "b": {"c": D("-1E-8")}})
    assert text == '{"a":[4.0,0.00100000,1,true,null,"x\\n"],"b":{"c":-1E-8}}'
    assert loads(text)["a"][1] == D("0.001")


@pytest.mark.parametrize("depth,seed", [(10, 1), (25, 2), (100, 3), (1000, 4)])
def test_random_streams_match_the_naive_model_at_every_depth(depth: int, seed: int) -> None:
    """Deep and shallow changes, removals of unknown levels, levels pushed out and back in:
    the cached checksum parts must always equal a from-scratch computation."""
    rng = random.Random(seed)
    book = OrderBook(depth=depth, price_decimals=2, qty_decimals=5)
    span = depth + 30
    asks = {D(5000) + D(i) / 100: D(rng.randint(1, 10**7)) / 10**5 for i in range(1, depth + 1)}
    bids = {D(5000) - D(i) / 100: D(rng.randint(1, 10**7)) / 10**5 for i in range(0, depth)}
    assert book.apply(_snapshot([{"price": p, "qty": q} for p, q in asks.items()], [{"price": p, "qty": q} for p, q in bids.items()],
                                book_checksum(asks.items(), bids.items(), 2, 5)))
    for n in range(1500):
        ask_changes, bid_changes = [], []
        for side, changes, levels in (("ask", ask_changes, asks), ("bid", bid_changes, bids)):
            for _ in range(rng.randint(0, 4)):
                near = rng.random() < 0.6
                offset = D(rng.randint(0, 12 if near else span)) / 100
                price = D(5000) + D("0.01") + offset if side == "ask" else D(5000) - offset
                qty = D(0) if rng.random() < 0.35 else D(rng.randint(1, 10**8)) / 10**5
                changes.append({"price": price, "qty": qty})
                if qty == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = qty
        asks, bids = _reference_state(asks, bids, depth)
        expected = book_checksum(asks.items(), bids.items(), 2, 5)
        # the same values as JSON text would give them: str, int or float must work too
        if n % 3 == 1:
            ask_changes = [{"price": str(c["price"]), "qty": str(c["qty"])} for c in ask_changes]
        elif n % 3 == 2:
            bid_changes = [{"price": float(c["price"]), "qty": float(c["qty"]) if c["qty"] else 0} for c in bid_changes]
        assert book.apply(_update(ask_changes, bid_changes, expected))
        assert book.checksum == expected
    assert [p for p, _ in book.asks()] == sorted(asks)
    assert [p for p, _ in book.bids()] == sorted(bids, reverse=True)
    assert dict(book.asks()) == asks and dict(book.bids()) == bids


def test_recorded_fixtures_validate_every_checksum() -> None:
    """The benchmark fixtures (recorded from the local exchange) are a valid Kraken stream."""
    import gzip
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "benchmarks" / "fixtures"
    for depth in (10, 1000):
        path = root / f"book-XBTUSD-d{depth}.ndjson.gz"
        book = OrderBook(depth, 1, 8)
        with gzip.open(path, "rt") as fh:
            for n, raw in enumerate(fh):
                assert book.apply(loads(raw)), f"{path.name} line {n + 1}"
                if n >= 5000:
                    break
        assert len(book) >= 1.8 * depth  # the recorder keeps the subscribed depth (nearly) full
