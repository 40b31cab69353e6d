"""Fidelity check of issue 11 (items 3 and 5) with ccxt (unmodified) against the local exchange.

Not a test (pytest never collects it). Run by hand with a scratch venv::

    python -m venv /tmp/ccxtvenv && /tmp/ccxtvenv/bin/pip install ccxt==4.5.90
    kraken-ops exchange serve --port 0 --state "$S" --seed 1 &
    kraken-ops exchange account add u11 --fund ZUSD=100000 --fund XXBT=5 \
        --fund-futures USD=100000 --print-credentials --state "$S" > /tmp/u11.json
    /tmp/ccxtvenv/bin/python benchmarks/fidelity/fidelity_ccxt_universe.py http://127.0.0.1:PORT /tmp/u11.json

Steps: the Spot markets (the universe, the reference docs' pairs, Kraken's limits), deposit
addresses, ``fetch_positions`` (OpenPositions with ``consolidation=market``), Futures
``fetch_positions_history`` (``/api/history/v3/positions``) and ccxt.pro ``watch_orders`` for a
Futures market order that fills at once. Exit status 0 when every step passed.
"""

from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ccxt
import ccxt.pro
from _harness import Steps, die, load_futures_credentials
from fidelity_futures_ccxt import point_at

SYM = "BTC/USD:USD"  # PF_XBTUSD


def spot_flows(steps: Steps, url: str, key: str, secret: str) -> None:
    ex = ccxt.kraken({"apiKey": key, "secret": secret, "enableRateLimit": False})
    ex.urls["api"]["public"] = ex.urls["api"]["private"] = url
    markets = steps.run("load_markets (the universe)", ex.load_markets, lambda m: len(m) >= 200)
    if not markets:
        return
    steps.run("the reference docs' pairs", lambda: [ex.market(s)["id"] for s in ("DOT/EUR", "XLM/USD", "BTC/EUR", "DOT/USD")],
              lambda ids: ids == ["DOTEUR", "XXLMZUSD", "XXBTZEUR", "DOTUSD"])
    steps.run("Kraken's limits (BTC/USD)", lambda: ex.market("BTC/USD")["limits"],
              lambda lim: lim["amount"]["min"] == 0.00005 and lim["cost"]["min"] == 0.5)
    steps.run("fees of the pair (BTC/USD)", lambda: (ex.market("BTC/USD")["taker"], ex.market("BTC/USD")["maker"]),
              lambda f: f == (0.004, 0.0025))
    steps.run("quote currencies", lambda: sorted({m["quote"] for m in ex.markets.values()}),
              lambda q: {"USD", "EUR", "GBP", "CAD", "CHF", "AUD", "JPY", "USDT", "USDC", "BTC", "ETH"} <= set(q))
    steps.run("fetch_ticker(DOT/EUR)", lambda: ex.fetch_ticker("DOT/EUR"), lambda t: t["bid"] < t["ask"])
    steps.run("fetch_tickers (every pair)", lambda: ex.fetch_tickers(), lambda t: len(t) >= 200)
    for code, prefix in (("BTC", "bc1q"), ("ETH", "0x"), ("DOT", "1"), ("XLM", "G")):
        steps.run(f"fetch_deposit_address({code})", lambda c=code: ex.fetch_deposit_address(c),
                  lambda a, p=prefix: a["address"].startswith(p))
    steps.run("fetch_positions (OpenPositions, consolidation=market)", ex.fetch_positions, lambda p: p == [])


def futures_rest(steps: Steps, url: str, key: str, secret: str) -> None:
    ex = point_at(ccxt.krakenfutures({"apiKey": key, "secret": secret, "enableRateLimit": False}), url)
    ex.load_markets()
    steps.run("market buy", lambda: ex.create_order(SYM, "market", "buy", 0.02), lambda o: o["id"])
    steps.run("market sell (closes)", lambda: ex.create_order(SYM, "market", "sell", 0.02), lambda o: o["id"])
    steps.run("fetch_positions_history (/api/history/v3/positions)", lambda: ex.fetch_positions_history([SYM]),
              lambda p: len(p) >= 1 and p[-1]["symbol"] == SYM)


async def futures_ws(steps: Steps, url: str, key: str, secret: str) -> None:
    ex = point_at(ccxt.pro.krakenfutures({"apiKey": key, "secret": secret}), url)
    rest = point_at(ccxt.krakenfutures({"apiKey": key, "secret": secret, "enableRateLimit": False}), url)
    try:
        await ex.load_markets()
        rest.load_markets()
        orders = asyncio.ensure_future(ex.watch_orders(SYM))
        await asyncio.sleep(1.0)
        placed = rest.create_order(SYM, "market", "buy", 0.01)
        try:
            got = await asyncio.wait_for(orders, 10)
            steps.run("pro.watch_orders (an order that fills at once)", lambda: got,
                      lambda o: any(x["id"] == placed["id"] for x in o))
        except Exception as exc:  # noqa: BLE001
            steps.fail("pro.watch_orders (an order that fills at once)", exc)
        rest.create_order(SYM, "market", "sell", 0.01)
    finally:
        await ex.close()


def main() -> int:
    if len(sys.argv) < 3:
        die(f"usage: {sys.argv[0]} BASE_URL CREDENTIALS.json")
    url = sys.argv[1].rstrip("/")
    fkey, fsecret, skey, ssecret = load_futures_credentials(sys.argv[2])
    steps = Steps(f"ccxt {ccxt.__version__} (issue 11: universe, shapes)",
                  verbose=bool(os.environ.get("FIDELITY_VERBOSE")))
    spot_flows(steps, url, skey, ssecret)
    futures_rest(steps, url, fkey, fsecret)
    asyncio.run(futures_ws(steps, url, fkey, fsecret))
    return steps.summary()


if __name__ == "__main__":
    raise SystemExit(main())
