"""The socket-free Spot order book: maintenance rules and the checksum of kraken-protocol.md §4.6."""

from __future__ import annotations

import json
import random
import zlib
from decimal import Decimal

import pytest

from kraken_ops._core.ws import FRAME_HANDLED, dumps, loads
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


def test_as_dict_has_decimal_levels_best_first() -> None:
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


@pytest.mark.parametrize("depth,seed", [(10, 31), (25, 32), (100, 33)])
def test_reference_dict_read_after_every_update_matches_the_naive_model(depth: int, seed: int) -> None:
    """``reference_view()`` read after every update (so its side dicts are kept up to date
    level by level: changes, removals, levels inserted in the middle and pushed below the
    depth) equals the reference's book built from scratch, order and timestamps included;
    side dicts held by the caller (a name, a list, an iterator) never change afterwards."""
    rng = random.Random(seed)
    book = OrderBook(depth=depth, price_decimals=2, qty_decimals=5)
    asks = {D(5000) + D(i) / 100: (D(rng.randint(1, 10**7)) / 10**5, None) for i in range(1, depth + 1)}
    bids = {D(5000) - D(i) / 100: (D(rng.randint(1, 10**7)) / 10**5, None) for i in range(0, depth)}

    def qtys(levels):
        return {p: q for p, (q, _) in levels.items()}

    def expected(levels, reverse: bool):
        return [(f"{p:.2f}", (f"{q:.5f}", ts)) for p, (q, ts) in sorted(levels.items(), reverse=reverse)[:depth]]

    assert book.apply(_snapshot([{"price": p, "qty": q} for p, (q, _) in asks.items()], [{"price": p, "qty": q} for p, (q, _) in bids.items()],
                                book_checksum(qtys(asks).items(), qtys(bids).items(), 2, 5)))
    held: list[tuple[dict, list]] = []
    iterators = []
    for n in range(800):
        stamp = f"2026-01-01T00:00:{n:06d}Z"
        changes: dict[str, list] = {"ask": [], "bid": []}
        for side, levels in (("ask", asks), ("bid", bids)):
            for _ in range(rng.randint(0, 3)):
                offset = D(rng.randint(0, 12 if rng.random() < 0.6 else depth + 30)) / 100
                price = D(5000) + D("0.01") + offset if side == "ask" else D(5000) - offset
                qty = D(0) if rng.random() < 0.3 else D(rng.randint(1, 10**8)) / 10**5
                changes[side].append({"price": price, "qty": qty})
                if qty == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = (qty, stamp)
        asks = dict(sorted(asks.items())[:depth])
        bids = dict(sorted(bids.items(), reverse=True)[:depth])
        item = {"symbol": "BTC/USD", "asks": changes["ask"], "bids": changes["bid"],
                "checksum": book_checksum(qtys(asks).items(), qtys(bids).items(), 2, 5), "timestamp": stamp}
        assert book.apply({"channel": "book", "type": "update", "data": [item]})
        view = book.reference_view()
        assert list(view["ask"].items()) == expected(asks, False), f"update {n}"
        assert list(view["bid"].items()) == expected(bids, True), f"update {n}"
        assert view["valid"] is True
        roll = rng.random()
        if roll < 0.05:
            held.append((view["bid"], list(view["bid"].items())))
        elif roll < 0.1:
            iterators.append((iter(view["ask"].items()), list(view["ask"].items())))
        del view
    assert held and iterators
    assert all(list(side.items()) == items for side, items in held)
    assert all(list(it) == items for it, items in iterators)


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


# --- the client's text fast path (book frames read from their JSON text) ------------------------
def _client(depth: int = 10, pd: int = 1, qd: int = 8, callback=None):
    from kraken_ops.spot.orderbook import SpotOrderBookClient

    client = SpotOrderBookClient(depth=depth, callback=callback)
    client.set_precision("BTC/USD", pd, qd)
    client._settle()  # what start() does when it makes the connections
    return client


def _feed(client, raw: str):
    """What the connection does with one frame: decode, then (unless handled) _preprocess."""
    message = client._decode_frame(raw)
    return None if message is FRAME_HANDLED else client._preprocess(message)


def _fixture_frames(depth: int, count: int) -> list[str]:
    import gzip
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "benchmarks" / "fixtures"
    with gzip.open(root / f"book-XBTUSD-d{depth}.ndjson.gz", "rt") as fh:
        return [next(fh).rstrip("\n") for _ in range(count)]


def test_text_fast_path_gives_the_messages_and_books_of_the_decimal_path() -> None:
    """Recorded frames are applied from their text (after the snapshot, which creates the
    book); the message handed on equals ``loads(raw)`` (Decimal/int types included) and the
    book equals one kept from the parsed messages."""
    from kraken_ops.spot.orderbook import _BOOK_FRAME, _FAST_FRAME_MAX

    built = 0
    for depth in (10, 1000):
        client = _client(depth, callback=lambda pair, message: None)
        reference = OrderBook(depth, 1, 8)
        for n, raw in enumerate(_fixture_frames(depth, 3000 if depth == 10 else 600)):
            assert _BOOK_FRAME.fullmatch(raw), f"line {n + 1}: not in Kraken's exact form"
            out = _feed(client, raw)
            expected = loads(raw)
            assert type(out) is tuple and out[0] == "BTC/USD" and len(out) == 2
            message = out[1]
            assert message == expected and dumps(message) == dumps(expected)  # same types and digits
            built += n > 0 and len(raw) <= _FAST_FRAME_MAX
            assert reference.apply(expected)
            book = client.book("BTC/USD")
            assert book.valid and book.checksum == reference.checksum
        assert book.as_dict() == reference.as_dict() and book.reference_view() == reference.reference_view()
    assert built > 3000  # nearly all depth-10 updates and some depth-1,000 ones: messages built from the text


def _variants(rng: random.Random) -> str:
    """Book frames as Kraken writes them, and near-misses that must go through ``json``."""
    def num() -> object:
        return rng.choice([D("60029.9"), D("0.3463"), 60031, 0, D("0.00000001"), D("1E-9"), D("-1.5"), D("12.30"), D("0.0")])

    levels = [{"price": num(), "qty": num()} for _ in range(rng.randint(0, 3))]
    item: dict[str, object] = {"symbol": rng.choice(["BTC/USD", "B\\u00e9/USD", 'X"Y', "ETH/USD"]), "bids": levels,
                               "asks": [{"price": num(), "qty": num()} for _ in range(rng.randint(0, 2))],
                               "checksum": rng.choice([0, 7, 3310070434, "12"])}
    if rng.random() < 0.7:
        item["timestamp"] = rng.choice(["2026-01-01T00:00:00.010000Z", "a\\\\b", ""])
    if rng.random() < 0.1:
        item = dict(reversed(list(item.items())))
    message = {"channel": "book", "type": rng.choice(["update", "snapshot", "other"]), "data": [item]}
    text = dumps(message).replace('"B\\\\u00e9/USD"', '"B\\u00e9/USD"')
    if rng.random() < 0.1:
        text = text.replace(",", ", ")
    if rng.random() < 0.1:
        text = text.replace("1E-9", "1e-9")
    return text


def test_fast_path_decodes_exactly_what_json_decodes_or_falls_back() -> None:
    """3,000 book frames and near-misses: a frame read from its text gives the message ``loads``
    gives; every other frame is decoded by ``loads`` (ValueError when it is not JSON)."""
    rng = random.Random(11)
    client = _client(callback=lambda pair, message: None)
    client.set_precision("ETH/USD", 1, 8)
    fast = 0
    for _ in range(3000):
        raw = _variants(rng)
        try:
            expected = loads(raw)
        except ValueError:
            with pytest.raises(ValueError):
                client._decode_frame(raw)
            continue
        for pair in ("BTC/USD", "ETH/USD"):  # books with a snapshot, so that updates apply
            client._books[pair] = OrderBook(10, 1, 8)
            client._books[pair].has_snapshot = True
        out = client._decode_frame(raw)
        if type(out) is tuple:  # (pair, message), or a mismatch's (pair, message, error, notice)
            fast += 1
            assert out[1] == expected and dumps(out[1]) == dumps(expected)
        else:
            assert out == expected
    assert fast > 50  # many variants are near-misses on purpose


@pytest.mark.parametrize("depth,seed", [(10, 5), (100, 6), (1000, 7)])
def test_random_streams_through_the_text_path_match_the_naive_model(depth: int, seed: int) -> None:
    """OrderBook.apply_text (JSON number text: ints, short and over-long fractions) keeps
    the same book and checksum as a from-scratch computation, interleaved with Decimal input."""
    rng = random.Random(seed)
    book = OrderBook(depth=depth, price_decimals=2, qty_decimals=5)
    book._price_cache_size = 50  # exercise the cache clearing
    asks = {D(5000) + D(i) / 100: D(rng.randint(1, 10**7)) / 10**5 for i in range(1, depth + 1)}
    bids = {D(5000) - D(i) / 100: D(rng.randint(1, 10**7)) / 10**5 for i in range(0, depth)}

    def text(value: Decimal) -> str:  # as JSON writes the number: no trailing zeros, int when whole
        value = value.normalize()
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")

    assert book.apply_text([(text(p), text(q)) for p, q in asks.items()], [(text(p), text(q)) for p, q in bids.items()],
                           book_checksum(asks.items(), bids.items(), 2, 5), snapshot=True)
    for n in range(1500):
        changes: dict[str, list[tuple[Decimal, Decimal, str, str]]] = {"ask": [], "bid": []}
        for side, levels in (("ask", asks), ("bid", bids)):
            for _ in range(rng.randint(0, 4)):
                offset = D(rng.randint(0, 12 if rng.random() < 0.6 else depth + 30)) / 100
                price = D(5000) + D("0.01") + offset if side == "ask" else D(5000) - offset
                qty = D(0) if rng.random() < 0.35 else D(rng.randint(1, 10**8)) / 10**5
                qty_text = text(qty)
                if qty and rng.random() < 0.1:  # more decimals than the precision: rounded half-even
                    extra = rng.choice(["5", "49", "51", "0"])
                    qty_text = (qty_text if "." in qty_text else qty_text + ".") + "0" * (5 - len(qty_text.partition(".")[2])) + extra
                    qty = Decimal(qty_text).quantize(D("0.00001"))
                    if not qty:
                        continue
                changes[side].append((price, qty, text(price), qty_text))
                if qty == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = qty
        asks, bids = _reference_state(asks, bids, depth)
        expected = book_checksum(asks.items(), bids.items(), 2, 5)
        if n % 4 == 3:  # the Decimal path on the same book
            assert book.apply(_update([{"price": p, "qty": q} for p, q, _, _ in changes["ask"]],
                                      [{"price": p, "qty": q} for p, q, _, _ in changes["bid"]], expected))
        else:
            assert book.apply_text([(pt, qt) for _, _, pt, qt in changes["ask"]], [(pt, qt) for _, _, pt, qt in changes["bid"]], expected)
        assert book.checksum == expected
    assert dict(book.asks()) == asks and dict(book.bids()) == bids


def test_client_fast_path_reports_a_checksum_mismatch() -> None:
    client = _client(callback=lambda pair, message: None)
    asks = ",".join(f'{{"price":{p},"qty":{q}}}' for p, q in OFFICIAL_ASKS)
    bids = ",".join(f'{{"price":{p},"qty":{q}}}' for p, q in OFFICIAL_BIDS)
    frame = '{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[%s],"asks":[%s],"checksum":%d}]}'
    pair, message = _feed(client, frame % (bids, asks, OFFICIAL_CHECKSUM))  # creates the book (dict path)
    assert message["type"] == "snapshot" and client.book("BTC/USD").valid
    pair, message, error, notice = _feed(client, frame % (bids, asks, OFFICIAL_CHECKSUM + 1))  # applied from the text
    assert pair == "BTC/USD" and message == loads(frame % (bids, asks, OFFICIAL_CHECKSUM + 1))
    assert error == {"error": "Checksum mismatch - resubscribing to the orderbook for BTC/USD"}  # the reference's words
    assert notice["kraken_ops"] == "checksum_mismatch" and notice["computed"] == OFFICIAL_CHECKSUM
    assert client.checksum_mismatches == 1 and not client.book("BTC/USD").valid and not client.get("BTC/USD")["valid"]
    update = '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[{"price":45285.2,"qty":1}],"checksum":1}]}'
    assert _feed(client, update) is None  # ignored until the fresh snapshot


# --- the lean path: nobody reads book messages (no callback, no override) ------------------------
def _frame_text(kind: str, asks, bids, checksum: int, symbol: str = "BTC/USD") -> str:
    """A book frame as Kraken writes it (compact, numbers as JSON writes them)."""
    def num(value: Decimal) -> str:
        value = value.normalize()
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")

    def side(levels) -> str:
        return ",".join(f'{{"price":{num(p)},"qty":{num(q)}}}' for p, q in levels)

    return (f'{{"channel":"book","type":"{kind}","data":[{{"symbol":"{symbol}","bids":[{side(bids)}],'
            f'"asks":[{side(asks)}],"checksum":{checksum},"timestamp":"2026-01-01T00:00:00.000000Z"}}]}}')


def test_decoder_choice_follows_callback_and_overrides() -> None:
    from kraken_ops.spot.orderbook import SpotOrderBookClient

    quiet = SpotOrderBookClient(depth=10)
    assert quiet._make_connection("public", "ws://127.0.0.1:9/ws/v2").decode == quiet._decode_frame
    assert quiet._quiet and quiet._reader_applies and quiet._update_target is None
    with_callback = SpotOrderBookClient(depth=10, callback=print)
    assert with_callback._make_connection("public", "ws://127.0.0.1:9/ws/v2").decode == with_callback._decode_frame
    assert not with_callback._quiet and with_callback._update_target is print

    class OverridesUpdate(SpotOrderBookClient):
        async def on_book_update(self, pair, message):
            pass

    class OverridesMessage(SpotOrderBookClient):
        async def on_message(self, message):
            pass

    client = OverridesUpdate(depth=10, callback=print)
    client._settle()
    assert not client._quiet and client._reader_applies and client._update_target is None  # the override, not the callback
    client = OverridesMessage(depth=10)
    assert client._make_connection("public", "ws://127.0.0.1:9/ws/v2").decode is loads  # every message to on_message
    assert not client._reader_applies
    on_instance = SpotOrderBookClient(depth=10)

    async def on_book_update(pair, message):
        pass

    on_instance.on_book_update = on_book_update  # the reference's style: assigned on the instance
    on_instance._settle()
    assert not on_instance._quiet and on_instance._update_target is None


def test_lean_path_keeps_the_books_of_the_full_path_on_the_fixtures() -> None:
    """Same frames into a client without and one with a callback: identical books, checksums
    and validity after every frame; the lean one hands nothing on."""
    for depth in (10, 1000):
        lean = _client(depth)
        full = _client(depth, callback=lambda pair, message: None)
        assert lean._quiet and not full._quiet
        for n, raw in enumerate(_fixture_frames(depth, 3000)):
            assert _feed(lean, raw) is None, f"line {n + 1}"
            assert _feed(full, raw)[1]["channel"] == "book"
            a, b = lean.book("BTC/USD"), full.book("BTC/USD")
            assert a.valid and b.valid and a.checksum == b.checksum == a.expected_checksum
            if n % 500 == 0:
                assert a.as_dict() == b.as_dict() and a.timestamp == b.timestamp and lean.get("BTC/USD") == full.get("BTC/USD")
        assert lean.get("BTC/USD") == full.get("BTC/USD")
        assert lean.checksum_mismatches == full.checksum_mismatches == 0


@pytest.mark.parametrize("depth,seed", [(10, 21), (25, 22), (1000, 23)])
def test_lean_path_matches_the_full_path_on_random_streams_with_bad_checksums(depth: int, seed: int) -> None:
    """Random text frames (ints, short fractions, removals, levels pushed out), some with a wrong
    checksum: both paths keep the same book, validity, mismatch count and recovery by snapshot."""
    rng = random.Random(seed)
    lean = _client(depth, 2, 5)
    full = _client(depth, 2, 5, callback=lambda pair, message: None)
    asks = {D(5000) + D(i) / 100: D(rng.randint(1, 10**7)) / 10**5 for i in range(1, depth + 1)}
    bids = {D(5000) - D(i) / 100: D(rng.randint(1, 10**7)) / 10**5 for i in range(0, depth)}

    def snapshot() -> str:
        return _frame_text("snapshot", sorted(asks.items()), sorted(bids.items(), reverse=True),
                           book_checksum(asks.items(), bids.items(), 2, 5))

    frames = [snapshot()]
    for _ in range(1500):
        changes = {"ask": [], "bid": []}
        for side, levels in (("ask", asks), ("bid", bids)):
            for _ in range(rng.randint(0, 3)):
                offset = D(rng.randint(0, 12 if rng.random() < 0.6 else depth + 30)) / 100
                price = D(5000) + D("0.01") + offset if side == "ask" else D(5000) - offset
                qty = D(0) if rng.random() < 0.35 else D(rng.randint(1, 10**8)) / 10**5
                changes[side].append((price, qty))
                if qty == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = qty
        asks, bids = _reference_state(asks, bids, depth)
        checksum = book_checksum(asks.items(), bids.items(), 2, 5)
        if rng.random() < 0.01:
            frames.append(_frame_text("update", changes["ask"], changes["bid"], (checksum + 1) % 2**32))
            frames.append(snapshot())  # Kraken's fresh snapshot after the resubscription
        else:
            frames.append(_frame_text("update", changes["ask"], changes["bid"], checksum))
    mismatches = 0
    for n, raw in enumerate(frames):
        out_lean, out_full = _feed(lean, raw), _feed(full, raw)
        if len(out_full) == 4:
            mismatches += 1
            assert out_lean == out_full[3] and out_lean["kraken_ops"] == "checksum_mismatch"
        else:
            assert out_lean is None and out_full[1]["channel"] == "book"
        a, b = lean.book("BTC/USD"), full.book("BTC/USD")
        assert (a.valid, a.checksum, a.has_snapshot) == (b.valid, b.checksum, b.has_snapshot), f"frame {n}"
    assert mismatches and lean.checksum_mismatches == full.checksum_mismatches == mismatches
    assert lean.get("BTC/USD") == full.get("BTC/USD")
    assert dict(lean.book("BTC/USD").asks()) == asks and dict(lean.book("BTC/USD").bids()) == bids


def test_lean_decoder_accepts_only_what_json_accepts() -> None:
    """The 3,000 near-miss frames through the lean decoder: a frame it applies is one in
    Kraken's strict form; the others decode like ``loads``."""
    from kraken_ops.spot.orderbook import _BOOK_FRAME

    rng = random.Random(11)
    client = _client()
    client.set_precision("ETH/USD", 1, 8)
    handled = 0
    for _ in range(3000):
        raw = _variants(rng)
        try:
            expected = loads(raw)
        except ValueError:
            with pytest.raises(ValueError):
                client._decode_frame(raw)
            continue
        for pair in ("BTC/USD", "ETH/USD"):
            client._books[pair] = OrderBook(10, 1, 8)
            client._books[pair].has_snapshot = True
        got = client._decode_frame(raw)
        if got is FRAME_HANDLED or (isinstance(got, dict) and got.get("kraken_ops") == "checksum_mismatch"):
            handled += 1
            assert _BOOK_FRAME.fullmatch(raw)  # the strict form
        else:
            assert got == expected
    assert handled > 50


@pytest.mark.parametrize("native", [True, False], ids=["c-helpers", "pure-python"])
@pytest.mark.parametrize("depth,pd,qd,seed,quiet", [(10, 1, 8, 31, False), (10, 2, 5, 32, True), (25, 2, 5, 33, False),
                                                    (1000, 2, 5, 34, False)])
def test_update_decoder_keeps_the_books_and_messages_of_the_general_path(depth: int, pd: int, qd: int, seed: int,
                                                                         quiet: bool, native: bool,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The decoder made for the client (``_settle``: one function per variant, applying book
    updates from the frame's text) against the general method ``SpotOrderBookClient._decode_frame``
    on the same random frames: volumes below one, above one, whole, with more decimals than
    the precision and zero; one level or several a side; wrong checksums and fresh snapshots;
    side dicts held by the caller. Same output, books, checksums and reference dicts (order
    included) after every frame, and held side dicts never change. Both variants: with the C
    helpers of kraken_ops/spot/_bookscan.c (when built) and with their pure-Python twins."""
    from kraken_ops.spot import orderbook
    from kraken_ops.spot.orderbook import SpotOrderBookClient

    if native and orderbook._apply_one is None:
        pytest.skip("kraken_ops.spot._bookscan is not built")
    if not native:
        monkeypatch.setattr(orderbook, "_apply_one", None)

    rng = random.Random(seed)
    callback = None if quiet else (lambda pair, message: None)
    made, general = _client(depth, pd, qd, callback=callback), _client(depth, pd, qd, callback=callback)
    assert made._decode_frame.__name__ == "decode"  # the specialised decoder
    assert made._decode_frame.__code__.co_filename.endswith(f"{native})>")  # of the variant asked for
    general._decode_frame = SpotOrderBookClient._decode_frame.__get__(general)
    unit, lot = D(1).scaleb(-pd), D(1).scaleb(-qd)
    asks = {D(5000) + unit * i: D(rng.randint(1, 10**7)) * lot for i in range(1, depth + 1)}
    bids = {D(5000) - unit * i: D(rng.randint(1, 10**7)) * lot for i in range(0, depth)}

    def volume() -> tuple[Decimal, str]:
        """(what the book keeps, the frame's text)."""
        kind = rng.random()
        if kind < 0.25:
            return D(0), "0"
        if kind < 0.35:  # whole
            whole = rng.randint(1, 40)
            return D(whole), str(whole)
        if kind < 0.45:  # more decimals than the precision: rounded half-even
            text = f"0.{rng.randint(0, 10**qd - 1):0{qd}d}{rng.choice('05')}{rng.randint(1, 9)}"
            return D(text).quantize(lot), text
        number = (D(rng.randint(1, 10**6)) * lot * (100 if kind < 0.55 else 1)).normalize()
        return number, format(number, "f")

    def snapshot() -> str:
        return _frame_text("snapshot", sorted(asks.items()), sorted(bids.items(), reverse=True),
                           book_checksum(asks.items(), bids.items(), pd, qd))

    frames = [snapshot()]
    for n_frame in range(1200):
        changes: dict[str, list[tuple[Decimal, str]]] = {"ask": [], "bid": []}
        for side, levels in (("ask", asks), ("bid", bids)):
            if rng.random() < 0.45:
                continue
            for _ in range(1 if rng.random() < 0.75 else rng.randint(2, 4)):
                offset = unit * rng.randint(0, 12 if rng.random() < 0.7 else depth + 20)
                price = D(5000) + unit + offset if side == "ask" else D(5000) - offset
                kept, text = volume()
                changes[side].append((price, text))
                if kept == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = kept
        asks, bids = _reference_state(asks, bids, depth)
        checksum = book_checksum(asks.items(), bids.items(), pd, qd)
        bad = rng.random() < 0.01
        def side_text(levels: list[tuple[Decimal, str]]) -> str:  # each volume as its own text
            return ",".join(f'{{"price":{format(price.normalize(), "f")},"qty":{text}}}' for price, text in levels)

        frames.append(f'{{"channel":"book","type":"update","data":[{{"symbol":"BTC/USD","bids":[{side_text(changes["bid"])}],'
                      f'"asks":[{side_text(changes["ask"])}],"checksum":{(checksum + bad) % 2**32},'
                      f'"timestamp":"2026-01-01T00:00:{n_frame % 60:02d}.000000Z"}}]}}')
        if bad:
            frames.append(snapshot())
    held: list[tuple[dict, list]] = []
    for n, raw in enumerate(frames):
        out_made, out_general = _feed(made, raw), _feed(general, raw)
        assert out_made == out_general, f"frame {n}"
        if type(out_made) is tuple:
            assert dumps(out_made[1]) == dumps(out_general[1])  # same types and digits
        a, b = made.book("BTC/USD"), general.book("BTC/USD")
        assert (a.valid, a.checksum, a.expected_checksum, a.timestamp) == (b.valid, b.checksum, b.expected_checksum, b.timestamp)
        if n % 3 == 0:
            view, other = made.get("BTC/USD"), general.get("BTC/USD")
            assert view == other and list(view["bid"]) == list(other["bid"]) and list(view["ask"]) == list(other["ask"])
            if n % 9 == 0:
                held += [(view["bid"], list(view["bid"].items())), (view["ask"], list(view["ask"].items()))]
    assert made.checksum_mismatches == general.checksum_mismatches > 0
    assert dict(made.book("BTC/USD").asks()) == asks and dict(made.book("BTC/USD").bids()) == bids
    assert all(list(side.items()) == items for side, items in held)


def test_message_volumes_have_the_digits_and_exponent_loads_gives() -> None:
    """The update decoder makes a message's volumes with a context that cannot round: for any
    number text a frame may carry (up to 40 digits before and after the point) the Decimal is
    the one ``Decimal(text)`` (and so ``loads``) gives, digits and exponent included."""
    from kraken_ops.spot.orderbook import _exact_decimal

    rng = random.Random(41)
    texts = ["0.0", "0.00000001", "12.30", "9" * 40 + "." + "9" * 40, "0." + "0" * 39 + "1", "1" * 40 + ".5"]
    for _ in range(3000):
        whole = rng.choice(["0", str(rng.randint(1, 10 ** rng.randint(1, 40) - 1))])
        texts.append(whole + "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40))))
    for text in texts:
        made = _exact_decimal(text)
        assert type(made) is Decimal and made.as_tuple() == Decimal(text).as_tuple(), text


def test_dict_levels_are_written_as_plain_text_or_refused() -> None:
    """The dict path's only conversion: numbers of any JSON type as plain text; a negative or
    non-numeric value refuses the whole message before anything is applied."""
    from kraken_ops.spot.orderbook import _plain_text

    assert [_plain_text(v) for v in (D("1E-9"), D("12.30"), 5, "0.5", 1e-05, D("1E+2"), D("-0"), 0.1)] == [
        "0.000000001", "12.30", "5", "0.5", "0.00001", "100", "0", "0.1"]
    for bad in (D("-1.5"), -1, "abc", "-2", D("NaN"), float("inf"), None):
        with pytest.raises(ValueError):
            _plain_text(bad)
    book = OrderBook(10, 1, 8)
    assert book.apply(_snapshot(_levels(OFFICIAL_ASKS), _levels(OFFICIAL_BIDS), OFFICIAL_CHECKSUM))
    before = book.reference_view()["ask"]
    with pytest.raises(ValueError):
        book.apply(_update(asks=[{"price": D("45285.2"), "qty": D("2")}, {"price": D("-1"), "qty": D("1")}], checksum=1))
    assert book.reference_view()["ask"] == before and book.valid
