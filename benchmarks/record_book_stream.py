"""Record a Spot WS v2 ``book`` stream from the local exchange into a gzipped NDJSON fixture.

    python benchmarks/record_book_stream.py --depth 10 --updates 50000 \
        --out benchmarks/fixtures/book-XBTUSD-d10.ndjson.gz

The stream is produced by the local exchange itself, in process and without a socket:
its matching engine (:mod:`kraken_ops.exchange.engine`) and market maker
(:mod:`kraken_ops.exchange.simulation`) change the BTC/USD book, and after every change
the exchange's book-stream encoder (``_levels``, :func:`kraken_ops.exchange.ws_spot.book_update`,
``dumps`` and ``book_checksum`` - the code that serves ``/ws/v2``) turns it into the
snapshot or update message a subscriber of that depth would receive. Nothing is
re-implemented here except the activity that drives the book, which mimics a busy real
market (one to a few level changes per message, most of them near the top):

* user accounts keep resting limit orders (about 30 levels per side at depth 10, about
  1,200 per side at depth 1,000 so that the subscribed depth is full);
* each event is one of: a user places a limit order (near the top most of the time,
  anywhere in the book otherwise), a user cancels one, a crowd market order trades
  against the top, or (rarely) the market maker moves its mid and requotes.

The recording is deterministic for a given ``--seed``. Running the exchange's serve
loop would give the same kind of stream at about two messages a second; this records
50,000 in a few minutes.
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SYMBOL = "BTC/USD"
TIMESTAMP_BASE = 1767225600.0  # 2026-01-01T00:00:00Z; one event every 10 ms


def record(depth: int, updates: int, out: Path, seed: int = 1) -> dict[str, int]:
    from kraken_ops.exchange.engine import KrakenError
    from kraken_ops.exchange.markets import find_pair
    from kraken_ops.exchange.server import make_context
    from kraken_ops.exchange.ws_spot import _checksum, _levels, _side_list, book_update, dumps, now_iso

    clock_now = [TIMESTAMP_BASE]
    state = tempfile.mkdtemp(prefix="kraken-ops-record-")
    ctx = make_context(state, seed=seed, fresh=True, clock=lambda: clock_now[0])
    rng = random.Random(seed * 7919 + depth)
    pair = find_pair(SYMBOL)
    assert pair is not None
    engine, sim = ctx.engine, ctx.simulation
    tick = pair.tick_size

    resting_per_side = 30 if depth <= 10 else int(depth * 1.2)
    n_accounts = (2 * resting_per_side) // 60 + 4
    accounts = []
    for i in range(n_accounts):
        acct = ctx.db.add_account(f"rec{i}")
        ctx.db.deposit(acct.name, "ZUSD", Decimal("1000000000"), now=clock_now[0])
        ctx.db.deposit(acct.name, "XXBT", Decimal("1000000"), now=clock_now[0])
        accounts.append(acct)
    open_orders: list[tuple[object, str, str, Decimal]] = []  # (account, txid, side, price)

    def mid() -> Decimal:
        return ctx.markets.data[pair.id].mid

    def place(side: str, offset_ticks: int) -> None:
        m = pair.round_price(mid())
        price = m - tick * (offset_ticks + 1) if side == "buy" else m + tick * (offset_ticks + 1)
        best_opp = engine.books[pair.id].best("sell" if side == "buy" else "buy")
        if best_opp is not None and ((side == "buy" and price >= best_opp) or (side == "sell" and price <= best_opp)):
            return  # stay passive: this is book activity, not trading
        qty = pair.round_vol(pair.ordermin * Decimal(rng.randint(1, 5000)))
        for acct in rng.sample(accounts, len(accounts)):
            try:
                res = engine.add_order(acct, {"pair": "XBTUSD", "type": side, "ordertype": "limit",
                                              "price": str(price), "volume": str(qty)}, counter=False)
            except KrakenError as exc:
                if "limit exceeded" in str(exc):
                    continue
                return
            open_orders.append((acct, res["txid"][0], side, price))
            return

    def offset() -> int:
        if rng.random() < 0.75:
            return min(int(rng.expovariate(1 / 6)), resting_per_side)
        return rng.randint(0, int(resting_per_side * 1.1))

    def cancel() -> None:
        open_orders[:] = [o for o in open_orders if o[1] in engine.orders]  # drop filled ones
        if len(open_orders) < 2 * resting_per_side:  # keep the book deep: refill instead
            place(rng.choice(("buy", "sell")), rng.randint(0, int(resting_per_side * 1.25)))
            return
        # prefer orders near the top, like place()
        m = mid()
        k = min(len(open_orders), 8)
        picks = rng.sample(range(len(open_orders)), k)
        idx = min(picks, key=lambda i: abs(open_orders[i][3] - m)) if rng.random() < 0.7 else picks[0]
        acct, txid, _, _ = open_orders.pop(idx)
        try:
            engine.cancel_order(acct, txid=txid, counter=False)
        except KrakenError:
            pass  # already filled

    def requote() -> None:
        ctx.markets.step(pair.id, sigma=0.00002)  # a calm mid, so that resting user orders stay in the book
        bids, asks = sim.quotes(pair.id)
        engine.requote(pair.id, bids, asks)

    def crowd() -> None:
        engine.crowd_trade(pair.id, rng.choice(("buy", "sell")), pair.round_vol(pair.ordermin * Decimal(rng.randint(1, 300))))

    for side in ("buy", "sell"):
        for off in rng.sample(range(int(resting_per_side * 1.25)), resting_per_side):
            place(side, off)

    bids, asks = _levels(ctx, pair, depth)
    stats = {"updates": 0, "levels": 0, "events": 0}
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", compresslevel=9) as fh:
        fh.write(dumps({"channel": "book", "type": "snapshot", "data": [{
            "symbol": pair.ws_symbol, "bids": _side_list(bids, True), "asks": _side_list(asks, False),
            "checksum": _checksum(ctx, pair, bids, asks)}]}) + "\n")
        version = engine.book_version[pair.id]
        while stats["updates"] < updates:
            stats["events"] += 1
            clock_now[0] += 0.01
            r = rng.random()
            if r < 0.45:
                place(rng.choice(("buy", "sell")), offset())
            elif r < 0.85:
                cancel()
            elif r < 0.98:
                crowd()
            else:
                requote()
            if engine.book_version[pair.id] == version:
                continue
            version = engine.book_version[pair.id]
            new_bids, new_asks = _levels(ctx, pair, depth)
            ub, ua = book_update(bids, asks, new_bids, new_asks, depth)
            bids, asks = new_bids, new_asks
            if not ub and not ua:
                continue
            stats["updates"] += 1
            stats["levels"] += len(ub) + len(ua)
            fh.write(dumps({"channel": "book", "type": "update", "data": [{
                "symbol": pair.ws_symbol, "bids": ub, "asks": ua,
                "checksum": _checksum(ctx, pair, bids, asks), "timestamp": now_iso(clock_now[0])}]}) + "\n")
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--updates", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    stats = record(args.depth, args.updates, args.out, args.seed)
    print(f"{args.out}: 1 snapshot + {stats['updates']} updates ({stats['levels']} levels, "
          f"{stats['events']} events), {args.out.stat().st_size:,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
