"""The SDK with a profile's nonce store against a strict loopback server.

The stub server accepts a Spot private request only if its nonce is larger than
every nonce seen before for the key (window 0, like Kraken) and answers slowly
with jitter, so reordered or concurrent requests would show up as invalid nonces.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

SECRET = "c2VjcmV0LXZhbHVlLTEyMzQ="


class StrictNonceServer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.accepted = 0
        self.invalid = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                nonce = int(urllib.parse.parse_qs(body)["nonce"][0])
                key = self.headers.get("API-Key", "")
                with server.lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                time.sleep(random.uniform(0.0, 0.01))  # jitter before the nonce check, like a busy gateway
                with server.lock:
                    ok = nonce > server.last.get(key, 0)
                    if ok:
                        server.last[key] = nonce
                        server.accepted += 1
                    else:
                        server.invalid += 1
                    server.in_flight -= 1
                payload = {"error": [], "result": {"ZUSD": "1.0"}} if ok else {"error": ["EAPI:Invalid nonce"]}
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[StrictNonceServer]:
    srv = StrictNonceServer()
    yield srv
    srv.close()


def _worker(args: tuple[str, str, str, int, int]) -> list[str]:
    """A separate process: its own client from the profile, ``calls`` private requests."""
    import os

    import keyring

    from keyring_memory import MemoryKeyring

    config, state, url, calls, _ = args
    os.environ["KRAKEN_OPS_CONFIG"], os.environ["KRAKEN_OPS_STATE_DIR"] = config, state
    from kraken_ops.profiles import secrets
    from kraken_ops.profiles.config import read_config

    backend = MemoryKeyring()
    backend.set_password("kraken-ops", secrets.entry_name("bot", "spot", read_config().id), SECRET)
    keyring.set_keyring(backend)
    from kraken_ops.exceptions import KrakenInvalidNonceError
    from kraken_ops.spot.base import SpotClient

    client = SpotClient.from_profile("bot", rate_limit=False)
    errors = []
    for _ in range(calls):
        try:
            client.request("POST", "/0/private/Balance")
        except KrakenInvalidNonceError as exc:
            errors.append(str(exc))
    return errors


def _profile(url: str, nonce_window: int = 0) -> None:
    from kraken_ops.profiles.manage import add_profile

    add_profile("bot", "spot", "BOTKEY", SECRET, environment="custom", url=url, nonce_window=nonce_window)


def test_eight_processes_on_one_profile_never_send_an_invalid_nonce(server: StrictNonceServer, isolated: Path, tmp_path: Path) -> None:
    _profile(server.url)
    args = (str(isolated), str(tmp_path / "state"), server.url, 25, 0)
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        errors = [e for worker in pool.map(_worker, [args] * 8) for e in worker]
    assert errors == [] and server.invalid == 0
    assert server.accepted == 200 and server.max_in_flight == 1


def test_without_the_store_the_same_load_breaks_nonces(server: StrictNonceServer) -> None:
    """The control experiment: plain per-process nonces from 8 processes collide at the server."""
    args = ("", "", server.url, 25, 0)
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        pool.map(_plain_worker, [args] * 8)
    assert server.invalid > 0


def _plain_worker(args: tuple[str, str, str, int, int]) -> None:
    from kraken_ops.exceptions import KrakenInvalidNonceError
    from kraken_ops.spot.base import SpotClient

    client = SpotClient(key="BOTKEY", secret=SECRET, url=args[2], rate_limit=False)
    for _ in range(args[3]):
        try:
            client.request("POST", "/0/private/Balance")
        except KrakenInvalidNonceError:
            pass


def test_threads_of_one_process_are_serialised_too(server: StrictNonceServer) -> None:
    from kraken_ops.spot.base import SpotClient

    _profile(server.url)
    clients = [SpotClient.from_profile("bot", rate_limit=False) for _ in range(4)]

    def work(client: SpotClient) -> None:
        for _ in range(10):
            client.request("POST", "/0/private/Balance")

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.invalid == 0 and server.accepted == 40 and server.max_in_flight == 1


async def test_async_clients_are_serialised(server: StrictNonceServer) -> None:
    import asyncio

    from kraken_ops.spot.base import SpotAsyncClient

    _profile(server.url)
    clients = [SpotAsyncClient.from_profile("bot", rate_limit=False) for _ in range(4)]
    try:
        await asyncio.gather(*(c.request("POST", "/0/private/Balance") for c in clients for _ in range(5)))
    finally:
        for c in clients:
            await c.close()
    assert server.invalid == 0 and server.accepted == 20 and server.max_in_flight == 1


def test_a_nonce_window_lets_requests_overlap(server: StrictNonceServer) -> None:
    from kraken_ops.spot.base import SpotClient

    _profile(server.url, nonce_window=100)
    from kraken_ops.exceptions import KrakenInvalidNonceError

    clients = [SpotClient.from_profile("bot", rate_limit=False) for _ in range(6)]

    def work(client: SpotClient) -> None:
        for _ in range(5):
            try:
                client.request("POST", "/0/private/Balance")
            except KrakenInvalidNonceError:
                pass

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.max_in_flight > 1  # not serialised (the strict stub may then reject some: that is what the window is for)
