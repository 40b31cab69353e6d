"""A minimal loopback HTTP server for SDK benchmarks: answers every request at once.

Run as a separate process so that the client under test has the CPU to itself
(``python benchmarks/_loopback_server.py`` prints its port and serves until killed).
It does not verify signatures: it measures the client, not the exchange (see
bench_exchange_throughput.py for the exchange's own throughput).
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

BODY = b'{"error":[],"result":{"ZUSD":"1000.0000","XXBT":"0.5000000000"}}'


async def handle(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=BODY, content_type="application/json")


async def main() -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
