"""Nonces strictly increase per key, under threads and when the clock steps back."""

from __future__ import annotations

import threading

from kraken_ops._core import nonce as nonce_mod
from kraken_ops._core.nonce import MonotonicNonce, nonce_for_key


def test_eight_threads_times_1000_calls_never_repeat_or_decrease() -> None:
    source = MonotonicNonce()
    per_thread: list[list[int]] = [[] for _ in range(8)]
    start = threading.Barrier(8)

    def work(out: list[int]) -> None:
        start.wait()
        for _ in range(1000):
            out.append(int(source.next()))

    threads = [threading.Thread(target=work, args=(out,)) for out in per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [n for out in per_thread for n in out]
    assert len(set(everything)) == 8000
    for out in per_thread:
        assert all(b > a for a, b in zip(out, out[1:]))


def test_clock_stepping_back_still_increases(monkeypatch) -> None:
    source = MonotonicNonce()
    times = iter([2000.0, 1000.0, 1000.0, 3000.0])
    monkeypatch.setattr(nonce_mod.time, "time", lambda: next(times))
    got = [int(source.next()) for _ in range(4)]
    assert got[0] == 2000 * nonce_mod.TICKS_PER_SECOND
    assert got[1] == got[0] + 1 and got[2] == got[0] + 2
    assert got[3] == 3000 * nonce_mod.TICKS_PER_SECOND


def test_clients_of_one_key_share_one_source() -> None:
    assert nonce_for_key("spot:abc") is nonce_for_key("spot:abc")
    assert nonce_for_key("spot:abc") is not nonce_for_key("spot:other")
