"""What a wide market universe costs the local exchange.

Run: ``python benchmarks/bench_market_universe.py [--repeat 5] [--code DIR]``. Without
``--code`` it measures the installed ``kraken_ops``; ``--code DIR`` measures the checkout in DIR
(e.g. an older commit: ``git archive COMMIT | tar -x -C /tmp/old``), run without the
environment's editable install (``python -S`` with the site-packages on the path).

Prints, each the median of ``--repeat`` runs (seconds):

* ``import``: importing the exchange (the universe is read when ``markets`` is imported);
* ``make_context``: building the exchange as ``exchange serve --fresh --seed 1`` does,
  before it listens (markets, books, the first simulation steps);
* ``futures setup``: the Futures side's start (its instruments' back-filled charts);
* ``step``: one market step (what runs every 0.5 s) with the pairs the simulation keeps hot;
* ``wake one pair``: the first request naming a pair nobody used (its history is made, it is
  quoted);
* ``all pairs once``: quoting every pair once (Ticker without ``pair`` on a fresh exchange);
* ``step, all hot``: one market step if every listed pair were simulated (the cost the lazy
  simulation avoids).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

if __name__ == "__main__" and "--child" in sys.argv:
    import os

    sys.path[:0] = [p for p in os.environ.get("BENCH_SYS_PATH", "").split(os.pathsep) if p]


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def one_run() -> dict[str, float]:
    out: dict[str, float] = {}
    t = time.perf_counter()
    from aiohttp import web

    from kraken_ops.exchange import futures, markets
    from kraken_ops.exchange.server import make_context

    out["import"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        ctx = make_context(Path(tmp), seed=1, fresh=True)
        out["make_context"] = time.perf_counter() - t
        out["futures setup"] = timed(lambda: futures.setup(web.Application(), ctx))
        sim = ctx.simulation
        steps = [timed(sim.step) for _ in range(20)]
        out["step"] = statistics.median(steps)
        out["pairs"] = float(len(markets.PAIRS))
        if hasattr(sim, "wake"):
            out["wake one pair"] = timed(lambda: sim.wake("ADAUSD"))
            out["all pairs once"] = timed(lambda: sim.refresh(list(markets.PAIRS)))
            hot = sim.hot_pairs
            sim.hot_pairs = lambda: list(markets.PAIRS)  # type: ignore[method-assign]
            out["step, all hot"] = statistics.median(timed(sim.step) for _ in range(5))
            sim.hot_pairs = hot  # type: ignore[method-assign]
        ctx.db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--code", default=None, help="a checkout to measure instead of the installed kraken_ops")
    args = parser.parse_args()
    import json
    import os
    import site
    import subprocess

    cmd, env = [sys.executable, __file__, "--child"], dict(os.environ)
    if args.code:
        cmd = [sys.executable, "-S", __file__, "--child"]
        env["BENCH_SYS_PATH"] = os.pathsep.join([args.code, *site.getsitepackages()])
    runs = []
    for _ in range(args.repeat):  # a fresh process each time: import costs are real
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    for key in runs[0]:
        vals = [r[key] for r in runs if key in r]
        if key == "pairs":
            print(f"{key:>16}: {int(vals[0])}")
        else:
            print(f"{key:>16}: {statistics.median(vals) * 1000:9.1f} ms")


if __name__ == "__main__":
    if "--child" in sys.argv:
        import json

        print(json.dumps(one_run()))
    else:
        main()
