"""Nonce safety against the local exchange (strict nonce, response jitter).

The issue's experiment: 8 processes x 25 private calls each on one profile, window 0,
with the exchange's latency fault adding 10-30 ms of random delay per request before
the nonce check. With the profile's cross-process store: zero invalid nonces. The
control (plain per-process nonces, same key, same load) shows why it matters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

PROCESSES = 8
CALLS = 25

SDK_WORKER = textwrap.dedent(
    """
    import sys
    from kraken_ops.exceptions import KrakenApiLimitExceededError, KrakenInvalidNonceError
    from kraken_ops.spot import User

    mode, calls = sys.argv[1], int(sys.argv[2])
    if mode == "profile":
        user = User.from_profile("bot")
    else:  # control: the same key with per-process nonces only
        import os
        user = User(key=os.environ["KRAKEN_OPS_API_KEY"], secret=os.environ["KRAKEN_OPS_SECRET_KEY"], url=os.environ["EXCHANGE_URL"])
    ok = invalid = limited = 0
    for _ in range(calls):
        try:
            user.get_account_balance()
            ok += 1
        except KrakenInvalidNonceError:
            invalid += 1
        except KrakenApiLimitExceededError:  # the nonce was accepted (checked first), the call counter was not
            limited += 1
    print(ok, invalid, limited)
    """
)


@pytest.fixture
def jittery(exchange_factory: Any, tmp_path: Path) -> Iterator[Any]:
    """An exchange with 10-30 ms random latency whose REST rate counter keeps draining.

    The exchange checks the nonce before the rate limit; moving its clock forward in the
    background keeps 200 quick calls on one key under Kraken's call counter, so that
    every call gets a definite answer about its nonce. The clients' shared rate counter
    (``<state>/nonces/*.rate``) is emptied as often, so that they do not wait for the
    real decay either (``test_rate_store.py`` tests the waiting).
    """
    from kraken_ops.profiles.rate_store import SharedCallCounter

    server = exchange_factory(faults=["latency=20"])
    stop = threading.Event()
    nonces = tmp_path / "state" / "nonces"

    def drain() -> None:
        while not stop.wait(0.02):
            server.ctx.clock.advance(10)
            for path in nonces.glob("*.rate"):
                SharedCallCounter(20.0, 1.0, path).reset()

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(5)


def _env(isolated: Path, tmp_path: Path, account: Any, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KRAKEN_OPS_CONFIG=str(isolated),
        KRAKEN_OPS_STATE_DIR=str(tmp_path / "state"),
        # the subprocesses have no keyring: the environment supplies the secret of the profile's own key
        KRAKEN_OPS_API_KEY=account.spot_key,
        KRAKEN_OPS_SECRET_KEY=account.spot_secret,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        EXCHANGE_URL=url,
    )
    env.pop("KRAKEN_OPS_PROFILE", None)
    return env


def _setup(jittery: Any, unique_name: str) -> Any:
    from kraken_ops.profiles.manage import store_paper_profile

    account = jittery.add_account(unique_name, fund={"USD": "1000"}, nonce_window=0)
    store_paper_profile("bot", jittery.url, account.spot_key, account.spot_secret, account.futures_key, account.futures_secret)
    return account


def _run_sdk(mode: str, env: dict[str, str]) -> tuple[int, int]:
    procs = [
        subprocess.Popen([sys.executable, "-c", SDK_WORKER, mode, str(CALLS)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    ok = invalid = 0
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        a, b, _limited = map(int, out.split())
        ok, invalid = ok + a, invalid + b
    return ok, invalid


@pytest.mark.timeout(600)
def test_eight_sdk_processes_on_one_profile_get_no_invalid_nonce(jittery: Any, unique_name: str, isolated: Path, tmp_path: Path) -> None:
    account = _setup(jittery, unique_name)
    ok, invalid = _run_sdk("profile", _env(isolated, tmp_path, account, jittery.url))
    print(f"\nwith the profile nonce store: {ok} ok, {invalid} invalid nonces")
    assert (ok, invalid) == (PROCESSES * CALLS, 0)


@pytest.mark.timeout(600)
def test_control_per_process_nonces_on_one_key_do_collide(jittery: Any, unique_name: str, isolated: Path, tmp_path: Path) -> None:
    account = _setup(jittery, unique_name)
    ok, invalid = _run_sdk("plain", _env(isolated, tmp_path, account, jittery.url))
    print(f"\nwithout it (per-process nonces): {ok} ok, {invalid} invalid nonces")
    assert invalid > 0


@pytest.mark.timeout(900)  # 200 CLI process starts: slow on a small, busy machine
def test_eight_kraken_ops_processes_x_25_calls_get_no_invalid_nonce(jittery: Any, unique_name: str, isolated: Path, tmp_path: Path) -> None:
    """Real ``kraken-ops`` processes: 8 concurrent loops of 25 ``balances`` commands on one profile."""
    account = _setup(jittery, unique_name)
    env = _env(isolated, tmp_path, account, jittery.url)
    # the `kraken-ops` console script, run with this interpreter
    command = [sys.executable, "-c", "from kraken_ops.cli.app import main; main()", "--profile", "bot", "-o", "json", "balances"]

    def loop(_: int) -> list[tuple[int, str]]:
        results = []
        for _ in range(CALLS):
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
            results.append((done.returncode, done.stderr.strip()))
        return results

    with ThreadPoolExecutor(PROCESSES) as pool:
        results = [r for batch in pool.map(loop, range(PROCESSES)) for r in batch]
    failures = [err for code, err in results if code != 0]
    nonce_errors = [err for err in failures if "nonce" in err.lower()]
    print(f"\nkraken-ops processes: {len(results) - len(failures)} ok, {len(nonce_errors)} invalid nonces")
    assert nonce_errors == [] and failures == []
    assert len(results) == PROCESSES * CALLS
    assert json.loads(subprocess.run(command, env=env, capture_output=True, text=True, timeout=60).stdout) is not None
