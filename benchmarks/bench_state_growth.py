"""Growth of the local exchange's state database while the market runs idle.

Run: ``python benchmarks/bench_state_growth.py [--hours 24] [--every 6] [--max-public-rows N]
[--retention-days D]``.

Measured with the exchange's clock, not by waiting: the exchange's context is built as
``exchange serve --fresh --seed 1`` builds it, and the Futures engine is ticked once per
simulated second (what the server's background task does once a real second) while
``ctx.clock`` advances; public market data is pruned every ``ctx.prune_interval`` simulated
seconds, as the server does. Prints the database size (after a WAL checkpoint) and the
public history rows every ``--every`` simulated hours.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours (default 24)")
    parser.add_argument("--every", type=float, default=6.0, help="print every N simulated hours (default 6)")
    parser.add_argument("--max-public-rows", type=int, default=None, help="default: the server's default")
    parser.add_argument("--retention-days", type=float, default=None, help="default: the server's default")
    args = parser.parse_args()

    from aiohttp import web

    from kraken_ops.exchange import futures
    from kraken_ops.exchange.futures.engine import PUBLIC
    from kraken_ops.exchange.server import make_context

    with tempfile.TemporaryDirectory() as tmp:
        ctx = make_context(tmp, seed=1, fresh=True)
        if args.max_public_rows is not None:
            ctx.max_public_rows = args.max_public_rows
        if args.retention_days is not None:
            ctx.retention_days = args.retention_days
        engine = futures.setup(web.Application(), ctx)

        def size() -> int:
            ctx.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return os.path.getsize(ctx.db.path)

        def rows() -> int:
            return ctx.db.query("SELECT COUNT(*) AS n FROM fut_events WHERE account=?", (PUBLIC,))[0]["n"]

        print(f"retention {ctx.retention_days:g} days, cap {ctx.max_public_rows:,} public rows "
              f"(0: none); simulating {args.hours:g} h")
        print(f"{'hours':>6} {'db MB':>8} {'public rows':>12} {'bytes/row':>10}")
        base = size()
        print(f"{0:>6.1f} {base / 1e6:>8.2f} {rows():>12,} {'':>10}")
        started = time.perf_counter()
        due = ctx.clock() + ctx.prune_interval
        step = int(args.every * 3600)
        total = int(args.hours * 3600)
        for second in range(1, total + 1):
            ctx.clock.advance(1)
            engine.tick()
            if ctx.clock() >= due:
                due = ctx.clock() + ctx.prune_interval
                ctx.prune_public_data()
            if second % step == 0 or second == total:
                b, n = size(), rows()
                per = (b - base) / n if n else 0
                print(f"{second / 3600:>6.1f} {b / 1e6:>8.2f} {n:>12,} {per:>10.0f}", flush=True)
        print(f"({time.perf_counter() - started:.0f} s of wall time for {args.hours:g} simulated hours)")
        ctx.db.close()


if __name__ == "__main__":
    main()
