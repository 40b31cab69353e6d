"""Requests the metrics exporter sends per account and minute, counted by the local exchange.

Run: ``python benchmarks/bench_metrics_requests.py [--interval 30] [--polls 5] [--accounts 2]``
(about ``polls * interval`` seconds: 2.5 minutes by default).

Starts the local exchange with a middleware that counts every request by API key and
path, creates ``--accounts`` paper accounts (Spot funds, an Earn allocation, a Spot and a
Futures open order, a Futures position) with a profile each, and runs
``kraken-ops metrics serve --all-profiles --interval N`` as a subprocess for ``polls``
intervals. It prints, per account, the private requests per minute, the Spot REST counter
units they cost per minute against the starter tier's decay (0.33 a second = 19.8 a
minute), the Futures cost units against the 500-per-10-seconds budget, and the public
market-data requests shared by all accounts. ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

STARTER_DECAY_PER_MINUTE = 0.33 * 60  # Spot REST counter, starter tier (kraken-protocol.md §1.7)
FUTURES_BUDGET_PER_MINUTE = 500 * 6  # Futures /derivatives budget: 500 units per 10 s (§3.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interval", type=float, default=30.0, help="exporter --interval (seconds)")
    parser.add_argument("--polls", type=int, default=5, help="how many polls to count")
    parser.add_argument("--accounts", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from aiohttp import web

    from kraken_ops._core.ratelimit import futures_cost, spot_cost
    from kraken_ops.exchange import server as exchange_server

    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    owners: dict[str, str] = {}

    @web.middleware
    async def count(request: web.Request, handler):  # type: ignore[no-untyped-def]
        key = request.headers.get("API-Key") or request.headers.get("APIKey") or ""
        counts[(owners.get(key, "(public)") if key else "(public)", request.path)] += 1
        return await handler(request)

    create_app = exchange_server.create_app

    def counting_app(ctx):  # type: ignore[no-untyped-def]
        app = create_app(ctx)
        app.middlewares.insert(0, count)
        return app

    exchange_server.create_app = counting_app
    from conftest import ExchangeServer

    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp:
        exchange = ExchangeServer(Path(tmp) / "exchange")
        try:
            config = _accounts(exchange, Path(tmp), args.accounts, owners)
            env = {**os.environ, "KRAKEN_OPS_CONFIG": str(config), "KRAKEN_OPS_STATE_DIR": str(Path(tmp) / "state")}
            env.pop("KRAKEN_OPS_PROFILE", None)
            counts.clear()  # only what the exporter sends
            duration = args.polls * args.interval - min(1.0, args.interval / 10)
            began = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-m", "kraken_ops.cli", "metrics", "serve", "--all-profiles", "--port", "0",
                 "--interval", str(args.interval), "--duration", str(duration)],
                env=env, capture_output=True, text=True, timeout=duration + 120,
            )
            elapsed = time.monotonic() - began
        finally:
            exchange.stop()
    if result.returncode != 0:
        sys.exit(f"the exporter failed ({result.returncode}): {result.stderr.strip()}")

    minutes = args.polls * args.interval / 60  # the polls counted cover this much time
    out: dict[str, object] = {"interval": args.interval, "polls": args.polls, "accounts": args.accounts,
                              "elapsed_seconds": round(elapsed, 1), "per_account": {}, "public": {}}
    for name in sorted(set(owners.values())):
        paths = {p: n for (who, p), n in counts.items() if who == name}
        spot_units = sum(spot_cost(p) * n for p, n in paths.items() if p.startswith("/0/private/"))
        futures_units = sum(futures_cost(p) * n for p, n in paths.items() if p.startswith("/derivatives"))
        out["per_account"][name] = {  # type: ignore[index]
            "requests_per_minute": round(sum(paths.values()) / minutes, 2),
            "spot_requests_per_minute": round(sum(n for p, n in paths.items() if p.startswith("/0/")) / minutes, 2),
            "spot_counter_units_per_minute": round(spot_units / minutes, 2),
            "starter_budget_share": round(spot_units / minutes / STARTER_DECAY_PER_MINUTE, 3),
            "futures_requests_per_minute": round(sum(n for p, n in paths.items() if p.startswith("/derivatives")) / minutes, 2),
            "futures_cost_units_per_minute": round(futures_units / minutes, 2),
            "futures_budget_share": round(futures_units / minutes / FUTURES_BUDGET_PER_MINUTE, 4),
            "by_endpoint": dict(sorted(paths.items())),
        }
    public = {p: n for (who, p), n in counts.items() if who == "(public)"}
    out["public"] = {"requests_per_minute": round(sum(public.values()) / minutes, 2), "by_endpoint": dict(sorted(public.items()))}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"metrics exporter, --interval {args.interval:g}, {args.polls} polls, {args.accounts} accounts ({elapsed:.0f} s)")
    for name, row in out["per_account"].items():  # type: ignore[union-attr]
        print(f"  {name}: {row['requests_per_minute']} requests/min "
              f"(Spot {row['spot_requests_per_minute']}/min = {row['spot_counter_units_per_minute']} counter units/min, "
              f"{row['starter_budget_share']:.0%} of the starter tier's {STARTER_DECAY_PER_MINUTE:.1f}; "
              f"Futures {row['futures_requests_per_minute']}/min = {row['futures_cost_units_per_minute']} cost units/min, "
              f"{row['futures_budget_share']:.2%} of the budget)")
        print(f"    {row['by_endpoint']}")
    print(f"  public market data (all accounts together): {out['public']['requests_per_minute']} requests/min "  # type: ignore[index]
          f"{out['public']['by_endpoint']}")  # type: ignore[index]


def _accounts(exchange, tmp: Path, n: int, owners: dict[str, str]) -> Path:  # type: ignore[no-untyped-def]
    """``n`` funded accounts with orders and a Futures position, and a config with a paper profile each."""
    import tomli_w

    from kraken_ops.futures import Trade as FuturesTrade
    from kraken_ops.spot import Earn, Trade

    profiles = {}
    for i in range(1, n + 1):
        name = f"bench{i}"
        acct = exchange.add_account(name, fund={"ZUSD": "10000", "XXBT": "1", "DOT": "100"}, tier="starter")
        owners[acct.spot_key] = owners[acct.futures_key] = name
        with Earn(key=acct.spot_key, secret=acct.spot_secret, url=exchange.url) as earn:
            earn.allocate_earn_funds(amount="40", strategy_id="ESRFUO3-Q62XD-WIOIL7")
        with Trade(key=acct.spot_key, secret=acct.spot_secret, url=exchange.url) as trade:
            trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.01", price="1000")
        exchange.call(lambda name=name: exchange.ctx.futures_engine.credit(name, "flex", "USD", Decimal("2000"), info="bench"))
        with FuturesTrade(key=acct.futures_key, secret=acct.futures_secret, url=exchange.url) as futures:
            futures.create_order(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
            futures.create_order(orderType="lmt", symbol="PF_XBTUSD", side="buy", size="0.01", limitPrice="1000")
        for market in ("spot", "futures"):
            (tmp / f"{name}-{market}.secret").write_text(getattr(acct, f"{market}_secret") + "\n")
        profiles[name] = {"environment": "paper", "url": exchange.url, "spot_key": acct.spot_key, "futures_key": acct.futures_key,
                          "tier": "starter", "secret_command": ["cat", str(tmp / "{profile}-{market}.secret")]}
    config = tmp / "config.toml"
    config.write_text(tomli_w.dumps({"profiles": profiles}))
    return config


if __name__ == "__main__":
    main()
