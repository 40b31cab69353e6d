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


def counter(tmp_path: Path, clock: FakeClock, maximum: float = 15.0, decay: float = 0.5) -> SharedCallCounter:
    return SharedCallCounter(maximum, decay, tmp_path / "key.rate", clock=clock)


def test_calls_within_the_maximum_do_not_wait_and_the_next_waits_for_the_decay(tmp_path: Path) -> None:
    c = counter(tmp_path, FakeClock())
    assert [c.reserve(1) for _ in range(15)] == [0.0] * 15
    assert c.reserve(1) == pytest.approx(2.0)  # 1 over the maximum / 0.5 per second
    assert c.reserve(2) == pytest.approx(6.0)  # reservations queue up behind each other
    assert c.level == pytest.approx(18.0)


def test_the_level_decays_with_the_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    c = counter(tmp_path, clock)
    for _ in range(15):
        c.reserve(1)
    clock.now += 4  # 4 s x 0.5 = 2 calls' worth
    assert c.level == pytest.approx(13.0)
    assert c.reserve(2) == 0.0
    assert c.reserve(1) == pytest.approx(2.0)
    clock.now += 1000
    assert c.level == 0.0  # never below zero


def test_two_counters_on_one_file_share_the_level_like_two_processes(tmp_path: Path) -> None:
    clock = FakeClock()
    a, b = counter(tmp_path, clock), counter(tmp_path, clock)
    for _ in range(8):
        assert a.reserve(1) == 0.0
    for _ in range(7):
        assert b.reserve(1) == 0.0
    assert a.reserve(1) == pytest.approx(2.0)
    assert b.level == pytest.approx(16.0)


def test_a_clock_that_steps_back_counts_as_no_time(tmp_path: Path) -> None:
    clock = FakeClock()
    c = counter(tmp_path, clock)
    c.reserve(10)
    clock.now -= 3600
    assert c.level == pytest.approx(10.0)
    assert c.reserve(6) == pytest.approx(2.0)


def test_free_calls_book_nothing_and_reset_empties_the_counter(tmp_path: Path) -> None:
    c = counter(tmp_path, FakeClock())
    assert c.reserve(0) == 0.0 and c.level == 0.0
    c.reserve(20)
    c.reset()
    assert c.level == 0.0


def test_a_damaged_record_counts_as_an_empty_counter(tmp_path: Path) -> None:
    (tmp_path / "key.rate").write_bytes(b"garbage\n")
    c = counter(tmp_path, FakeClock())
    assert c.level == 0.0 and c.reserve(1) == 0.0 and c.level == pytest.approx(1.0)


def test_headroom_starts_the_waiting_one_call_early(tmp_path: Path) -> None:
    c = SharedCallCounter(15.0, 0.5, tmp_path / "key.rate", headroom=1.0, clock=FakeClock())
    assert [c.reserve(1) for _ in range(14)] == [0.0] * 14
    assert c.reserve(1) == pytest.approx(2.0)


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
    assert (limiter.maximum, limiter.decay_per_second, limiter.headroom) == (20.0, 0.5, 1.0)
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
