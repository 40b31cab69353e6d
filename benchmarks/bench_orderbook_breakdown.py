"""Where a depth-10 book frame's time goes in kraken-ops' client (the parts of bench_orderbook.py's configurations).

    python benchmarks/bench_orderbook_breakdown.py [--depth 10] [--passes 7]

Same input and the same frame path as ``bench_orderbook.py`` (``_decode_frame``, then
``_deliver`` and the awaited callback), CPU time per frame (``time.process_time``, best
of ``--passes`` interleaved passes over all frames). The parts are told apart by taking
them out one at a time, so they add up only roughly:

* ``recognise``: the strict frame pattern and its groups (``_BOOK_FRAME.fullmatch(raw).groups()``);
* ``quiet``: the whole lean path (recognise, apply the levels, verify the checksum);
* ``noop``: plus the Decimal message, ``_deliver`` and a no-op async callback;
* ``get``: plus ``get(pair)`` and the reads of bench_orderbook.py's ``get`` callback
  (the reference dict's side dicts are then kept up to date with the book);
* ``floor``: what ``get`` costs with every book step taken out - a decoder that returns
  a ready ``(pair, message)``, the same ``_deliver``, callback, reads and loop (a
  constant book dict): the part no book implementation can remove.

For instruction counts (steadier than time on a shared machine) run one configuration
under ``valgrind --tool=callgrind`` with ``--frames`` at two sizes and take the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kraken_ops._core.ws import FRAME_HANDLED  # noqa: E402
from kraken_ops.spot.orderbook import SpotOrderBookClient, _book_frame_fullmatch  # noqa: E402


def _client(kind: str, depth: int, fixed: dict | None = None) -> tuple[SpotOrderBookClient, object]:
    callback = None
    if kind == "noop":
        async def callback(pair, message):  # noqa: ANN001, ANN202
            pass
    elif kind in ("get", "floor"):
        async def callback(pair, message):  # noqa: ANN001, ANN202
            book = client.get(pair) if fixed is None else fixed
            book["valid"]
            next(iter(book["bid"].items()))
            next(iter(book["ask"].items()))
    client = SpotOrderBookClient(depth=depth, callback=callback)
    client.set_precision("BTC/USD", 1, 8)
    client._settle()
    decode, pre, deliver = client._decode_frame, client._preprocess, client._deliver
    if kind == "floor":
        ready = ("BTC/USD", {})
        decode = lambda raw: ready  # noqa: E731

    def handle(raw: str) -> object:
        message = decode(raw)
        if message is FRAME_HANDLED:
            return None
        if type(message) is tuple:
            return deliver(message)
        out = pre(message)
        return None if out is None else deliver(out)

    return client, handle


async def _pass(kind: str, frames: list[str], depth: int) -> float:
    if kind == "recognise":
        gc.collect()
        start = time.process_time()
        for raw in frames:
            match = _book_frame_fullmatch(raw)
            if match is not None:
                match.groups()
        return time.process_time() - start
    fixed = {"bid": {"60029.9": ("0.34630000", None)}, "ask": {"60030.4": ("0.14690000", None)}, "valid": True}
    client, handle = _client(kind, depth, fixed if kind == "floor" else None)
    gc.collect()
    start = time.process_time()
    for raw in frames:
        pending = handle(raw)
        if pending is not None:
            await pending
    elapsed = time.process_time() - start
    assert client.checksum_mismatches == 0
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()
    with gzip.open(ROOT / "benchmarks" / "fixtures" / f"book-XBTUSD-d{args.depth}.ndjson.gz", "rt") as fh:
        frames = fh.read().splitlines()
    kinds = ["recognise", "quiet", "noop", "get", "floor"]
    best = dict.fromkeys(kinds, float("inf"))
    for _ in range(args.passes):
        for kind in kinds:
            best[kind] = min(best[kind], await _pass(kind, frames, args.depth))
    per = {kind: best[kind] / len(frames) * 1e6 for kind in kinds}
    print(f"depth {args.depth}, {len(frames):,} frames, CPU us per frame (best of {args.passes} interleaved passes)")
    print(f"  recognise (pattern + groups)          {per['recognise']:6.2f}")
    print(f"  quiet (recognise, apply, checksum)     {per['quiet']:6.2f}")
    print(f"  noop  (+ message, deliver, callback)   {per['noop']:6.2f}   (+{per['noop'] - per['quiet']:.2f})")
    print(f"  get   (+ get(), side dicts, reads)     {per['get']:6.2f}   (+{per['get'] - per['noop']:.2f})")
    print(f"  floor (loop, deliver, callback, reads) {per['floor']:6.2f}   (no book work at all)")


if __name__ == "__main__":
    asyncio.run(main())
