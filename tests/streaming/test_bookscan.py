"""The optional C helpers of the order book's text path (kraken_ops/spot/_bookscan.c) against
their pure-Python twins in kraken_ops.spot.orderbook, which define them.

Without the extension (no compiler at install, or KRAKEN_OPS_NO_EXTENSIONS set) these tests
skip, except where KRAKEN_OPS_REQUIRE_EXTENSIONS=1 (CI) says it must have been built.
"""

from __future__ import annotations

import gzip
import os
import random
import sys
import tracemalloc
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kraken_ops.spot import orderbook
from kraken_ops.spot.orderbook import crc32_top_py, scan_update_py

FIXTURES = Path(__file__).resolve().parents[2] / "benchmarks" / "fixtures"

if os.environ.get("KRAKEN_OPS_NO_EXTENSIONS"):
    _native = None
else:
    try:
        from kraken_ops.spot import _bookscan as _native
    except ImportError:
        _native = None

needs_native = pytest.mark.skipif(_native is None, reason="kraken_ops.spot._bookscan is not built (pure-Python twins in use)")

GOOD = ('{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":60029.9,"qty":0.3463}],'
        '"asks":[],"checksum":2497589493,"timestamp":"2026-01-01T00:00:00.010000Z"}]}')


def test_the_extension_is_built_where_it_is_required() -> None:
    """CI sets KRAKEN_OPS_REQUIRE_EXTENSIONS=1: a build that silently skipped the extension
    (it is optional for users without a compiler) must not pass there; and the client's
    decoder uses it whenever it is importable."""
    if os.environ.get("KRAKEN_OPS_REQUIRE_EXTENSIONS") == "1":
        assert _native is not None, "kraken_ops.spot._bookscan was not built"
    assert (orderbook._apply_one is not None) == (_native is not None)


def _frames(depth: int, count: int) -> list[str]:
    with gzip.open(FIXTURES / f"book-XBTUSD-d{depth}.ndjson.gz", "rt") as fh:
        return [next(fh).rstrip("\n") for _ in range(count)]


def _edge_frames() -> list[str]:
    """Frames at every edge of the pattern's language."""
    def frame(bids: str = '{"price":60029.9,"qty":0.3463}', asks: str = "", checksum: str = "2497589493",
              ts: str | None = "2026-01-01T00:00:00.010000Z", symbol: str = "BTC/USD", kind: str = "update") -> str:
        tail = "" if ts is None else f',"timestamp":"{ts}"'
        return (f'{{"channel":"book","type":"{kind}","data":[{{"symbol":"{symbol}","bids":[{bids}],"asks":[{asks}],'
                f'"checksum":{checksum}{tail}}}]}}')

    def level(price: str, qty: str) -> str:
        return f'{{"price":{price},"qty":{qty}}}'

    numbers = ["0", "00", "01", "1", "-1", "1.", ".5", "1e5", "1E-9", "0.0", "0.000", "0.5", "0.05000", "12.30",
               "9" * 40, "9" * 41, "1" + "0" * 39, "0." + "1" * 40, "0." + "1" * 41, "0." + "0" * 39 + "1",
               "0." + "0" * 40 + "1", "0." + "0" * 50 + "1", "1." + "0" * 40, "1." + "0" * 41, "1" * 40 + "." + "2" * 40,
               "0.00100000", "1.54571953", "5", "60029.9", " 1", "1 ", "+1", "0x1", "１", "NaN", "Infinity", "true", '"1"']
    out = [GOOD, GOOD.replace("update", "snapshot"), GOOD + " ", " " + GOOD, GOOD[:-1], GOOD + "}", ""]
    for number in numbers:
        out += [frame(bids=level(number, "0.3463")), frame(bids=level("60029.9", number)),
                frame(asks=level("60030.4", number)), frame(bids=level("1", "1") + "," + level(number, number)),
                frame(checksum=number)]
    for checksum in ["0", "00", "7", "9" * 18, "9" * 19, "1" + "0" * 17, "-5", "5.0", "18446744073709551615"]:
        out.append(frame(checksum=checksum))
    for text in ["", "A" * 200, "a b", 'a"b', "a\\b", "a\\u00e9", "é", "\x00", "\x1f", "\x7f", "~", "😀", "\t"]:
        out += [frame(symbol=text), frame(ts=text)]
    out += [frame(ts=None), frame(bids="", asks=""), frame(bids="", asks=level("1.5", "0")),
            frame(bids=",".join(level(str(60000 - i), f"0.{i + 1:04d}") for i in range(30))),
            frame(bids=level("1", "1") + ","), frame(bids="," + level("1", "1")), frame(bids=level("1", "1") + ",]"),
            frame(bids='{"qty":1,"price":1}'), frame(bids='{"price":1,"qty":1,"x":1}'), frame(bids="[]"),
            GOOD.replace('"bids"', '"asks"', 1), GOOD.replace(',"asks":[]', ""), GOOD.replace("BTC/USD", "ETH/USD")]
    return out


def _mutations(rng: random.Random, count: int) -> list[str]:
    """Valid frames with one or two characters inserted, removed or replaced."""
    base = _frames(10, 200) + [f for f in _edge_frames() if scan_update_py(f) is not None]
    alphabet = '0123456789.,:{}[]"\\ -+eE/aZé\x00\x7f'
    out = []
    for _ in range(count):
        text = rng.choice(base)
        for _ in range(rng.randint(1, 2)):
            at = rng.randrange(len(text) + 1)
            op = rng.random()
            if op < 0.34:
                text = text[:at] + rng.choice(alphabet) + text[at:]
            elif op < 0.67:
                text = text[:at] + text[at + 1:]
            else:
                text = text[:at] + rng.choice(alphabet) + text[at + 1:]
        out.append(text)
    return out


@needs_native
def test_scan_update_gives_the_pattern_groups_on_recorded_frames() -> None:
    frames = _frames(10, 5001) + _frames(1000, 2001)
    matched = 0
    for raw in frames:
        expected = scan_update_py(raw)
        assert _native.scan_update(raw) == expected, raw
        matched += expected is not None
    assert matched >= 7000  # every update (the snapshots are not this pattern's)


@needs_native
def test_scan_update_gives_the_pattern_groups_at_the_edges() -> None:
    frames = _edge_frames()
    for raw in frames:
        assert _native.scan_update(raw) == scan_update_py(raw), raw
    assert sum(scan_update_py(raw) is not None for raw in frames) > 40


@needs_native
def test_scan_update_gives_the_pattern_groups_on_near_misses() -> None:
    rng = random.Random(5)
    frames = _mutations(rng, 20000)
    for raw in frames:
        assert _native.scan_update(raw) == scan_update_py(raw), raw
    assert 1000 < sum(scan_update_py(raw) is not None for raw in frames) < 19000


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('0123456789.,:{}[]"\\ -eé/\x00')), max_size=60), st.integers(0, len(GOOD)))
def test_scan_update_gives_the_pattern_groups_for_any_insertion(junk: str, at: int) -> None:
    raw = GOOD[:at] + junk + GOOD[at:]
    assert _native.scan_update(raw) == scan_update_py(raw)


@needs_native
def test_scan_update_refuses_what_the_pattern_refuses_to_read() -> None:
    for raw in (GOOD.encode(), bytearray(GOOD.encode()), None, 5):
        with pytest.raises(TypeError):
            _native.scan_update(raw)
    with pytest.raises(TypeError):
        orderbook._UPDATE_FRAME.fullmatch(GOOD.encode())  # what the decoder's except TypeError is for

    class Text(str):
        pass

    assert _native.scan_update(Text(GOOD)) == scan_update_py(Text(GOOD)) is not None


@needs_native
def test_scan_update_hands_out_one_pair_text_per_pair() -> None:
    """Frames for the same pair give the same str object (its hash is kept for the books'
    dict lookup); another pair gives its own, equal to the frame's text."""
    first, second = _native.scan_update(GOOD), _native.scan_update(GOOD)
    other = _native.scan_update(GOOD.replace("BTC/USD", "ETH/USD"))
    assert first[0] is second[0] and first[0] == "BTC/USD" and other[0] == "ETH/USD"
    assert _native.scan_update(GOOD)[0] == "BTC/USD"


@needs_native
def test_crc32_top_is_zlib_crc32_of_the_first_ten_segments() -> None:
    rng = random.Random(9)
    for _ in range(3000):
        segs = ["".join(rng.choice("0123456789") for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(0, 15))]
        start = rng.choice([0, 1, rng.randrange(2**32), 2**32 - 1])
        expected = crc32_top_py(segs, start)
        assert expected == zlib.crc32("".join(segs[:10]).encode(), start)
        assert _native.crc32_top(segs, start) == expected
    long_segs = ["7" * 700, "1" * 2000, "2", "3" * 1023, "4" * 1025] * 3  # past the gathering buffer
    assert _native.crc32_top(long_segs, 5) == crc32_top_py(long_segs, 5)
    assert _native.crc32_top([], 123) == 123 == crc32_top_py([], 123)


@needs_native
def test_crc32_top_refuses_what_is_not_a_side() -> None:
    for segs, start in (([b"1"], 0), (("1",), 0), (["é"], 0), ([1], 0), (["1"], "0"), (["1"], None)):
        with pytest.raises(TypeError):
            _native.crc32_top(segs, start)
    with pytest.raises(TypeError):
        _native.crc32_top(["1"])


def _side(levels: list[tuple[str, str]], ask: bool = True):
    """A book side as OrderBook keeps it (depth 10, price decimals 1, qty decimals 8), and its entries."""
    book = orderbook.OrderBook(10, 1, 8)
    book.apply_text(levels if ask else [], [] if ask else levels, None)
    return book


@needs_native
def test_apply_one_leaves_unusual_volumes_to_the_template_and_refuses_what_is_not_a_side() -> None:
    book = _side([("100.0", "1.0"), ("100.5", "2.0")])
    entry = book._price_entry("100.0")
    args = [book._ask_keys, book._ask_segs, book._ask_levels, None, entry, 0]
    pads = book._qpad_by_text_len
    # whole numbers and more decimals than the pair's go back to the template (they round)
    for qty, sig in (("12", None), ("0.000000001", "1"), ("1.000000001", None), ("0.5", None)):
        assert _native.apply_one(*args, qty, sig, pads, "t", 10, 4) is None, qty
    assert book.reference_view()["ask"] == {"100.0": ("1.00000000", None), "100.5": ("2.00000000", None)}
    # a volume of one or more with few decimals: applied, token and reference text padded
    assert _native.apply_one(*args, "12.5", None, pads, "t", 10, 4) == 1
    assert book._ask_segs[0] == entry[1] + "1250000000" and book._ask_levels[0] == ("100.0", ("12.50000000", "t"))
    # 0.<zeros> is a removal, like "0"
    assert _native.apply_one(*args, "0.00", None, pads, "t", 10, 4) == 1
    assert book._ask_levels == [("100.5", ("2.00000000", None))]
    assert _native.apply_one(*args, "1.5", None, pads, "t", 10, 4) == 1  # back, in front
    # a removal, whether the pattern's significant-digits group is None or "" (findall's empty group)
    assert _native.apply_one(*args, "0", "", pads, "t", 10, 4) == 1
    assert _native.apply_one(*args, "0", None, pads, "t", 10, 4) == 0  # gone already
    assert book._ask_segs == [book._price_entry("100.5")[1] + "200000000"] and len(book._ask_keys) == 2
    for bad in ((list(book._ask_keys), tuple(book._ask_segs)), (tuple(book._ask_keys), book._ask_segs)):
        with pytest.raises(TypeError):
            _native.apply_one(bad[0], bad[1], book._ask_levels, None, entry, 0, "0.5", "5", pads, "t", 10, 4)
    with pytest.raises(TypeError):
        _native.apply_one(*args, "0.5", "5", pads, "t", 10)
    with pytest.raises(TypeError):
        _native.apply_one(book._ask_keys, book._ask_segs, book._ask_levels, [], entry, 0, "0.5", "5", pads, "t", 10, 4)


@needs_native
def test_apply_one_keeps_every_reference_count_it_touches() -> None:
    """Inserting a level and removing it again leaves the reference counts of everything the
    C function touched where they were (a leak or a missing reference would show here)."""
    book = _side([("100.0", "1.0"), ("100.5", "2.0"), ("101.0", "3.0")])
    view = book.reference_view()
    side = view["ask"]
    entry = book._price_entry("100.7")
    ts, qty, sig = "2026-01-01T00:00:00.000000Z", "0.25", "25"
    watched = [entry, entry[0], entry[1], entry[2], ts, qty, sig, book._ask_keys, book._ask_segs, book._ask_levels, side]
    args = (book._ask_keys, book._ask_segs, book._ask_levels, side, entry, 0)
    before = [sys.getrefcount(obj) for obj in watched]
    for _ in range(50):
        assert _native.apply_one(*args, qty, sig, book._qpad_by_text_len, ts, 10, 4) == 1  # inserted, reordered in place
        assert list(side) == ["100.0", "100.5", "100.7", "101.0"]
        assert _native.apply_one(*args, "0", None, book._qpad_by_text_len, ts, 10, 4) == 1  # removed
        assert _native.apply_one(*args, "0", None, book._qpad_by_text_len, ts, 10, 4) == 0  # not there: nothing
    assert [sys.getrefcount(obj) for obj in watched] == before
    assert list(side) == ["100.0", "100.5", "101.0"] and len(book._ask_keys) == 4


@needs_native
def test_the_text_path_does_not_grow_memory() -> None:
    """50,000 recorded frames through the client with the C helpers, twice: what the second
    pass leaves allocated is what the first left (no object kept per frame)."""
    frames = _frames(10, 20001)
    seen = []

    async def callback(pair, message):  # noqa: ANN001, ANN202
        seen.append(len(message["data"]))
        del seen[:]

    client = orderbook.SpotOrderBookClient(depth=10, callback=callback)
    client.set_precision("BTC/USD", 1, 8)
    client._settle()
    assert client._decode_frame.__code__.co_filename.endswith("True)>")  # the native variant

    def run() -> None:
        for raw in frames:
            out = client._decode_frame(raw)
            if type(out) is dict:
                out = client._preprocess(out)
            if type(out) is tuple:
                coroutine = client._deliver(out)
                try:
                    coroutine.send(None)
                except StopIteration:
                    pass
            client.get("BTC/USD")

    run()
    tracemalloc.start()
    run()
    first = tracemalloc.get_traced_memory()[0]
    run()
    second = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert client.checksum_mismatches == 0
    assert second - first < 64 * 1024, (first, second)


@pytest.mark.parametrize("native", [True, False])
def test_a_volume_with_more_than_forty_decimals_goes_the_general_way(native: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kraken's numbers have at most 40 decimals; a volume with more (0. and fifty zeros) used
    to pass the update pattern and crash the fast decoder (IndexError). Now it is not the
    pattern's, and the general path applies it."""
    if native and _native is None:
        pytest.skip("kraken_ops.spot._bookscan is not built")
    if not native:
        monkeypatch.setattr(orderbook, "_apply_one", None)

    async def callback(pair, message):  # noqa: ANN001, ANN202
        pass

    client = orderbook.SpotOrderBookClient(depth=10, callback=callback)
    client.set_precision("BTC/USD", 1, 8)
    client._settle()
    checksum = orderbook.book_checksum([("101.0", "1.0")], [("100.0", "1.0")], 1, 8)
    snapshot = ('{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":100.0,"qty":1.0}],'
                f'"asks":[{{"price":101.0,"qty":1.0}}],"checksum":{checksum}}}]}}')
    client._preprocess(client._decode_frame(snapshot))
    tiny = "0." + "0" * 50 + "1"
    after = orderbook.book_checksum([("101.0", "1.0")], [], 1, 8)
    update = ('{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":100.0,"qty":' + tiny + '}],'
              f'"asks":[],"checksum":{after},"timestamp":"2026-01-01T00:00:00.000000Z"}}]}}')
    assert scan_update_py(update) is None
    out = client._preprocess(client._decode_frame(update))  # no IndexError
    assert out[1]["data"][0]["bids"] == [{"price": Decimal("100.0"), "qty": Decimal(tiny)}]
    assert client.book("BTC/USD").bids() == [] and client.book("BTC/USD").valid  # rounds to nothing at 8 decimals
