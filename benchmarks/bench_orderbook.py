"""Order book maintenance benchmark: kraken-ops vs python-kraken-sdk 3.5.1 (one command, ratios printed).

    python benchmarks/bench_orderbook.py [--sdk-python /tmp/refvenv/bin/python] [--depths 10,1000] [--repeat 3]
                                         [--configs quiet,noop,get] [--frames N] [--no-memory] [--kraken-ops-root PATH]

Input: the recorded BTC/USD streams in ``benchmarks/fixtures/book-XBTUSD-d{10,1000}.ndjson.gz``
(one snapshot and 50,000 updates each, recorded from the local exchange by
``benchmarks/record_book_stream.py``; every checksum in them is Kraken's rule of
kraken-protocol.md §4.6). The frames are decompressed into memory before timing; JSON
parsing is always part of what is timed. ``--frames N`` replays only the first N.

Three configurations, each run the same way on both sides:

* ``quiet``: nobody reads the book messages (the book is read with ``get(pair)`` when
  needed). kraken-ops: ``SpotOrderBookClient(depth)`` without ``callback``; its connection
  decoder (``_decode_frame``) applies a book frame straight from its text and hands
  nothing on. python-kraken-sdk: it has no such mode (its default ``on_book_update``
  prints every message), so its cheapest equivalent is timed: ``on_book_update`` replaced
  by a no-op. Its default (printing, to /dev/null) is timed too with ``--sdk-default``.
* ``noop``: a no-op async user callback on both (``callback=``): every frame becomes a
  message handed to the callback (kraken-ops: with Decimals, equal to what ``loads`` gives).
* ``get``: an async user callback that calls ``get(pair)`` on every update and reads what a
  strategy reads: ``book["valid"]`` and the first item of ``book["bid"]`` and
  ``book["ask"]`` (both sides' dicts are built by then). The reference's ``get`` returns
  its internal dict; kraken-ops' builds the reference's shape from its own book.

kraken-ops' frame path is what its connection and dispatcher do (``_decode_frame``, then,
unless it returned ``FRAME_HANDLED``, ``_on_frame`` (``_preprocess`` for frames not applied
from their text) and ``_deliver``; the dispatcher queue
between reader and consumer is left out, as it is on the SDK side, whose reader awaits
``on_message`` for every frame: ``json.loads`` + ``on_message`` -> ``on_book_update`` ->
callback). The socket-free ``OrderBook.apply`` on messages parsed by ``loads`` is timed
too. The SDK runs in a separate interpreter with python-kraken-sdk 3.5.1 (scratch venv,
never a kraken-ops dependency: ``python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip
install python-kraken-sdk==3.5.1``); its AssetPairs lookup answers from memory (price
decimals 1, lot decimals 8) and its resubscription (socket) is stubbed out and counts the
invalid checksums. ``--kraken-ops-root`` times another checkout that has this client API.

kraken-ops' client uses the optional C module ``kraken_ops.spot._bookscan`` when it was built
(``pip install`` with a C compiler); the first line says whether it did. Run with
``KRAKEN_OPS_NO_EXTENSIONS=1`` to time the pure-Python twins.

Timing: best of ``--repeat`` passes, as process CPU time (``time.process_time``: what the
replay costs, robust against other processes on a shared machine; the ratio is taken from
it) and wall time (``time.perf_counter``). Memory (unless ``--no-memory``): a separate pass
under ``tracemalloc`` reports the peak allocated while replaying (the frames themselves are
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

def run(setup, path, depth, repeat, limit=0, memory=True):
    frames = gzip.open(path, "rt").read().splitlines()
    if limit:
        frames = frames[:limit]
    out = {"frames": len(frames)}
    tenth = len(frames) // 10

    def invalid(state):
        value = state["invalid"]
        return value() if callable(value) else value

    async def main():
        best = best_cpu = None
        for _ in range(repeat):
            handle, state = setup(depth)
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            for raw in frames:
                pending = handle(raw)
                if pending is not None:
                    await pending
            elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            if best is None or elapsed < best:
                best = elapsed
            if best_cpu is None or cpu < best_cpu:
                best_cpu = cpu
            out["invalid"] = invalid(state)
        out["seconds"] = best
        out["per_s"] = len(frames) / best
        out["cpu_seconds"] = best_cpu
        out["cpu_per_s"] = len(frames) / best_cpu if best_cpu else float("nan")
        if not memory:
            return
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
from kraken_ops._core.ws import FRAME_HANDLED, loads
from kraken_ops.spot.orderbook import OrderBook, SpotOrderBookClient
kind = sys.argv[1]

def setup_client(depth):
    state = {}
    callback = None
    if kind == "client-noop":
        async def callback(pair, message):
            pass
    elif kind == "client-get":
        async def callback(pair, message):  # what a strategy reads: validity and the top of the book
            book = client.get(pair)
            book["valid"]
            next(iter(book["bid"].items()))
            next(iter(book["ask"].items()))
    client = SpotOrderBookClient(depth=depth, callback=callback)
    client.set_precision("BTC/USD", 1, 8)
    client._settle()  # what start() does when it makes the connections
    state["invalid"] = lambda: client.checksum_mismatches
    # what a connection and the dispatcher do with each frame (kraken_ops._core.ws)
    decode, pre, deliver = client._decode_frame, client._preprocess, client._deliver
    def handle(raw):  # the reader's work (decode, _on_frame); what deliver returns is awaited (by the dispatcher)
        message = decode(raw)
        if message is FRAME_HANDLED:
            return None
        if type(message) is tuple:  # a book frame applied from its text: _on_frame queues it as it is
            return deliver(message)
        out = pre(message)
        return None if out is None else deliver(out)
    return handle, state

def setup_book(depth):
    state = {"invalid": 0}
    book = OrderBook(depth, 1, 8)
    apply = book.apply
    def handle(raw):
        if not apply(loads(raw)):
            state["invalid"] += 1
    return handle, state

from kraken_ops.spot import orderbook as _orderbook
path, depth, repeat, limit, memory = sys.argv[2], int(sys.argv[3]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == "1"
result = run(setup_book if kind == "book" else setup_client, path, depth, repeat, limit, memory)
result["c_helpers"] = getattr(_orderbook, "_apply_one", None) is not None
print(json.dumps(result))
"""

SDK = COMMON + r"""
from kraken.spot import SpotOrderBookClient
kind = sys.argv[4]

def setup(depth):
    state = {"invalid": 0}
    async def noop(pair, message):
        pass
    async def read(pair, message):  # the same reads as on the kraken-ops side
        book = client.get(pair)
        book["valid"]
        next(iter(book["bid"].items()))
        next(iter(book["ask"].items()))
    client = SpotOrderBookClient(depth=depth, callback={"noop": noop, "get": read}.get(kind))
    # its first message for a pair fetches AssetPairs over the network: answer from memory
    client._SpotOrderBookClient__market.get_asset_pairs = lambda pair: {pair: {"pair_decimals": 1, "lot_decimals": 8}}
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

path, depth, repeat, limit, memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[5]), sys.argv[6] == "1"
stdout = sys.stdout
if kind == "default":
    sys.stdout = open(os.devnull, "w")
result = run(setup, path, depth, repeat, limit, memory)
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
    line = (f"  {name:<34}{r['cpu_per_s']:>11,.0f} msg/s CPU {r['per_s']:>11,.0f} msg/s wall  {r['seconds']:6.2f} s"
            f"  {r['invalid']:>3} invalid")
    if "peak_kib" in r:
        line += f"  peak {r['peak_kib']:>7,.0f} KiB  (after 10%: {r['kib_at_10pct']:,.0f} KiB, at end: {r['kib_at_end']:,.0f} KiB)"
    return line


CONFIGS = {
    "quiet": ("no user callback (books read with get())", "client-quiet", "quiet"),
    "noop": ("no-op async user callback on both", "client-noop", "noop"),
    "get": ("async user callback calling get(pair) on every update (validity, best bid, best ask)", "client-get", "get"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdk-python", default="/tmp/refvenv/bin/python", help="interpreter with python-kraken-sdk==3.5.1")
    parser.add_argument("--depths", default="10,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--configs", default="quiet,noop,get", help="quiet (no user callback), noop (no-op callback), get (callback calling get())")
    parser.add_argument("--sdk-default", action="store_true", help="also time the SDK's default on_book_update (prints every message)")
    parser.add_argument("--kraken-ops-root", default=str(ROOT), help="the kraken-ops checkout to time (one with this client API)")
    parser.add_argument("--frames", type=int, default=0, help="replay only the first N frames (0: all)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass (at depth 1,000 the SDK's takes minutes)")
    args = parser.parse_args()
    have_sdk = Path(args.sdk_python).exists()
    memory = "0" if args.no_memory else "1"
    ours = lambda kind, path, depth: _run([sys.executable, "-c", OURS, kind, str(path), str(depth), args.kraken_ops_root,  # noqa: E731
                                           str(args.repeat), str(args.frames), memory])
    sdk = lambda kind, path, depth: _run([args.sdk_python, "-c", SDK, str(path), str(depth), str(args.repeat), kind,  # noqa: E731
                                          str(args.frames), memory])
    for depth in (int(d) for d in args.depths.split(",")):
        path = fixture(depth)
        with gzip.open(path, "rt") as fh:
            frames = sum(1 for _ in fh)
        if args.frames:
            frames = min(frames, args.frames)
        print(f"depth {depth}: {path.name}, 1 snapshot + {frames - 1:,} updates (JSON text in: parse + apply + checksum [+ callback])")
        book = ours("book", path, depth)
        if book:
            print("  kraken-ops runs with its optional C module (kraken_ops.spot._bookscan)" if book.get("c_helpers") else
                  "  kraken-ops runs without its optional C module (not built, or KRAKEN_OPS_NO_EXTENSIONS set): Python only")
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
                print(f"  ratio                             {client['cpu_per_s'] / theirs['cpu_per_s']:>10.1f}x CPU "
                      f"{client['per_s'] / theirs['per_s']:>10.1f}x wall")
            if config == "quiet" and args.sdk_default:
                default = sdk("default", path, depth)
                if default:
                    print(_line("python-kraken-sdk default (prints)", default))


if __name__ == "__main__":
    main()
