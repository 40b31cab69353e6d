"""Junk parameters against every endpoint of the local exchange; counts HTTP 500s (goal: 0).

Run: ``python benchmarks/bench_junk_params.py [--values N] [--show N]``.

Starts the exchange in-process on an ephemeral port (as the test fixtures do), makes an
account with funds, a subaccount, resting Spot and Futures orders, ledgers, an export and a
withdrawal, and then sends, for every Spot and Futures REST endpoint (public and private,
signed correctly so that they get past authentication) and every one of its parameters and
path parameters, one request per junk value (``JUNK_TEXT`` in a form body or query string;
for endpoints that take JSON bodies also ``JUNK_JSON``), the other parameters keeping values
that get deep into the endpoint (path parameters get every junk value that is a URL
segment: not "", "." or ".."). Rate limits decay with the exchange's clock, which is moved
on between requests. Then the WebSocket trading and subscription methods get the same junk.
Prints how many requests got a Kraken-shaped error, a success, an HTTP 500, the exchange's
internal-error answer (a handler failed: a bug), a WebSocket connection closed by the server
instead of an error message (the benchmark reconnects and goes on), or something not
Kraken-shaped.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "integration" / "exchange_fuzz"), str(ROOT)]


def rest(world: Any, values: int | None, show: int) -> collections.Counter[str]:
    from junk_catalogue import ENDPOINTS, JUNK_JSON, JUNK_TEXT, NOT_A_SEGMENT, classify

    tally: collections.Counter[str] = collections.Counter()
    shown = 0
    text = JUNK_TEXT[:values] if values else JUNK_TEXT
    more = JUNK_JSON[:values] if values else JUNK_JSON
    for ep in ENDPOINTS:
        names = [("param", n) for n in ep.fuzzable] + [("path", n) for n in ep.path_params]
        for kind, name in names:
            for json_body in ([False, True] if ep.json_body else [False]):
                for junk in text + (more if json_body else []):
                    if kind == "path" and junk in NOT_A_SEGMENT:
                        continue  # another URL, not a value of the segment
                    world.ensure()
                    params = {k: world.fill(v) for k, v in ep.params.items()}
                    path_params = {k: world.fill(v) for k, v in ep.path_params.items()}
                    (params if kind == "param" else path_params)[name] = junk
                    before = world.ctx.internal_error_count
                    resp = world.send(ep, params, path_params, json_body=json_body)
                    verdict = classify(ep, resp)
                    tally[ep.api + " " + verdict.split(":")[0]] += 1
                    if verdict not in ("ok", "error") and shown < show:
                        shown += 1
                        detail = list(world.ctx.internal_errors)[-1] if world.ctx.internal_error_count > before else ""
                        print(f"  {verdict[:60]:<14} {ep.name} {name}={junk!r:.40} "
                              f"({'json' if json_body else 'form'}) {detail[:160]}")
    return tally


async def websocket(world: Any, values: int | None) -> collections.Counter[str]:
    """The Spot v2 methods (public and authenticated) and the Futures v1 events."""
    import aiohttp

    from junk_catalogue import JUNK_JSON, JUNK_TEXT, ws_futures_requests, ws_spot_requests

    tally: collections.Counter[str] = collections.Counter()
    junk = (JUNK_TEXT[:values] + JUNK_JSON[:values]) if values else JUNK_TEXT + JUNK_JSON
    base = world.url.replace("http", "ws")
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as s:
        token = (await loop.run_in_executor(None, world.spot, "GetWebSocketsToken", {})).json()["result"]["token"]
        for path, reqs in (("/ws/v2", ws_spot_requests(None)), ("/ws-auth/v2", ws_spot_requests(token))):
            ws = None
            for req in reqs:
                for value in variants(req, junk, nested=True):
                    if ws is None or ws.closed:  # a junk request killed the connection: count it, reconnect
                        if ws is not None:
                            await ws.close()
                        ws = await s.ws_connect(base + path)
                        await ws.receive(timeout=10)  # status
                    await loop.run_in_executor(None, world.ensure)
                    tally["spot-ws " + await ws_spot_one(ws, world, value)] += 1
            if ws is not None:
                await ws.close()
        key, secret = world.acct.futures_key, world.acct.futures_secret
        ws, signed = None, {}
        for req in ws_futures_requests(key, "@challenge", "@signed"):
            for value in variants(req, junk, nested=False):
                if ws is None or ws.closed:  # a junk request killed the connection: count it, reconnect
                    if ws is not None:
                        await ws.close()
                    ws, signed = await futures_connect(s, base + "/ws/v1", key, secret)
                value = {k: signed.get(v, v) if isinstance(v, str) else v for k, v in value.items()}
                tally["futures-ws " + await ws_futures_one(ws, world, value)] += 1
        if ws is not None:
            await ws.close()
    return tally


async def futures_connect(session: Any, url: str, key: str, secret: str) -> tuple[Any, dict[str, str]]:
    """A Futures WS connection and a signed challenge for it."""
    from kraken_ops.exchange.futures.auth import sign_challenge

    ws = await session.ws_connect(url)
    await ws.receive(timeout=10)  # info
    await ws.send_str(json.dumps({"event": "challenge", "api_key": key}))
    while True:
        m = json.loads((await ws.receive(timeout=10)).data)
        if m.get("event") == "challenge":
            return ws, {"@challenge": m["message"], "@signed": sign_challenge(secret, m["message"])}


def variants(req: dict[str, Any], junk: list[Any], nested: bool) -> list[dict[str, Any]]:
    """``req`` with each field (Spot: each of ``params``, and ``params`` itself) replaced by each junk value."""
    out = []
    if nested:
        params = req.get("params")
        for name in (params if isinstance(params, dict) else {}):
            out += [{**req, "params": {**params, name: j}} for j in junk]
        out += [{**req, "params": j} for j in junk]
    else:
        for name in req:
            if name != "event":
                out += [{**req, name: j} for j in junk]
        out += [{**req, "event": j} for j in junk[:10]]
    return out


async def ws_spot_one(ws: Any, world: Any, req: dict[str, Any]) -> str:
    """Send one Spot v2 request (req_id 1); the verdict on its answer."""
    from junk_catalogue import classify_ws_spot, ws_dumps

    params = req.get("params")
    if isinstance(params, dict):
        req = {**req, "params": {k: world.fill(v) for k, v in params.items()}}
    before = world.ctx.internal_error_count
    try:
        await ws.send_str(ws_dumps({**req, "req_id": 1}))
    except ConnectionError:
        return "connection died"
    verdict = "no answer"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            msg = await ws.receive(timeout=max(0.05, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        if msg.type != aiohttp_text():
            return "connection died"
        data = json.loads(msg.data)
        if isinstance(data, dict) and "success" in data and data.get("req_id") in (1, None):
            verdict = classify_ws_spot(data)
            break
    return "internal" if world.ctx.internal_error_count > before else verdict


async def ws_futures_one(ws: Any, world: Any, req: dict[str, Any]) -> str:
    """Send one Futures v1 event; the verdict on its answer."""
    from junk_catalogue import classify_ws_futures, ws_dumps

    before = world.ctx.internal_error_count
    try:
        await ws.send_str(ws_dumps(req))
    except ConnectionError:
        return "connection died"
    verdict = "no answer"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            msg = await ws.receive(timeout=max(0.05, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        if msg.type != aiohttp_text():
            return "connection died"
        v = classify_ws_futures(req, json.loads(msg.data))
        if v is not None:
            verdict = v
            break
    return "internal" if world.ctx.internal_error_count > before else verdict


def aiohttp_text() -> Any:
    import aiohttp

    return aiohttp.WSMsgType.TEXT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", type=int, default=None, help="use only the first N junk values of each list")
    parser.add_argument("--show", type=int, default=20, help="print up to N bad answers")
    parser.add_argument("--no-ws", action="store_true", help="REST only")
    args = parser.parse_args()
    from junk_catalogue import World, exchange_server, healthy

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        server = exchange_server(tmp, seed=1)
        try:
            world = World(server)
            tally = rest(world, args.values, args.show)
            if not args.no_ws:
                tally.update(asyncio.run(websocket(world, args.values)))
            problems = healthy(world)
        finally:
            server.stop()
    total = sum(tally.values())
    print(f"{total:,} junk requests in {time.perf_counter() - started:.0f} s")
    for api in ("spot-public", "spot-private", "futures-public", "futures-private", "spot-ws", "futures-ws"):
        row = {k.split(" ", 1)[1]: v for k, v in tally.items() if k.startswith(api + " ")}
        if row:
            print(f"  {api:<16} " + ", ".join(f"{k} {v:,}" for k, v in sorted(row.items())))
    http500 = sum(v for k, v in tally.items() if k.endswith(" http500"))
    internal = sum(v for k, v in tally.items() if k.endswith(" internal"))
    other = sum(v for k, v in tally.items() if " malformed" in k or "no answer" in k)
    died = sum(v for k, v in tally.items() if k.endswith("connection died"))
    print(f"HTTP 500s: {http500}   internal errors: {internal}   WebSocket connections killed: {died}   "
          f"not Kraken-shaped: {other}   server healthy afterwards: {'yes' if not problems else problems}")


if __name__ == "__main__":
    main()
