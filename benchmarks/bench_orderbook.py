"""Order book maintenance benchmark: kraken-ops vs python-kraken-sdk 3.5.1 (one command, ratios printed).

    python benchmarks/bench_orderbook.py [--sdk-python /tmp/refvenv/bin/python] [--depths 10,1000] [--repeat 3]
                                         [--configs quiet,noop] [--kraken-ops-root PATH]

Input: the recorded BTC/USD streams in ``benchmarks/fixtures/book-XBTUSD-d{10,1000}.ndjson.gz``
(one snapshot and 50,000 updates each, recorded from the local exchange by
``benchmarks/record_book_stream.py``; every checksum in them is Kraken's rule of
kraken-protocol.md §4.6). The frames are decompressed into memory before timing; JSON
parsing is always part of what is timed.

Two configurations, each run the same way on both sides:

* ``quiet``: nobody reads the book messages (the book is read with ``get(pair)`` when
  needed). kraken-ops: ``SpotOrderBookClient(depth)`` without ``callback``; its connection
  decoder (``_frame_decoder()``: ``_apply_frame``) applies a book frame straight from its
  text and hands nothing on. python-kraken-sdk: it has no such mode (its default
  ``on_book_update`` prints every message), so its cheapest equivalent is timed:
  ``on_book_update`` replaced by a no-op. Its default (printing, to /dev/null) is timed too
  as ``sdk-default``, for information.
* ``noop``: a no-op async user callback on both (``callback=``). kraken-ops:
  ``_decode_frame`` + ``_preprocess`` (book applied, the Decimal message built) +
  ``on_message`` -> ``on_book_update`` -> callback. python-kraken-sdk: ``json.loads`` +
  ``on_message`` (book applied, checksum verified) -> ``on_book_update`` -> callback.

kraken-ops' frame path is what its connection does (``decode``, then, unless the decoder
returned ``FRAME_HANDLED``, ``_preprocess`` and ``on_message``; the dispatcher queue between
them is left out, as it is on the SDK side). The socket-free ``OrderBook.apply`` on
messages parsed by ``loads`` is timed too. The SDK runs in a separate interpreter with
python-kraken-sdk 3.5.1 (scratch venv, never a kraken-ops dependency:
``python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install python-kraken-sdk==3.5.1``);
its resubscription (socket) is stubbed out and counts the invalid checksums.
``--kraken-ops-root`` times another checkout (e.g. a ``git worktree`` of an older commit).

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

# Runs in either interpreter: ``setup(depth)`` returns ``handle(raw)`` and a ``state`` dict
# whose "invalid" (an int, or a function returning one) counts bad checksums. ``handle`` does
# a client's synchronous per-frame work and returns what its reader would await next (a
# coroutine), or None when nothing is awaited for that frame.
COMMON = r"""
import asyncio, gc, gzip, json, os, sys, time, tracemalloc

def run(setup, path, depth, repeat):
    frames = gzip.open(path, "rt").read().splitlines()
    out = {"frames": len(frames)}
    tenth = len(frames) // 10

    def invalid(state):
        value = state["invalid"]
        return value() if callable(value) else value

    async def main():
        best = None
        for _ in range(repeat):
            handle, state = setup(depth)
            gc.collect()
            start = time.perf_counter()
            for raw in frames:
                pending = handle(raw)
                if pending is not None:
                    await pending
            elapsed = time.perf_counter() - start
            if best is None or elapsed < best:
                best = elapsed
            out["invalid"] = invalid(state)
        out["seconds"] = best
        out["per_s"] = len(frames) / best
        handle, state = setup(depth)
        gc.collect()
        tracemalloc.start()
        for n, raw in enumerate(frames, 1):
            pending = handle(raw)
            if pending is not None:
                await pending
            if n == tenth:
                out["kib_at_10pct"] = tracemalloc.get_traced_memory()[0] / 1024
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["kib_at_end"] = current / 1024
        out["peak_kib"] = peak / 1024

    asyncio.run(main())
    return out
"""

OURS = COMMON + r"""
sys.path.insert(0, sys.argv[4])
from kraken_ops._core.ws import loads
from kraken_ops.spot.orderbook import OrderBook, SpotOrderBookClient
try:
    from kraken_ops._core.ws import FRAME_HANDLED
except ImportError:  # an older checkout (--kraken-ops-root)
    FRAME_HANDLED = object()
kind = sys.argv[1]

def setup_client(depth):
    state = {}
    callback = None
    if kind == "client-noop":
        async def callback(pair, message):
            pass
    client = SpotOrderBookClient(depth=depth, callback=callback)
    client._books["BTC/USD"] = OrderBook(depth, 1, 8)
    client._spawn = lambda coro: coro.close()   # resubscription needs a socket
    state["invalid"] = lambda: client.checksum_mismatches
    # what the connection does with each frame (kraken_ops._core.ws.ReconnectingWebSocket._run)
    decode = client._frame_decoder() if hasattr(client, "_frame_decoder") else client._decode_frame
    pre, on_message = client._preprocess, client.on_message
    def handle(raw):  # the reader's work; on_message is awaited (by the dispatcher)
        message = decode(raw)
        if message is FRAME_HANDLED:
            return None
        out = pre(message)
        return None if out is None else on_message(out)
    return handle, state

def setup_book(depth):
    state = {"invalid": 0}
    book = OrderBook(depth, 1, 8)
    apply = book.apply
    def handle(raw):
        if not apply(loads(raw)):
            state["invalid"] += 1
    return handle, state

path, depth, repeat = sys.argv[2], int(sys.argv[3]), int(sys.argv[5])
print(json.dumps(run(setup_book if kind == "book" else setup_client, path, depth, repeat)))
"""

SDK = COMMON + r"""
from kraken.spot import SpotOrderBookClient
kind = sys.argv[4]

def setup(depth):
    state = {"invalid": 0}
    async def noop(pair, message):
        pass
    client = SpotOrderBookClient(depth=depth, callback=noop if kind == "noop" else None)
    client._SpotOrderBookClient__book["BTC/USD"] = {"bid": {}, "ask": {}, "valid": True, "price_decimals": 1, "qty_decimals": 8}
    if kind == "quiet":  # its default on_book_update prints every message
        client.on_book_update = noop
    async def no_socket(*args, **kwargs):  # its resubscription needs a live connection
        state["invalid"] += 1
    client.remove_book = no_socket
    async def no_add(*args, **kwargs):
        return None
    client.add_book = no_add
    on_message, loads = client.on_message, json.loads
    def handle(raw):  # its reader awaits on_message for every frame
        return on_message(loads(raw))
    return handle, state

path, depth, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stdout = sys.stdout
if kind == "default":
    sys.stdout = open(os.devnull, "w")
result = run(setup, path, depth, repeat)
sys.stdout = stdout
print(json.dumps(result))
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
    return (f"  {name:<34}{r['per_s']:>11,.0f} msg/s  {r['seconds']:6.2f} s  {r['invalid']:>3} invalid  "
            f"peak {r['peak_kib']:>7,.0f} KiB  (after 10%: {r['kib_at_10pct']:,.0f} KiB, at end: {r['kib_at_end']:,.0f} KiB)")


CONFIGS = {
    "quiet": ("no user callback (books read with get())", "client-quiet", "quiet"),
    "noop": ("no-op async user callback on both", "client-noop", "noop"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdk-python", default="/tmp/refvenv/bin/python", help="interpreter with python-kraken-sdk==3.5.1")
    parser.add_argument("--depths", default="10,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--configs", default="quiet,noop", help="quiet (no user callback) and/or noop (no-op callback)")
    parser.add_argument("--sdk-default", action="store_true", help="also time the SDK's default on_book_update (prints every message)")
    parser.add_argument("--kraken-ops-root", default=str(ROOT), help="the kraken-ops checkout to time")
    args = parser.parse_args()
    have_sdk = Path(args.sdk_python).exists()
    ours = lambda kind, path, depth: _run([sys.executable, "-c", OURS, kind, str(path), str(depth), args.kraken_ops_root, str(args.repeat)])  # noqa: E731
    sdk = lambda kind, path, depth: _run([args.sdk_python, "-c", SDK, str(path), str(depth), str(args.repeat), kind])  # noqa: E731
    for depth in (int(d) for d in args.depths.split(",")):
        path = fixture(depth)
        with gzip.open(path, "rt") as fh:
            frames = sum(1 for _ in fh)
        print(f"depth {depth}: {path.name}, 1 snapshot + {frames - 1:,} updates (JSON text in: parse + apply + checksum [+ callback])")
        book = ours("book", path, depth)
        if book:
            print(_line("kraken-ops OrderBook.apply(loads())", book))
        for config in args.configs.split(","):
            title, our_kind, sdk_kind = CONFIGS[config]
            print(f" {config}: {title}")
            client = ours(our_kind, path, depth)
            if client:
                print(_line("kraken-ops SpotOrderBookClient", client))
            if not have_sdk:
                print("  (python-kraken-sdk not found; see the module docstring for the scratch venv)")
                continue
            theirs = sdk(sdk_kind, path, depth)
            if theirs:
                print(_line("python-kraken-sdk 3.5.1", theirs))
            if theirs and client:
                print(f"  ratio                             {client['per_s'] / theirs['per_s']:>10.1f}x")
            if config == "quiet" and args.sdk_default:
                default = sdk("default", path, depth)
                if default:
                    print(_line("python-kraken-sdk default (prints)", default))


if __name__ == "__main__":
    main()
