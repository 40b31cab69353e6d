"""Order book maintenance benchmark: kraken-ops vs python-kraken-sdk 3.5.1 (one command, ratios printed).

    python benchmarks/bench_orderbook.py [--updates 50000] [--sdk-python /tmp/pks/bin/python]

The message stream (one snapshot and N updates per depth, 10 and 1000) is generated with
the local exchange's own book encoder and checksum (kraken_ops.exchange.ws_spot.dumps and
book_checksum) from a seeded random walk, and cached as NDJSON under
the temp directory (kraken-ops-bench/). Each side parses the raw frames with its own JSON settings
(kraken-ops: parse_float=Decimal; the SDK: plain json) and applies them with checksum
verification. python-kraken-sdk runs in a separate interpreter (a scratch venv:
``python -m venv /tmp/pks && /tmp/pks/bin/pip install python-kraken-sdk==3.5.1``); without
it only kraken-ops numbers are printed. Peak memory is sampled with tracemalloc in a
second pass.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = Path(__import__("tempfile").gettempdir()) / "kraken-ops-bench"
PD, QD = 1, 8


def generate(depth: int, updates: int, seed: int = 11) -> Path:
    """Write one snapshot and ``updates`` updates for BTC/USD at ``depth`` (cached)."""
    from kraken_ops.exchange.ws_spot import book_checksum, dumps

    path = CACHE / f"book-d{depth}-u{updates}-s{seed}.ndjson"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    tick = Decimal("0.1")
    mid = Decimal("60000.0")

    def qty() -> Decimal:
        return Decimal(rng.randint(1, 500_000_000)).scaleb(-QD)

    bids = {mid - tick * i: qty() for i in range(1, depth + 1)}
    asks = {mid + tick * i: qty() for i in range(1, depth + 1)}

    def top(levels: dict[Decimal, Decimal], reverse: bool) -> dict[Decimal, Decimal]:
        return dict(sorted(levels.items(), reverse=reverse)[:depth])

    with path.open("w") as fh:
        snap = {"channel": "book", "type": "snapshot", "data": [{"symbol": "BTC/USD",
                "bids": [{"price": p, "qty": q} for p, q in sorted(bids.items(), reverse=True)],
                "asks": [{"price": p, "qty": q} for p, q in sorted(asks.items())],
                "checksum": book_checksum(list(asks.items()), list(bids.items()), PD, QD)}]}
        fh.write(dumps(snap) + "\n")
        for n in range(updates):
            changes = {"bids": [], "asks": []}
            for _ in range(rng.randint(1, 3)):
                side = rng.choice(("bids", "asks"))
                levels = bids if side == "bids" else asks
                best = max(bids) if side == "bids" else min(asks)
                if rng.random() < 0.35 and len(levels) > 2:
                    price = rng.choice(list(levels)[: min(len(levels), 20)] if depth <= 10 else list(levels))
                    del levels[price]
                    changes[side].append({"price": price, "qty": Decimal(0)})
                else:
                    offset = tick * rng.randint(0, min(depth, 40))
                    price = best - offset if side == "bids" else best + offset
                    if side == "bids" and price >= min(asks):
                        price = min(asks) - tick
                    if side == "asks" and price <= max(bids):
                        price = max(bids) + tick
                    levels[price] = qty()
                    changes[side].append({"price": price, "qty": levels[price]})
            bids, asks = top(bids, True), top(asks, False)
            item = {"symbol": "BTC/USD", **changes, "checksum": book_checksum(list(asks.items()), list(bids.items()), PD, QD),
                    "timestamp": "2026-01-01T00:00:00.000000Z"}
            fh.write(dumps({"channel": "book", "type": "update", "data": [item]}) + "\n")
    return path


def bench_kraken_ops(path: Path, depth: int, memory: bool = False) -> dict[str, float]:
    from kraken_ops._core.ws import loads
    from kraken_ops.spot.orderbook import OrderBook

    frames = path.read_text().splitlines()
    book = OrderBook(depth=1000 if depth > 10 else depth, price_decimals=PD, qty_decimals=QD)
    if memory:
        tracemalloc.start()
    invalid = 0
    start = time.perf_counter()
    for raw in frames:
        message = loads(raw)
        if not book.apply(message):
            invalid += 1
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    if memory:
        tracemalloc.stop()
    return {"seconds": elapsed, "per_s": len(frames) / elapsed, "invalid": invalid, "peak_kib": peak / 1024}


SDK_RUNNER = r"""
import asyncio, json, sys, time
from kraken.spot import SpotOrderBookClient
path, depth = sys.argv[1], int(sys.argv[2])
frames = open(path).read().splitlines()
async def main():
    client = SpotOrderBookClient(depth=depth)
    client._SpotOrderBookClient__book["BTC/USD"] = {"bid": {}, "ask": {}, "valid": True, "price_decimals": 1, "qty_decimals": 8}
    invalid = 0
    async def on_book_update(pair, message):
        nonlocal invalid
        if not client.get(pair)["valid"]:
            invalid += 1
    client.on_book_update = on_book_update
    async def no_socket(*args, **kwargs):  # its resubscription needs a live connection
        return None
    client.remove_book = no_socket
    client.add_book = no_socket
    start = time.perf_counter()
    for raw in frames:
        await client.on_message(json.loads(raw))
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "per_s": len(frames) / elapsed, "invalid": invalid}))
asyncio.run(main())
"""


def bench_sdk(python: str, path: Path, depth: int) -> dict[str, float] | None:
    proc = subprocess.run([python, "-c", SDK_RUNNER, str(path), str(depth)], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        print(f"  python-kraken-sdk run failed: {proc.stderr.strip()[-800:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=50_000)
    parser.add_argument("--sdk-python", default="/tmp/pks/bin/python", help="interpreter with python-kraken-sdk==3.5.1")
    parser.add_argument("--depths", default="10,1000")
    args = parser.parse_args()
    have_sdk = Path(args.sdk_python).exists()
    for depth in (int(d) for d in args.depths.split(",")):
        path = generate(depth, args.updates)
        ours = bench_kraken_ops(path, depth)
        mem = bench_kraken_ops(path, depth, memory=True)
        print(f"depth {depth}: {args.updates} updates")
        print(f"  kraken-ops        {ours['per_s']:>10,.0f} msg/s  ({ours['seconds']:.2f} s, {ours['invalid']} invalid, peak {mem['peak_kib']:.0f} KiB)")
        if have_sdk:
            sdk = bench_sdk(args.sdk_python, path, depth)
            if sdk is not None:
                print(f"  python-kraken-sdk {sdk['per_s']:>10,.0f} msg/s  ({sdk['seconds']:.2f} s, {sdk['invalid']} invalid)")
                print(f"  ratio             {ours['per_s'] / sdk['per_s']:>10.1f}x")
        else:
            print("  (python-kraken-sdk not found; see the module docstring for the scratch venv)")


if __name__ == "__main__":
    main()
