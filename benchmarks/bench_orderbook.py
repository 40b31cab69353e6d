"""Order book maintenance benchmark: kraken-ops vs python-kraken-sdk 3.5.1 (one command, ratios printed).

    python benchmarks/bench_orderbook.py [--sdk-python /tmp/refvenv/bin/python] [--depths 10,1000] [--repeat 3]

Input: the recorded BTC/USD streams in ``benchmarks/fixtures/book-XBTUSD-d{10,1000}.ndjson.gz``
(one snapshot and 50,000 updates each, recorded from the local exchange by
``benchmarks/record_book_stream.py``; every checksum in them is Kraken's rule of
kraken-protocol.md §4.6). The frames are decompressed into memory before timing.

Both sides do what their client does for every frame it receives, without a socket:

* kraken-ops: what its connection does with each frame: ``SpotOrderBookClient._decode_frame``
  (a book frame in Kraken's exact form is matched as text; anything else goes to
  ``kraken_ops._core.ws.loads``, numbers as Decimal), ``SpotOrderBookClient._preprocess``
  (applies the levels to the pair's ``OrderBook``, verifies the checksum and builds the
  message with Decimal prices and quantities that ``loads`` would have given), then
  ``on_message`` -> ``on_book_update`` (an async callback that reads ``book.valid``).
  The socket-free ``OrderBook.apply`` on messages parsed by ``loads`` is timed too.
* python-kraken-sdk: ``json.loads`` and ``SpotOrderBookClient.on_message`` (applies the
  levels and verifies the checksum) -> ``on_book_update`` reading ``get(pair)["valid"]``;
  its resubscription (socket) is stubbed out. It runs in a separate interpreter with
  python-kraken-sdk 3.5.1 (a scratch venv, never a kraken-ops dependency:
  ``python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install python-kraken-sdk==3.5.1``).

Timing: best of ``--repeat`` passes (``time.perf_counter``). Memory: a separate pass under
``tracemalloc`` reports the peak allocated while replaying (the frames themselves are
loaded before tracing starts) and the traced size after 10 % and after 100 % of the
frames - "flat" means the two are about the same.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "benchmarks" / "fixtures"
PAIR, PD, QD = "BTC/USD", 1, 8

# Runs in either interpreter: ``setup(frames, depth)`` returns an async ``handle(raw)``
# and a ``state`` dict with the invalid count.
COMMON = r"""
import asyncio, gc, gzip, json, sys, time, tracemalloc

def run(setup, path, depth, repeat, preparsed=False):
    frames = gzip.open(path, "rt").read().splitlines()
    if preparsed:  # time the book maintenance alone: frames parsed (with the side's own parser) beforehand
        frames = [PARSE(raw) for raw in frames]
    out = {"frames": len(frames)}
    tenth = len(frames) // 10

    async def main():
        best = None
        for _ in range(repeat):
            handle, state, parse = setup(depth)
            if not preparsed:
                handle = _parsing(handle, parse)
            gc.collect()
            start = time.perf_counter()
            for raw in frames:
                await handle(raw)
            elapsed = time.perf_counter() - start
            if best is None or elapsed < best:
                best = elapsed
            out["invalid"] = state["invalid"]
        out["seconds"] = best
        out["per_s"] = len(frames) / best
        handle, state, parse = setup(depth)
        if not preparsed:
            handle = _parsing(handle, parse)
        gc.collect()
        tracemalloc.start()
        for n, raw in enumerate(frames, 1):
            await handle(raw)
            if n == tenth:
                out["kib_at_10pct"] = tracemalloc.get_traced_memory()[0] / 1024
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["kib_at_end"] = current / 1024
        out["peak_kib"] = peak / 1024

    asyncio.run(main())
    return out

def _parsing(handle, parse):
    async def both(raw):
        await handle(parse(raw))
    return both
"""

OURS = COMMON + r"""
sys.path.insert(0, sys.argv[4])
from kraken_ops._core.ws import loads
from kraken_ops.spot.orderbook import OrderBook, SpotOrderBookClient
kind = sys.argv[1]
PARSE = SpotOrderBookClient._decode_frame if kind.startswith("client") else loads

def setup_client(depth):
    state = {"invalid": 0}
    async def on_update(pair, message):
        if not client._books[pair].valid:
            state["invalid"] += 1
    client = SpotOrderBookClient(depth=depth, callback=on_update)
    client._books["BTC/USD"] = OrderBook(depth, 1, 8)
    client._spawn = lambda coro: coro.close()   # resubscription needs a socket
    pre, on_message = client._preprocess, client.on_message
    async def handle(message):
        await on_message(pre(message))
    return handle, state, client._decode_frame

def setup_book(depth):
    state = {"invalid": 0}
    book = OrderBook(depth, 1, 8)
    apply = book.apply
    async def handle(message):
        if not apply(message):
            state["invalid"] += 1
    return handle, state, loads

path, depth, repeat = sys.argv[2], int(sys.argv[3]), int(sys.argv[5])
print(json.dumps(run(setup_client if kind.startswith("client") else setup_book, path, depth, repeat, kind.endswith("-preparsed"))))
"""

SDK = COMMON + r"""
from kraken.spot import SpotOrderBookClient
PARSE = json.loads

def setup(depth):
    state = {"invalid": 0}
    client = SpotOrderBookClient(depth=depth)
    client._SpotOrderBookClient__book["BTC/USD"] = {"bid": {}, "ask": {}, "valid": True, "price_decimals": 1, "qty_decimals": 8}
    async def on_book_update(pair, message):
        if not client.get(pair)["valid"]:
            state["invalid"] += 1
    client.on_book_update = on_book_update
    async def no_socket(*args, **kwargs):  # its resubscription needs a live connection
        return None
    client.remove_book = no_socket
    client.add_book = no_socket
    on_message = client.on_message
    async def handle(message):
        await on_message(message)
    return handle, state, json.loads

path, depth, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print(json.dumps(run(setup, path, depth, repeat, len(sys.argv) > 4 and sys.argv[4] == "preparsed")))
"""


def _run(cmd: list[str]) -> dict[str, float] | None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=7200)
    if proc.returncode != 0:
        print(f"  run failed: {proc.stderr.strip()[-800:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fixture(depth: int) -> Path:
    path = FIXTURES / f"book-XBTUSD-d{depth}.ndjson.gz"
    if not path.exists():
        sys.exit(f"{path} is missing: python benchmarks/record_book_stream.py --depth {depth} --out {path}")
    return path


def _line(name: str, r: dict[str, float]) -> str:
    return (f"  {name:<26}{r['per_s']:>11,.0f} msg/s  {r['seconds']:6.2f} s  {r['invalid']:>3} invalid  "
            f"peak {r['peak_kib']:>7,.0f} KiB  (after 10%: {r['kib_at_10pct']:,.0f} KiB, at end: {r['kib_at_end']:,.0f} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdk-python", default="/tmp/refvenv/bin/python", help="interpreter with python-kraken-sdk==3.5.1")
    parser.add_argument("--depths", default="10,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default="text,preparsed", help="text (JSON parsing included) and/or preparsed")
    args = parser.parse_args()
    have_sdk = Path(args.sdk_python).exists()
    for depth in (int(d) for d in args.depths.split(",")):
        path = fixture(depth)
        with gzip.open(path, "rt") as fh:
            frames = sum(1 for _ in fh)
        print(f"depth {depth}: {path.name}, 1 snapshot + {frames - 1:,} updates")
        for title, suffix in (("JSON text in (parse + apply + checksum + callback)", ""),
                              ("messages pre-parsed (apply + checksum + callback only)", "-preparsed")):
            if (suffix or "-text")[1:] not in args.modes.split(","):
                continue
            print(f" {title}")
            client = _run([sys.executable, "-c", OURS, "client" + suffix, str(path), str(depth), str(ROOT), str(args.repeat)])
            book = _run([sys.executable, "-c", OURS, "book" + suffix, str(path), str(depth), str(ROOT), str(args.repeat)])
            if client:
                print(_line("kraken-ops client handler", client))
            if book:
                print(_line("kraken-ops OrderBook.apply", book))
            if not have_sdk:
                print("  (python-kraken-sdk not found; see the module docstring for the scratch venv)")
                continue
            sdk = _run([args.sdk_python, "-c", SDK, str(path), str(depth), str(args.repeat), "preparsed" if suffix else "text"])
            if sdk and client and book:
                print(_line("python-kraken-sdk 3.5.1", sdk))
                print(f"  ratio (client handler)    {client['per_s'] / sdk['per_s']:>10.1f}x")
                print(f"  ratio (OrderBook.apply)   {book['per_s'] / sdk['per_s']:>10.1f}x")


if __name__ == "__main__":
    main()
