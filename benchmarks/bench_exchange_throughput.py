"""Throughput of the local exchange: signed private REST requests per second.

Run: ``python benchmarks/bench_exchange_throughput.py [--seconds 5] [--concurrency 8]``.
Starts the exchange in a subprocess-free background thread on an ephemeral port and
hammers ``/0/private/Balance`` (and ``/0/public/Ticker``) with aiohttp clients, so that
SDK benchmarks can check they are never bound by the exchange.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


async def _bench(url: str, acct: object, seconds: float, concurrency: int, private: bool) -> int:
    import aiohttp

    from kraken_ops.exchange.auth import spot_signature

    done = 0
    nonce = [time.time_ns()]
    stop = time.monotonic() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.monotonic() < stop:
            if private:
                nonce[0] += 1
                body = urlencode({"nonce": nonce[0]})
                sig = spot_signature(acct.spot_secret, "/0/private/Balance", str(nonce[0]), body.encode())
                async with session.post(url + "/0/private/Balance", data=body, headers={
                        "API-Key": acct.spot_key, "API-Sign": sig,
                        "Content-Type": "application/x-www-form-urlencoded"}) as r:
                    data = await r.json()
            else:
                async with session.get(url + "/0/public/Ticker?pair=XBTUSD") as r:
                    data = await r.json()
            if not data["error"]:
                done += 1

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    from exchange_server import ExchangeServer  # tests/exchange_server.py: no pytest needed

    with tempfile.TemporaryDirectory() as tmp:
        server = ExchangeServer(tmp, seed=1)
        acct = server.add_account("bench", {"USD": "1000"}, nonce_window=10**12)
        server.ctx.rest_counter.charge = lambda *a, **k: True  # measure the server, not the rate limit
        try:
            for private in (True, False):
                n = asyncio.run(_bench(server.url, acct, args.seconds, args.concurrency, private))
                kind = "signed private Balance" if private else "public Ticker"
                print(f"{kind}: {n / args.seconds:.0f} req/s ({args.concurrency} concurrent clients)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
