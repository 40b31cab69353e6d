"""The cross-process rate limiter of clients built from a profile.

Unit tests of the shared counter's arithmetic (injected clock, two counters on one
file standing for two processes), and the end-to-end check: 4 processes on one
profile (tier starter) against the local exchange wait instead of getting
``EAPI:Rate limit exceeded``; per-process counters on the same load trip it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from kraken_ops.profiles.rate_store import SharedCallCounter, limits_for, shared_counter_for


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def counter(tmp_path: Path, clock: FakeClock, maximum: float = 15.0, decay: float = 0.5, margin: float = 0.0) -> SharedCallCounter:
    return SharedCallCounter(maximum, decay, tmp_path / "key.rate", clock=clock, margin_seconds=margin)


def call(c: SharedCallCounter, cost: float = 1) -> float:
    """One call answered at once: acquire, and release when it was booked."""
    wait = c.acquire(cost)
    if wait == 0:
        c.release(cost)
    return wait


def test_calls_within_the_maximum_do_not_wait_and_the_next_waits_for_the_decay(tmp_path: Path) -> None:
    c = counter(tmp_path, FakeClock())
    assert [call(c) for _ in range(15)] == [0.0] * 15
    assert c.acquire(1) == pytest.approx(2.0)  # 1 over the maximum / 0.5 per second
    assert c.acquire(2) == pytest.approx(4.0)  # nothing was booked by the refused call
    assert c.level == pytest.approx(15.0)


def test_the_level_decays_with_the_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    c = counter(tmp_path, clock)
    for _ in range(15):
        call(c)
    clock.now += 4  # 4 s x 0.5 = 2 calls' worth
    assert c.level == pytest.approx(13.0)
    assert call(c, 2) == 0.0
    assert c.acquire(1) == pytest.approx(2.0)
    clock.now += 1000
    assert c.level == 0.0  # never below zero


def test_a_call_in_flight_counts_undecayed_and_decays_from_its_answer(tmp_path: Path) -> None:
    # The first request of a connection is slow to arrive: Kraken's counter starts decaying
    # only when it arrives, so ours must not start at the sending (the one call too many).
    clock = FakeClock()
    c = counter(tmp_path, clock, maximum=20.0, decay=1.0)
    assert c.acquire(2) == 0.0
    clock.now += 3  # in flight for 3 s: Kraken may charge it at any moment, so all of it counts
    assert c.level == pytest.approx(2.0)
    c.release(2)  # its answer: its cost decays from now on, not from when it was sent
    assert c.level == pytest.approx(2.0)
    assert [call(c, 2) for _ in range(9)] == [0.0] * 9
    assert c.acquire(2) == pytest.approx(2.0)  # a limiter that decayed from the sending would let it through


def test_only_calls_in_flight_in_the_way_means_asking_again_soon(tmp_path: Path) -> None:
    from kraken_ops._core.ratelimit import POLL_IN_FLIGHT

    c = counter(tmp_path, FakeClock(), maximum=4.0, decay=1.0)
    assert c.acquire(2) == 0.0 and c.acquire(2) == 0.0
    assert c.acquire(1) == POLL_IN_FLIGHT


def test_two_counters_on_one_file_share_the_level_like_two_processes(tmp_path: Path) -> None:
    clock = FakeClock()
    a, b = counter(tmp_path, clock), counter(tmp_path, clock)
    for _ in range(8):
        assert call(a) == 0.0
    for _ in range(7):
        assert call(b) == 0.0
    assert a.acquire(1) == pytest.approx(2.0)
    assert b.level == pytest.approx(15.0)


def test_a_clock_that_steps_back_counts_as_no_time(tmp_path: Path) -> None:
    clock = FakeClock()
    c = counter(tmp_path, clock)
    call(c, 10)
    clock.now -= 0.5
    assert c.level == pytest.approx(10.0)
    assert c.acquire(6) == pytest.approx(2.0)


def test_free_calls_book_nothing_and_reset_empties_the_counter(tmp_path: Path) -> None:
    c = counter(tmp_path, FakeClock())
    assert c.acquire(0) == 0.0 and c.level == 0.0
    call(c, 15)
    c.reset()
    assert c.level == 0.0


def test_a_refusal_by_kraken_fills_the_counter(tmp_path: Path) -> None:
    c = counter(tmp_path, FakeClock())
    call(c)
    c.saturate()
    assert c.level == pytest.approx(15.0) and c.acquire(1) == pytest.approx(2.0)


def test_the_margin_keeps_half_a_second_of_decay_free(tmp_path: Path) -> None:
    c = SharedCallCounter(20.0, 1.0, tmp_path / "key.rate", clock=FakeClock())
    assert c.headroom == pytest.approx(0.5)
    assert [call(c, 2) for _ in range(9)] == [0.0] * 9
    assert c.acquire(2) == pytest.approx(0.5)  # 18 + 2 > 19.5


def test_a_call_in_flight_of_a_dead_process_is_taken_as_answered(tmp_path: Path) -> None:
    import json

    clock = FakeClock()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    record = {"level": 0.0, "at": clock.now, "in_flight": [[15.0, clock.now, int(dead)]]}
    (tmp_path / "key.rate").write_text(json.dumps(record))
    c = counter(tmp_path, clock)
    assert c.acquire(1) == pytest.approx(2.0)  # its 15 now decay, instead of blocking for good


def test_the_older_record_format_is_read(tmp_path: Path) -> None:
    clock = FakeClock()
    (tmp_path / "key.rate").write_text(f"12.000000 {clock.now:.6f}".ljust(48) + "\n")
    assert counter(tmp_path, clock).level == pytest.approx(12.0)


def test_limits_follow_the_market_and_tier() -> None:
    assert limits_for("spot", "starter") == (15.0, 0.33)
    assert limits_for("spot", "pro") == (20.0, 1.0)
    assert limits_for("spot", None) == (15.0, 0.33)
    assert limits_for("futures", "pro") == (500.0, 50.0)


def test_the_counter_lives_next_to_the_nonce_store_and_never_names_the_key(tmp_path: Path) -> None:
    c = shared_counter_for("spot", "PUBLICKEY", "pro", directory=tmp_path)
    assert c.path.parent == tmp_path and c.path.suffix == ".rate" and "PUBLICKEY" not in c.path.name
    assert shared_counter_for("spot", "PUBLICKEY", "pro", directory=tmp_path) is c


def test_clients_built_from_a_profile_get_the_shared_counter(isolated: Path) -> None:
    from kraken_ops import profiles
    from kraken_ops.profiles.manage import add_profile
    from kraken_ops.spot import User

    add_profile("bot", "spot", "BOTKEY", "c2VjcmV0LXZhbHVlLTEyMzQ=", tier="intermediate")
    kwargs = profiles.client_kwargs("bot", "spot")
    assert isinstance(kwargs["rate_limiter"], SharedCallCounter)
    limiter = kwargs["rate_limiter"]
    assert (limiter.maximum, limiter.decay_per_second, limiter.headroom) == (20.0, 0.5, 0.25)
    assert User.from_profile("bot")._limiter is kwargs["rate_limiter"]
    assert User.from_profile("bot", rate_limit=False)._limiter is None


# --- end to end: 4 processes on one profile, tier starter ---------------------------------------------

PROCESSES = 4
CALLS = 5  # 20 calls > the starter maximum of 15

WORKER = textwrap.dedent(
    """
    import sys, time
    from kraken_ops.exceptions import KrakenApiLimitExceededError, KrakenRateLimitExceededError
    from kraken_ops.spot import User

    shared, calls, start = sys.argv[1] == "shared", int(sys.argv[2]), float(sys.argv[3])
    # the control replaces the profile's shared counter by the old per-process one
    user = User.from_profile("bot") if shared else User.from_profile("bot", rate_limiter=None)
    while time.time() < start:
        time.sleep(0.005)
    ok = limited = 0
    for _ in range(calls):
        try:
            user.get_account_balance()
            ok += 1
        except (KrakenApiLimitExceededError, KrakenRateLimitExceededError):
            limited += 1
    print(ok, limited)
    """
)


def _run(mode: str, env: dict[str, str]) -> tuple[int, int]:
    start = str(time.time() + 3.0)  # all processes begin together
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, mode, str(CALLS), start], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    ok = limited = 0
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        a, b = map(int, out.split())
        ok, limited = ok + a, limited + b
    return ok, limited


def _starter_profile(exchange_factory: Any, isolated: Path, tmp_path: Path) -> dict[str, str]:
    from kraken_ops.profiles.manage import store_paper_profile

    server = exchange_factory()
    account = server.add_account("starter", fund={"USD": "100"}, tier="starter")
    store_paper_profile("bot", server.url, account.spot_key, account.spot_secret, tier="starter")
    env = dict(os.environ)
    env.update(
        KRAKEN_OPS_CONFIG=str(isolated),
        KRAKEN_OPS_STATE_DIR=str(tmp_path / "state"),
        KRAKEN_OPS_API_KEY=account.spot_key,  # no keyring in the subprocesses: the environment has the secret
        KRAKEN_OPS_SECRET_KEY=account.spot_secret,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


@pytest.mark.timeout(300)
def test_four_processes_on_one_starter_profile_wait_instead_of_hitting_the_rate_limit(exchange_factory: Any, isolated: Path, tmp_path: Path) -> None:
    env = _starter_profile(exchange_factory, isolated, tmp_path)
    began = time.monotonic()
    ok, limited = _run("shared", env)
    print(f"\nshared counter: {ok} ok, {limited} rate-limited in {time.monotonic() - began:.1f}s")
    assert (ok, limited) == (PROCESSES * CALLS, 0)


@pytest.mark.timeout(300)
def test_control_per_process_counters_on_one_key_trip_the_limit_together(exchange_factory: Any, isolated: Path, tmp_path: Path) -> None:
    env = _starter_profile(exchange_factory, isolated, tmp_path)
    ok, limited = _run("control", env)
    print(f"\nper-process counters: {ok} ok, {limited} rate-limited")
    assert limited > 0
