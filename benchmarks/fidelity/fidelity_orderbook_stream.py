"""Order books, item for item: kraken-ops' SpotOrderBookClient against python-kraken-sdk 3.5.1's
on a generated stream that is not the benchmark's fixture.

    python benchmarks/fidelity/fidelity_orderbook_stream.py [--sdk-python /tmp/refvenv/bin/python]
                                                           [--frames 20000] [--seed 7]

Not a test (python-kraken-sdk is never a dependency; make the scratch venv as
``bench_orderbook.py`` says). The stream is a DOGE/USD-like depth-10 book (price decimals 4,
lot decimals 8): volumes from 0.00000001 to 10,000 and whole numbers, a quarter of the frames
changing both sides, a third of the changed sides with two to four levels, removals first and then the rest best first (the order Kraken
sends them in), every checksum by kraken-protocol.md §4.6. Both clients read every frame
(kraken-ops through its connection's frame path, the SDK through ``on_message(json.loads(raw))``)
with a callback that calls ``get(pair)``; after every frame both books are written out and
compared: bid and ask items in order, volumes, timestamps and ``valid``. kraken-ops runs
twice, with its optional C module (when built) and with ``KRAKEN_OPS_NO_EXTENSIONS=1``.
Then each side is timed the way ``bench_orderbook.py``'s ``get`` configuration is (CPU
time, best of 3). Exit status 0 when every book is equal and no checksum failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PAIR, PD, QD, DEPTH = "DOGE/USD", 4, 8, 10


def make_stream(frames: int, seed: int) -> list[str]:
    from kraken_ops.spot.orderbook import book_checksum

    rng = random.Random(seed)
    unit, lot, mid = Decimal(1).scaleb(-PD), Decimal(1).scaleb(-QD), Decimal("0.1234")
    asks = {mid + unit * i: Decimal(rng.randint(1, 10**10)) * lot for i in range(1, DEPTH + 1)}
    bids = {mid - unit * i: Decimal(rng.randint(1, 10**10)) * lot for i in range(DEPTH)}

    def text(value: Decimal) -> str:
        return format(value.normalize(), "f")

    def volume() -> tuple[Decimal, str]:
        kind = rng.random()
        if kind < 0.2:
            return Decimal(0), "0"
        if kind < 0.3:
            whole = Decimal(rng.randint(1, 500))
            return whole, str(whole)
        value = Decimal(rng.randint(1, 10**12 if kind < 0.6 else 10**8)) * lot
        return value, text(value)

    def side_text(levels: list[tuple[Decimal, str]]) -> str:
        return ",".join(f'{{"price":{text(price)},"qty":{qty}}}' for price, qty in levels)

    def snapshot_side(levels: dict[Decimal, Decimal], reverse: bool) -> str:
        return side_text([(price, text(qty)) for price, qty in sorted(levels.items(), reverse=reverse)])

    out = [f'{{"channel":"book","type":"snapshot","data":[{{"symbol":"{PAIR}","bids":[{snapshot_side(bids, True)}],'
           f'"asks":[{snapshot_side(asks, False)}],"checksum":{book_checksum(asks.items(), bids.items(), PD, QD)}}}]}}']
    for n in range(frames - 1):
        changes: dict[str, dict[Decimal, str]] = {"ask": {}, "bid": {}}
        both = rng.random() < 0.25  # else one side (Kraken sends no empty update)
        one = rng.choice(("ask", "bid"))
        for name, levels in (("ask", asks), ("bid", bids)):
            if not both and name != one:
                continue
            for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 4)):
                offset = unit * rng.randint(0, 14)
                price = mid + unit + offset if name == "ask" else mid - offset
                kept, qty = volume()
                changes[name][price] = qty  # the last change of a price in the frame
                if kept == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = kept
        asks = dict(sorted(asks.items())[:DEPTH])
        bids = dict(sorted(bids.items(), reverse=True)[:DEPTH])
        ask_levels = sorted(changes["ask"].items(), key=lambda item: (item[1] != "0", item[0]))
        bid_levels = sorted(changes["bid"].items(), key=lambda item: (item[1] != "0", -item[0]))
        out.append(f'{{"channel":"book","type":"update","data":[{{"symbol":"{PAIR}","bids":[{side_text(bid_levels)}],'
                   f'"asks":[{side_text(ask_levels)}],"checksum":{book_checksum(asks.items(), bids.items(), PD, QD)},'
                   f'"timestamp":"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000000:06d}Z"}}]}}')
    return out


# Each runs in its own interpreter: argv = stream file, output file (books), passes to time.
OURS = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[4])
from kraken_ops._core.ws import FRAME_HANDLED
from kraken_ops.spot import orderbook
frames = open(sys.argv[1]).read().splitlines()

async def replay(write):
    async def callback(pair, message):
        book = client.get(pair)
        if write is None:
            book["valid"]; next(iter(book["bid"].items())); next(iter(book["ask"].items()))
        else:
            write(json.dumps([list(book["bid"].items()), list(book["ask"].items()), book["valid"]]) + "\n")
    client = orderbook.SpotOrderBookClient(depth=10, callback=callback)
    client.set_precision("DOGE/USD", 4, 8)
    client._settle()
    decode, pre, deliver = client._decode_frame, client._preprocess, client._deliver
    start = time.process_time()
    for raw in frames:
        item = decode(raw)
        if item is FRAME_HANDLED:
            continue
        if type(item) is not tuple:
            item = pre(item)
        if item is not None:
            pending = deliver(item)
            if pending is not None:
                await pending
    return time.process_time() - start, client.checksum_mismatches

with open(sys.argv[2], "w") as fh:
    _, bad = asyncio.run(replay(fh.write))
best = min(asyncio.run(replay(None))[0] for _ in range(int(sys.argv[3])))
print(json.dumps({"invalid": bad, "per_s": len(frames) / best, "c_module": orderbook._apply_one is not None}))
"""

SDK = r"""
import asyncio, json, sys, time
from kraken.spot import SpotOrderBookClient
frames = open(sys.argv[1]).read().splitlines()

async def replay(write):
    state = {"invalid": 0}
    async def callback(pair, message):
        if "error" in message:
            return
        book = client.get(pair)
        if write is None:
            book["valid"]; next(iter(book["bid"].items())); next(iter(book["ask"].items()))
        else:
            write(json.dumps([list(book["bid"].items()), list(book["ask"].items()), book["valid"]]) + "\n")
    client = SpotOrderBookClient(depth=10, callback=callback)
    client._SpotOrderBookClient__market.get_asset_pairs = lambda pair: {pair: {"pair_decimals": 4, "lot_decimals": 8}}
    async def no_socket(*args, **kwargs):  # its resubscription needs a live connection
        state["invalid"] += 1
    client.remove_book = no_socket
    client.add_book = no_socket
    on_message, loads = client.on_message, json.loads
    start = time.process_time()
    for raw in frames:
        await on_message(loads(raw))
    return time.process_time() - start, state["invalid"]

with open(sys.argv[2], "w") as fh:
    _, bad = asyncio.run(replay(fh.write))
best = min(asyncio.run(replay(None))[0] for _ in range(int(sys.argv[3])))
print(json.dumps({"invalid": bad, "per_s": len(frames) / best}))
"""


def run(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd[:2])}: {proc.stderr.strip()[-600:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdk-python", default="/tmp/refvenv/bin/python", help="interpreter with python-kraken-sdk==3.5.1")
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per client (best counts)")
    args = parser.parse_args()
    if not Path(args.sdk_python).exists():
        sys.exit(f"{args.sdk_python} not found: python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install python-kraken-sdk==3.5.1")
    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "stream.ndjson"
        stream.write_text("\n".join(make_stream(args.frames, args.seed)) + "\n")
        books = {name: Path(tmp) / f"{name}.jsonl" for name in ("c", "python", "sdk")}
        repeat = str(args.repeat)
        results = {
            "c": run([sys.executable, "-c", OURS, str(stream), str(books["c"]), repeat, str(ROOT)]),
            "python": run([sys.executable, "-c", OURS, str(stream), str(books["python"]), repeat, str(ROOT)],
                          env={**os.environ, "KRAKEN_OPS_NO_EXTENSIONS": "1"}),
            "sdk": run([args.sdk_python, "-c", SDK, str(stream), str(books["sdk"]), repeat]),
        }
        reference = books["sdk"].read_text().splitlines()
        ok = True
        print(f"{args.frames:,} frames ({PAIR}-like, depth {DEPTH}, seed {args.seed}); books after every frame:")
        for name, label in (("c", "kraken-ops with its C module"), ("python", "kraken-ops, Python only")):
            if name == "c" and not results["c"]["c_module"]:
                label = "kraken-ops (C module not built: Python)"
            ours = books[name].read_text().splitlines()
            differing = sum(a != b for a, b in zip(ours, reference)) + abs(len(ours) - len(reference))
            ok = ok and differing == 0 and results[name]["invalid"] == 0
            print(f"  {label:<40} {len(ours):>7,} books, {differing} differ from python-kraken-sdk's, "
                  f"{results[name]['invalid']} invalid, {results[name]['per_s']:>9,.0f} msg/s "
                  f"({results[name]['per_s'] / results['sdk']['per_s']:.1f}x)")
        print(f"  {'python-kraken-sdk 3.5.1':<40} {len(reference):>7,} books, {results['sdk']['invalid']} invalid, "
              f"{results['sdk']['per_s']:>9,.0f} msg/s")
        ok = ok and results["sdk"]["invalid"] == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
