"""SpotOrderBookClient keeps python-kraken-sdk's contract: ``on_message(dict)`` is the entry
point that applies book messages, ``get(pair)`` has the reference's shape and types, and
``on_book_update`` is called when and with what the reference calls it.

The reference's behaviour is read from ``golden/reference_books.json.gz``, made once by
``golden/make_reference_books.py`` with python-kraken-sdk 3.5.1 on the recorded streams
(its docstring says how). When python-kraken-sdk is importable (a scratch venv), the
reference is also run live on the same messages and must agree with the golden file.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from kraken_ops._core.ws import FRAME_HANDLED, loads
from kraken_ops.spot.orderbook import OrderBook, SpotOrderBookClient, book_checksum

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden")
PAIR = "BTC/USD"
FAST = {"ping_interval": None, "backoff_base": 0.05, "backoff_max": 0.2, "max_reconnect_attempts": 3, "request_timeout": 5.0}


def _golden() -> dict[str, Any]:
    with gzip.open(GOLDEN / "reference_books.json.gz", "rt") as fh:
        return json.load(fh)


GOLDEN_DATA = _golden()
SCENARIOS = {s["name"]: s for s in GOLDEN_DATA["scenarios"]}


def _inputs(scenario: dict[str, Any]) -> list[str]:
    if "frames" in scenario:
        return scenario["frames"]
    with gzip.open(ROOT / scenario["fixture"], "rt") as fh:
        return [next(fh).rstrip("\n") for _ in range(scenario["count"])]


def _view(book: dict[str, Any] | None) -> dict[str, Any] | None:
    """A get() result as the golden file writes it (items in order, tuples as lists)."""
    if book is None:
        return None
    return {"bid": [[p, list(v)] for p, v in book["bid"].items()], "ask": [[p, list(v)] for p, v in book["ask"].items()],
            "valid": book["valid"], "price_decimals": book["price_decimals"], "qty_decimals": book["qty_decimals"]}


async def _replay_ours(scenario: dict[str, Any]) -> dict[str, Any]:
    calls: list[list[Any]] = []

    def on_update(pair: str, message: dict[str, Any]) -> None:
        calls.append([pair, message.get("type") or message.get("error")])

    client = SpotOrderBookClient(depth=scenario["depth"], callback=on_update)
    client.set_precision(PAIR, 1, 8)  # what the reference's AssetPairs lookup answered
    books = {}
    checkpoints = set(scenario["checkpoints"])
    for n, raw in enumerate(_inputs(scenario)):
        await client.on_message(loads(raw))
        if n in checkpoints:
            books[str(n)] = _view(client.get(PAIR))
    return {"books": books, "calls": calls}


def _live_reference(scenario: dict[str, Any]) -> dict[str, Any] | None:
    """The reference run now, when python-kraken-sdk is importable (else None)."""
    try:
        import kraken.spot  # noqa: F401
    except ImportError:
        return None
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_reference_books", GOLDEN / "make_reference_books.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return asyncio.run(module.replay(_inputs(scenario), set(scenario["checkpoints"]), scenario["depth"]))


@pytest.mark.parametrize("name", ["d10", "d1000", "mismatch"])
def test_replaying_messages_gives_the_reference_books_and_calls(name: str) -> None:
    """The recorded streams (and a mismatch, then the resubscription's acknowledgement and
    snapshot) through ``on_message``: the same books after every checkpoint, item for item,
    and the same ``on_book_update`` calls, the reference's error message included."""
    scenario = SCENARIOS[name]
    reference = scenario["reference"]
    live = _live_reference(scenario)
    if live is not None:
        assert live == reference, "golden/reference_books.json.gz is out of date: run golden/make_reference_books.py"
    ours = asyncio.run(_replay_ours(scenario))
    for n in scenario["checkpoints"]:
        assert ours["books"][str(n)] == reference["books"][str(n)], f"{name}: book after message {n}"
    assert ours["calls"] == reference["calls"]


def test_before_any_snapshot_kraken_ops_waits_for_the_snapshot() -> None:
    """A documented difference: the reference builds a book from an update that arrives
    before any snapshot (and reports it invalid, then merges the snapshot into it);
    kraken-ops ignores updates until the pair's snapshot and starts the book from it. Both
    agree once the snapshot and the next update are in."""
    scenario = SCENARIOS["before-snapshot"]
    reference = scenario["reference"]
    ours = asyncio.run(_replay_ours(scenario))
    assert reference["books"]["0"] is not None and reference["books"]["0"]["valid"] is False
    assert [ours["books"][str(n)] for n in range(3)] == [None, None, None]
    assert ours["books"]["3"]["valid"] is True  # from the snapshot alone
    assert ours["books"]["4"] == ours["books"]["3"]  # a message without a checksum is ignored, as by the reference
    assert ours["books"]["5"] == reference["books"]["5"]
    assert ours["calls"] == [[PAIR, "snapshot"], [PAIR, "update"]]


def test_get_has_the_reference_types() -> None:
    reference_types = SCENARIOS["d10"]["reference"]["types"]
    assert reference_types == {"book": "dict", "side": "OrderedDict", "price": "str", "value": "tuple", "volume": "str",
                               "timestamps": ["NoneType", "str"]}
    client = SpotOrderBookClient(depth=10)
    client.set_precision(PAIR, 1, 8)

    timestamps = set()

    async def replay() -> None:
        for raw in _inputs(SCENARIOS["d10"])[:300]:
            await client.on_message(loads(raw))
            book = client.get(PAIR)
            timestamps.update(type(value[1]).__name__ for side in ("bid", "ask") for value in book[side].values())

    asyncio.run(replay())
    book = client.get(PAIR)
    assert type(book) is dict and list(book) == ["bid", "ask", "valid", "price_decimals", "qty_decimals"]
    assert book["valid"] is True and book["price_decimals"] == 1 and book["qty_decimals"] == 8
    for side in ("bid", "ask"):
        levels = book[side]
        # the reference builds OrderedDicts; a dict has the same order, items and methods (docs/sdk-differences.md)
        assert isinstance(levels, dict) and len(levels) == 10
        for price, value in levels.items():
            assert type(price) is str and re.fullmatch(r"[0-9]+\.[0-9]", price)
            assert type(value) is tuple and len(value) == 2
            assert type(value[0]) is str and re.fullmatch(r"[0-9]+\.[0-9]{8}", value[0])
    assert timestamps == set(reference_types["timestamps"])
    prices = [float(p) for p in book["bid"]]
    assert prices == sorted(prices, reverse=True)
    prices = [float(p) for p in book["ask"]]
    assert prices == sorted(prices)
    # the reference docs' own read: bid[level][1][0] is the volume
    assert list(book["bid"].items())[0][1][0] == book["bid"][next(iter(book["bid"]))][0]


def test_callback_and_on_book_update_are_called_with_keywords() -> None:
    """The reference calls ``on_book_update(pair=..., message=...)`` and the callback the same way."""
    seen: list[tuple[str, str]] = []

    async def keyword_only(*, message: dict[str, Any], pair: str) -> None:
        seen.append((pair, message["type"]))

    class Overrides(SpotOrderBookClient):
        async def on_book_update(self, *, pair: str, message: dict[str, Any]) -> None:
            seen.append((pair, "override"))

    frames = _inputs(SCENARIOS["d10"])[:3]

    async def replay(client: SpotOrderBookClient) -> None:
        client.set_precision(PAIR, 1, 8)
        for raw in frames:
            await client.on_message(loads(raw))

    asyncio.run(replay(SpotOrderBookClient(depth=10, callback=keyword_only)))
    asyncio.run(replay(Overrides(depth=10)))
    assert seen == [(PAIR, "snapshot"), (PAIR, "update"), (PAIR, "update")] + [(PAIR, "override")] * 3


def _socket_path(client: SpotOrderBookClient) -> Any:
    """What a connection and the dispatcher do with a frame (without the queue between them)."""
    client._settle()
    decode = client._decode_frame if client._reader_applies else loads

    async def feed(raw: str) -> None:
        message = decode(raw)
        if message is FRAME_HANDLED:
            return
        out = client._preprocess(message)
        if out is None:
            return
        result = client._deliver(out)
        if result is not None:
            await result

    return feed


@pytest.mark.parametrize("depth,count", [(10, 3000), (1000, 300)])
def test_socket_frames_and_on_message_keep_the_same_books(depth: int, count: int) -> None:
    """One implementation: the socket's text path and ``on_message`` with the parsed message
    give the same book (and the same calls) after every frame."""
    calls: dict[str, list[tuple[str, Any]]] = {"socket": [], "dict": []}

    def recorder(name: str) -> Any:
        def on_update(pair: str, message: dict[str, Any]) -> None:
            calls[name].append((pair, message))
        return on_update

    socket = SpotOrderBookClient(depth=depth, callback=recorder("socket"))
    replay = SpotOrderBookClient(depth=depth, callback=recorder("dict"))
    for client in (socket, replay):
        client.set_precision(PAIR, 1, 8)
    feed = _socket_path(socket)
    with gzip.open(ROOT / "benchmarks" / "fixtures" / f"book-XBTUSD-d{depth}.ndjson.gz", "rt") as fh:
        frames = [next(fh).rstrip("\n") for _ in range(count)]

    async def run() -> None:
        for n, raw in enumerate(frames):
            await feed(raw)
            await replay.on_message(loads(raw))
            assert _view(socket.get(PAIR)) == _view(replay.get(PAIR)), f"frame {n}"
            a, b = socket.book(PAIR), replay.book(PAIR)
            assert (a.valid, a.checksum, a.timestamp) == (b.valid, b.checksum, b.timestamp)

    asyncio.run(run())
    assert calls["socket"] == calls["dict"] and len(calls["socket"]) == count
    assert socket.checksum_mismatches == replay.checksum_mismatches == 0


def test_a_book_held_by_the_caller_stays_current_like_the_reference() -> None:
    """The reference's get() returns its live book dict; so does kraken-ops (while it is held,
    it is updated after every message). A side dict once handed out never changes."""
    client = SpotOrderBookClient(depth=10)
    client.set_precision(PAIR, 1, 8)
    frames = _inputs(SCENARIOS["d10"])[:400]
    reference = SCENARIOS["d10"]["reference"]["books"]

    async def run() -> None:
        await client.on_message(loads(frames[0]))
        held = client.get(PAIR)
        first_bids = held["bid"]
        frozen = list(first_bids.items())
        for raw in frames[1:101]:
            await client.on_message(loads(raw))
        assert _view(held) == reference["100"]  # no get() since message 0
        assert list(first_bids.items()) == frozen
        assert client.get(PAIR) is held

    asyncio.run(run())


def test_kraken_ops_notices_never_reach_on_book_update() -> None:
    updates: list[Any] = []
    notices: list[Any] = []
    client = SpotOrderBookClient(depth=10, callback=lambda pair, message: updates.append(pair), notice_callback=notices.append)
    client.set_precision(PAIR, 1, 8)

    async def run() -> None:
        await client.on_message({"kraken_ops": "reconnected", "connection": "public", "reconnects": 1})
        await client.on_message({"error": "Currency pair not supported NOPE/USD", "method": "subscribe", "success": False, "symbol": "NOPE/USD"})
        await client.on_message({"channel": "heartbeat"})
        await client.on_message([1, 2])
        bad = loads(_inputs(SCENARIOS["d10"])[0])
        bad["data"][0]["checksum"] += 1
        await client.on_message(bad)

    asyncio.run(run())
    assert updates == [PAIR, PAIR]  # the snapshot, then the reference's mismatch message
    assert [n.get("kraken_ops") or n.get("error") for n in notices] == ["reconnected", "Currency pair not supported NOPE/USD", "checksum_mismatch"]
    assert notices[-1]["symbol"] == PAIR and notices[-1]["expected"] != notices[-1]["computed"]


def test_overriding_on_message_hands_every_message_to_it_and_super_keeps_the_books() -> None:
    """The reference says not to override on_message; code that does (and calls super) still
    gets books, kept in the consumer exactly as the reference keeps them."""
    seen: list[Any] = []

    class Logs(SpotOrderBookClient):
        async def on_message(self, message: Any) -> None:
            seen.append(message)
            await super().on_message(message)

    client = Logs(depth=10)
    client.set_precision(PAIR, 1, 8)
    feed = _socket_path(client)
    assert not client._reader_applies
    frames = _inputs(SCENARIOS["d10"])[:101]

    async def run() -> None:
        for raw in frames + ['{"channel":"heartbeat"}']:
            await feed(raw)

    asyncio.run(run())
    assert len(seen) == 102 and seen[-1] == {"channel": "heartbeat"}
    assert _view(client.get(PAIR)) == SCENARIOS["d10"]["reference"]["books"]["100"]


def test_on_message_looks_up_precisions_like_the_reference(exchange: Any) -> None:
    """A snapshot of a pair nobody gave precisions for: AssetPairs at rest_url first (the
    reference asks Kraken's AssetPairs the same way), then the book is kept."""
    client = SpotOrderBookClient(depth=10, rest_url=exchange.url)
    frames = _inputs(SCENARIOS["d10"])[:50]

    async def run() -> None:
        for raw in frames:
            await client.on_message(loads(raw))

    asyncio.run(run())
    assert client._precisions[PAIR] == (1, 8)
    assert client.get(PAIR)["valid"] is True


def test_held_side_dicts_are_never_modified_in_place() -> None:
    """Copy on write: a side dict handed out by get() keeps its content while the book moves,
    also across qty changes and removals that the book applies to its own dict in place."""
    client = SpotOrderBookClient(depth=10)
    client.set_precision(PAIR, 1, 8)
    frames = _inputs(SCENARIOS["d10"])[:600]
    held: list[tuple[dict[str, Any], list[Any]]] = []

    async def run() -> None:
        for n, raw in enumerate(frames):
            await client.on_message(loads(raw))
            if n % 7 == 0:
                book = client.get(PAIR)
                held.append((book["bid"], list(book["bid"].items())))
                held.append((book["ask"], list(book["ask"].items())))

    asyncio.run(run())
    assert all(list(side.items()) == items for side, items in held)
    first, again = client.get(PAIR), client.get(PAIR)  # nothing changed in between: the same dicts
    assert again is first and again["bid"] is first["bid"] and again["ask"] is first["ask"]


# --- a program written against the reference docs' order book example's contract -------------------
# The reference docs' "Maintain a valid Spot Orderbook" example itself runs unchanged (only
# ``kraken.`` -> ``kraken_ops.``) in benchmarks/fidelity/fidelity_sdk_doc_examples.py (from the
# docs or a checkout of the reference's examples/, never stored here: no copied code). This test
# is our own program using every part of the contract that example relies on: a subclass that
# overrides ``async on_book_update(self, pair, message)``, ``self.get(pair=...)`` read as
# ``book["bid"].items()`` with ``bid[level][1][0]`` the volume, ``book["valid"]``, ``self.depth``,
# ``exception_occur``, ``async with`` and ``add_book(pairs=[...])`` with the class-level URLs.
PROGRAM = """
import asyncio
from kraken.spot import SpotOrderBookClient

class Printer(SpotOrderBookClient):
    async def on_book_update(self, pair, message):
        book = self.get(pair=pair)
        bids, asks = list(book["bid"].items()), list(book["ask"].items())
        print("BOOK")
        for level in range(self.depth):
            print(f"{bids[level][0]} ({bids[level][1][0]}) | {asks[level][0]} ({asks[level][1][0]})")
        assert book["valid"]

async def main():
    async with Printer(depth=10) as client:
        await client.add_book(pairs=["BTC/USD"])
        while not client.exception_occur:
            await asyncio.sleep(10)
"""


def test_a_program_written_for_the_reference_order_book_contract_runs_with_the_import_changed(
        exchange: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Only ``kraken.`` becomes ``kraken_ops.``; the base URL is the local exchange's (set on the
    class, as such a program passes no URL). It prints the top ten levels after every update and
    asserts ``book["valid"]``."""
    source = PROGRAM.replace("kraken.", "kraken_ops.")
    monkeypatch.setattr(SpotOrderBookClient, "WS_URL", exchange.ws_spot_public)
    monkeypatch.setattr(SpotOrderBookClient, "REST_URL", exchange.url)
    namespace: dict[str, Any] = {"__name__": "orderbook_program"}
    out = io.StringIO()
    caplog.set_level(logging.INFO)
    exec(compile(source, "orderbook_program.py", "exec"), namespace)  # noqa: S102 - the program under test

    async def run() -> None:
        task = asyncio.ensure_future(namespace["main"]())
        try:
            for _ in range(300):
                await asyncio.sleep(0.05)
                if out.getvalue().count("BOOK") >= 5 or task.done():
                    break
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    with contextlib.redirect_stdout(out):
        asyncio.run(run())
    tables = out.getvalue().split("BOOK\n")[1:]
    assert len(tables) >= 5, out.getvalue()[-2000:]
    for table in tables[:5]:
        rows = table.strip("\n").splitlines()[:10]
        assert len(rows) == 10
        for row in rows:
            assert re.fullmatch(r"[0-9]+\.[0-9] \([0-9]+\.[0-9]{8}\) \| [0-9]+\.[0-9] \([0-9]+\.[0-9]{8}\)", row), row
    assert "message handler raised" not in caplog.text  # no failed assert book["valid"], no TypeError


def test_checksum_mismatch_against_the_exchange_resubscribes_and_tells_on_book_update(exchange_factory: Any) -> None:
    server = exchange_factory(faults=["bad-checksum=0.3"])
    events: list[tuple[str, Any]] = []

    async def run() -> None:
        done = asyncio.Event()

        def on_update(pair: str, message: dict[str, Any]) -> None:
            events.append((pair, message.get("error") or message.get("type")))
            book = client.get(pair)
            if any(e[1] and str(e[1]).startswith("Checksum mismatch") for e in events) and book and book["valid"]:
                done.set()

        client = SpotOrderBookClient(depth=10, callback=on_update, rest_url=server.url, ws_url=server.ws_spot_public, **FAST)
        async with client:
            await client.add_book(pairs=[PAIR])
            await asyncio.wait_for(done.wait(), 20)
        assert client.checksum_mismatches >= 1

    asyncio.run(run())
    error = f"Checksum mismatch - resubscribing to the orderbook for {PAIR}"
    at = next(i for i, e in enumerate(events) if e[1] == error)
    assert events[at - 1][0] == PAIR and events[at - 1][1] in ("snapshot", "update")  # the message first, as in the reference
    assert any(e[1] == "snapshot" for e in events[at:])  # the fresh snapshot after the resubscription


def test_golden_file_snapshot_has_the_documented_checksum() -> None:
    """The mismatch scenario's fresh snapshot (written by the generator) carries Kraken's checksum."""
    frames = SCENARIOS["mismatch"]["frames"]
    snapshot = loads(frames[22])
    assert snapshot["type"] == "snapshot"
    item = snapshot["data"][0]
    asks = [(lv["price"], lv["qty"]) for lv in item["asks"]]
    bids = [(lv["price"], lv["qty"]) for lv in item["bids"]]
    assert book_checksum(asks, bids, 1, 8) == item["checksum"]
    assert OrderBook(10, 1, 8).apply(snapshot)


def test_a_book_subscribed_without_add_book_is_kept_too(exchange: Any) -> None:
    """``subscribe(params={"channel": "book", ...})`` directly (the reference keeps such books
    too): the first snapshot comes before the pair's precisions are known, so the client looks
    them up and resubscribes the pair for a snapshot it can apply."""
    seen: list[str] = []

    async def run() -> None:
        client = SpotOrderBookClient(depth=10, callback=lambda pair, message: seen.append(message.get("type")),
                                     rest_url=exchange.url, ws_url=exchange.ws_spot_public, **FAST)
        async with client:
            await client.subscribe(params={"channel": "book", "symbol": [PAIR], "depth": 10})
            for _ in range(400):
                book = client.get(PAIR)
                if book is not None and book["valid"] and "update" in seen:
                    break
                await asyncio.sleep(0.025)
            assert client.get(PAIR)["valid"] is True and client._precisions[PAIR] == (1, 8)

    asyncio.run(run())
    assert seen[0] == "snapshot"  # the first snapshot (unknown precisions) was not handed on
