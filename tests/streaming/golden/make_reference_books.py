"""Writes reference_books.json.gz: what python-kraken-sdk 3.5.1's SpotOrderBookClient does with
recorded book messages, for tests/streaming/test_orderbook_reference.py.

Run it with an interpreter that has python-kraken-sdk 3.5.1 (a scratch venv, never a
kraken-ops dependency)::

    python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install python-kraken-sdk==3.5.1
    /tmp/refvenv/bin/python tests/streaming/golden/make_reference_books.py

Each scenario is a list of v2 messages given to the reference's ``on_message`` (parsed with
``json.loads``, as its connection does). Recorded per scenario: after each checkpoint
message, ``get("BTC/USD")`` with its items in order (or None); every ``on_book_update`` call
(the pair, and the message's ``type`` or its ``error`` text); and the Python types the
reference uses. The reference's network calls are replaced: AssetPairs answers price
decimals 1 and lot decimals 8 (the fixtures' pair), and its resubscription after a
checksum mismatch (``remove_book``, a 3 s sleep, ``add_book``) does nothing.

Scenarios (inputs are stored in the file, except the recorded fixtures, named by path):

* ``d10``: the first 2,000 frames of benchmarks/fixtures/book-XBTUSD-d10.ndjson.gz.
* ``d1000``: the first 150 frames of benchmarks/fixtures/book-XBTUSD-d1000.ndjson.gz.
* ``mismatch``: 40 frames of the depth-10 fixture in which frame 20 carries a wrong
  checksum; then the subscription acknowledgement and a fresh snapshot of the true book
  (as Kraken sends after the resubscription), then the fixture's frames 21 to 40.
* ``before-snapshot``: an update of a pair before its snapshot, a message without a
  checksum, and messages of other channels.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sys
from decimal import Decimal
from pathlib import Path

import kraken.spot.orderbook as reference_module
from kraken.spot import SpotOrderBookClient

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).with_name("reference_books.json.gz")
PAIR = "BTC/USD"


def fixture(depth: int, count: int) -> list[str]:
    with gzip.open(ROOT / "benchmarks" / "fixtures" / f"book-XBTUSD-d{depth}.ndjson.gz", "rt") as fh:
        return [next(fh).rstrip("\n") for _ in range(count)]


def view(book: dict | None) -> dict | None:
    if book is None:
        return None
    return {
        "bid": [[price, list(value)] for price, value in book["bid"].items()],
        "ask": [[price, list(value)] for price, value in book["ask"].items()],
        "valid": book["valid"],
        "price_decimals": book["price_decimals"],
        "qty_decimals": book["qty_decimals"],
    }


def types(book: dict) -> dict:
    price, value = next(iter(book["bid"].items()))
    return {"book": type(book).__name__, "side": type(book["bid"]).__name__, "price": type(price).__name__,
            "value": type(value).__name__, "volume": type(value[0]).__name__,
            "timestamps": sorted({type(v[1]).__name__ for side in ("bid", "ask") for v in book[side].values()})}


async def replay(frames: list[str], checkpoints: set[int], depth: int) -> dict:
    calls: list[list] = []

    def on_update(pair: str, message: dict) -> None:
        calls.append([pair, message.get("type") or message.get("error")])

    client = SpotOrderBookClient(depth=depth, callback=on_update)
    client._SpotOrderBookClient__market.get_asset_pairs = lambda pair: {pair: {"pair_decimals": 1, "lot_decimals": 8}}

    async def nothing(*args: object, **kwargs: object) -> None:
        return None

    client.remove_book = nothing
    client.add_book = nothing
    reference_module.asyncio_sleep = nothing
    books = {}
    seen_types: dict = {}
    for n, raw in enumerate(frames):
        await client.on_message(json.loads(raw))
        book = client.get(PAIR)
        if n in checkpoints:
            books[str(n)] = view(book)
        if book and book["bid"]:
            now = types(book)
            now["timestamps"] = sorted(set(now["timestamps"]) | set(seen_types.get("timestamps", [])))
            seen_types = now
    return {"books": books, "calls": calls, "types": seen_types}


def true_snapshot(frames: list[str]) -> str:
    """A snapshot of the book after ``frames`` (applied by a plain model), with Kraken's checksum."""
    sys.path.insert(0, str(ROOT))
    from kraken_ops._core.ws import dumps  # Decimals written as the JSON numbers they are
    from kraken_ops.spot.orderbook import book_checksum  # the documented rule, written independently

    sides: dict[str, dict[Decimal, Decimal]] = {"bids": {}, "asks": {}}
    for raw in frames:
        item = json.loads(raw, parse_float=Decimal)["data"][0]
        for side in ("bids", "asks"):
            for level in item[side]:
                if level["qty"]:
                    sides[side][level["price"]] = level["qty"]
                else:
                    sides[side].pop(level["price"], None)
            sides[side] = dict(sorted(sides[side].items(), reverse=side == "bids")[:10])
    checksum = book_checksum(sides["asks"].items(), sides["bids"].items(), 1, 8)
    item = {"symbol": PAIR, "bids": [{"price": p, "qty": q} for p, q in sides["bids"].items()],
            "asks": [{"price": p, "qty": q} for p, q in sides["asks"].items()], "checksum": checksum}
    return dumps({"channel": "book", "type": "snapshot", "data": [item]})


def main() -> None:
    scenarios = []
    d10 = fixture(10, 2000)
    scenarios.append({"name": "d10", "depth": 10, "fixture": "benchmarks/fixtures/book-XBTUSD-d10.ndjson.gz", "count": 2000,
                      "checkpoints": [0, 1, 2, 3, 5, 10, 50, 100, 500, 1000, 1999]})
    scenarios.append({"name": "d1000", "depth": 1000, "fixture": "benchmarks/fixtures/book-XBTUSD-d1000.ndjson.gz", "count": 150,
                      "checkpoints": [0, 1, 2, 149]})
    bad = json.loads(d10[20])
    bad["data"][0]["checksum"] = (bad["data"][0]["checksum"] + 1) % 2**32
    ack = {"method": "subscribe", "result": {"channel": "book", "depth": 10, "snapshot": True, "symbol": PAIR}, "success": True,
           "time_in": "2026-01-01T00:00:01.000000Z", "time_out": "2026-01-01T00:00:01.000100Z"}
    frames = d10[:20] + [json.dumps(bad, separators=(",", ":")), json.dumps(ack, separators=(",", ":")), true_snapshot(d10[:21])] + d10[21:41]
    scenarios.append({"name": "mismatch", "depth": 10, "frames": frames, "checkpoints": list(range(len(frames)))})
    update = json.loads(d10[1])
    no_checksum = json.loads(d10[2])
    del no_checksum["data"][0]["checksum"]
    frames = [json.dumps(update), json.dumps({"channel": "heartbeat"}), json.dumps({"channel": "status", "type": "update", "data": [{"system": "online"}]}),
              d10[0], json.dumps(no_checksum), d10[1]]
    scenarios.append({"name": "before-snapshot", "depth": 10, "frames": frames, "checkpoints": list(range(len(frames)))})
    for scenario in scenarios:
        inputs = scenario.get("frames") or fixture(scenario["depth"], scenario["count"])
        scenario["reference"] = asyncio.run(replay(inputs, set(scenario["checkpoints"]), scenario["depth"]))
    meta = {"made_by": "tests/streaming/golden/make_reference_books.py", "python_kraken_sdk": "3.5.1", "python": sys.version.split()[0]}
    with gzip.open(OUT, "wt") as fh:
        json.dump({"meta": meta, "scenarios": scenarios}, fh, separators=(",", ":"))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
