"""The client-side limiter is exact: no ``EAPI:Rate limit exceeded`` from kraken-ops' own load (issue 10, item 10).

A pro-tier key allows 20 on the Spot call counter, decaying 1 a second; a ledger
query costs 2. Fifteen in a row (30) must wait for the decay instead of getting
Kraken's refusal -- also when the first request of a connection is slower to arrive
than the rest (which left the old limiter one call ahead of the exchange), and also
from several threads on one profile's shared counter.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from kraken_ops.exceptions import KrakenApiLimitExceededError
from kraken_ops.spot import User

LEDGER_QUERIES = 15


@pytest.fixture
def pro(exchange_factory: Any) -> Any:
    server = exchange_factory()
    return server, server.add_account("pro", fund={"ZUSD": "100"}, tier="pro")


@pytest.mark.timeout(120)
def test_fifteen_ledger_queries_back_to_back_on_a_pro_key_are_never_refused(pro: Any) -> None:
    server, account = pro
    user = User(key=account.spot_key, secret=account.spot_secret, url=server.url, tier="pro")
    refused = 0
    for _ in range(LEDGER_QUERIES):
        try:
            user.get_ledgers_info()
        except KrakenApiLimitExceededError:
            refused += 1
    assert refused == 0


@pytest.mark.timeout(120)
def test_threads_on_one_profile_share_the_counter_and_are_never_refused(pro: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, account = pro
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("KRAKEN_OPS_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "secret").write_text(account.spot_secret)
    (tmp_path / "config.toml").write_text(
        f'[profiles.bot]\nenvironment = "paper"\nurl = "{server.url}"\nspot_key = "{account.spot_key}"\n'
        f'tier = "pro"\nsecret_command = ["cat", "{tmp_path / "secret"}"]\n'
    )
    refused: list[int] = []

    def work() -> None:
        user = User.from_profile("bot")
        for _ in range(LEDGER_QUERIES // 3):
            try:
                user.get_ledgers_info()
            except KrakenApiLimitExceededError:
                refused.append(1)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []


def test_a_refusal_fills_the_counter_so_the_next_call_waits(pro: Any) -> None:
    server, account = pro
    from kraken_ops._core.ratelimit import CallCounter

    counter = CallCounter(20.0, 1.0)
    user = User(key=account.spot_key, secret=account.spot_secret, url=server.url, rate_limiter=counter)
    server.ctx.rest_counter.values[account.spot_key] = (20.0, server.ctx.clock())  # another program used the key
    with pytest.raises(KrakenApiLimitExceededError):
        user.get_account_balance()
    assert counter.level == pytest.approx(20.0, abs=0.1) and counter.acquire(1) > 1.0
