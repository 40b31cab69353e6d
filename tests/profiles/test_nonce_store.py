"""The cross-process nonce store: strictly increasing nonces and one request in flight per key."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from kraken_ops._core.nonce import NonceSource
from kraken_ops.profiles.nonce_store import NonceStore, key_id, store_for

WORKERS = 8
PER_WORKER = 200


def _take_nonces(args: tuple[str, str, int]) -> list[int]:
    directory, key, count = args
    store = NonceStore("spot", key, directory=Path(directory))
    return [int(store.next()) for _ in range(count)]


def _check(results: list[list[int]]) -> None:
    everything = [n for worker in results for n in worker]
    assert len(everything) == len(set(everything)), "a nonce was handed out twice"
    for worker in results:
        assert all(a < b for a, b in zip(worker, worker[1:])), "a worker saw its nonces go down"


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_nonces_are_unique_and_increasing_across_processes(tmp_path: Path, start_method: str) -> None:
    # the parent uses the store first, so forked children inherit open descriptors and must not share its locks
    parent = NonceStore("spot", "KEY", directory=tmp_path)
    first = int(parent.next())
    ctx = multiprocessing.get_context(start_method)
    with ctx.Pool(WORKERS) as pool:
        results = pool.map(_take_nonces, [(str(tmp_path), "KEY", PER_WORKER)] * WORKERS)
    _check(results)
    assert min(min(r) for r in results) > first
    assert int(parent.next()) > max(max(r) for r in results)


def test_nonces_are_unique_and_increasing_across_threads(tmp_path: Path) -> None:
    store = NonceStore("spot", "KEY", directory=tmp_path)
    other = NonceStore("spot", "KEY", directory=tmp_path)  # a second client of the same key in this process
    results: list[list[int]] = [[] for _ in range(8)]

    def work(i: int) -> None:
        source = store if i % 2 else other
        results[i].extend(int(source.next()) for _ in range(300))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _check(results)


def test_nonce_never_goes_below_the_stored_one_even_if_the_clock_is_behind(tmp_path: Path) -> None:
    store = NonceStore("spot", "KEY", directory=tmp_path)
    future = int(time.time() * 1e8) + 10**12
    (tmp_path / f"{key_id('spot', 'KEY')}.nonce").write_text(f"{future:024d}\n")
    assert int(store.next()) == future + 1
    assert store.last() == future + 1


def test_keys_and_markets_are_independent(tmp_path: Path) -> None:
    a = NonceStore("spot", "KEY", directory=tmp_path)
    b = NonceStore("futures", "KEY", directory=tmp_path)
    a.next()
    assert b.last() == 0 and a.last() > 0
    assert key_id("spot", "KEY") != key_id("futures", "KEY") != key_id("spot", "KEY2")


def test_the_key_is_not_in_any_file_name_and_files_are_private(tmp_path: Path) -> None:
    store = NonceStore("spot", "MY-PUBLIC-KEY", directory=tmp_path / "nonces")
    store.next()
    with store.in_flight():
        pass
    for path in (tmp_path / "nonces").iterdir():
        assert "MY-PUBLIC-KEY" not in path.name
        assert path.stat().st_mode & 0o077 == 0


def test_store_implements_the_sdk_nonce_protocol(tmp_path: Path) -> None:
    store: NonceSource = NonceStore("spot", "KEY", directory=tmp_path)
    assert int(store.next()) > 0
    with store.in_flight():
        pass


def test_store_for_shares_one_store_per_key_and_uses_the_state_dir(tmp_path: Path) -> None:
    a = store_for("spot", "KEY")
    assert a is store_for("spot", "KEY") and a is not store_for("spot", "KEY", nonce_window=5)
    a.next()
    assert (tmp_path / "state" / "nonces" / f"{key_id('spot', 'KEY')}.nonce").exists()


# --- one private request in flight per key -----------------------------------------------------------------


def _hold(args: tuple[str, str, int, float]) -> list[tuple[float, float]]:
    directory, log, window, hold = args
    store = NonceStore("spot", "KEY", nonce_window=window, directory=Path(directory))
    spans = []
    for _ in range(5):
        with store.in_flight():
            start = time.monotonic()
            store.next()
            time.sleep(hold)
            spans.append((start, time.monotonic()))
    return spans


def _overlaps(spans: list[tuple[float, float]]) -> int:
    spans = sorted(spans)
    return sum(1 for (s1, e1), (s2, e2) in zip(spans, spans[1:]) if s2 < e1)


def test_in_flight_serialises_requests_of_one_key_across_processes(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        spans = [s for worker in pool.map(_hold, [(str(tmp_path), "", 0, 0.02)] * 4) for s in worker]
    assert len(spans) == 20 and _overlaps(spans) == 0


def test_with_a_nonce_window_requests_may_overlap(tmp_path: Path) -> None:
    store = NonceStore("spot", "KEY", nonce_window=10, directory=tmp_path)
    inside = threading.Barrier(2, timeout=5)

    def request() -> None:
        with store.in_flight():
            inside.wait()  # both threads are in flight at once, or this times out

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not inside.broken


def test_in_flight_blocks_a_second_thread_until_the_first_finishes(tmp_path: Path) -> None:
    store = NonceStore("spot", "KEY", directory=tmp_path)
    entered = threading.Event()
    release = threading.Event()
    second_in = threading.Event()

    def first() -> None:
        with store.in_flight():
            entered.set()
            release.wait(5)

    def second() -> None:
        with NonceStore("spot", "KEY", directory=tmp_path).in_flight():
            second_in.set()

    t1 = threading.Thread(target=first)
    t1.start()
    entered.wait(5)
    t2 = threading.Thread(target=second)
    t2.start()
    assert not second_in.wait(0.3)
    release.set()
    assert second_in.wait(5)
    t1.join()
    t2.join()


def _hold_lock_until_told(directory: str, ready: object, go: object) -> None:
    store = NonceStore("spot", "KEY", directory=Path(directory))
    with store.in_flight():
        ready.set()  # type: ignore[attr-defined]
        go.wait(10)  # type: ignore[attr-defined]


def test_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, go = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock_until_told, args=(str(tmp_path), ready, go))
    holder.start()
    assert ready.wait(10)
    holder.kill()
    holder.join()
    done = threading.Event()

    def take() -> None:
        with NonceStore("spot", "KEY", directory=tmp_path).in_flight():
            done.set()

    threading.Thread(target=take, daemon=True).start()
    assert done.wait(5)


async def test_async_in_flight_does_not_block_the_event_loop(tmp_path: Path) -> None:
    store = NonceStore("spot", "KEY", directory=tmp_path)
    ctx = multiprocessing.get_context("spawn")
    ready, go = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock_until_told, args=(str(tmp_path), ready, go))
    holder.start()
    try:
        assert await asyncio.to_thread(ready.wait, 10)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        tick_task = asyncio.create_task(ticker())

        async def request() -> float:
            async with store.async_in_flight():
                return time.monotonic()

        waiting = asyncio.create_task(request())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the lock held by another process was not respected"
        assert ticks >= 10, "the event loop was blocked while waiting for the lock"
        go.set()
        await asyncio.wait_for(waiting, 10)
        tick_task.cancel()
    finally:
        go.set()
        holder.join(10)


async def test_cancelled_async_wait_does_not_leak_the_lock(tmp_path: Path) -> None:
    store = NonceStore("spot", "KEY", directory=tmp_path)
    release = threading.Event()
    entered = threading.Event()

    def holder() -> None:
        with store.in_flight():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    entered.wait(5)

    async def request() -> None:
        async with store.async_in_flight():
            pass

    waiting = asyncio.create_task(request())
    await asyncio.sleep(0.1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await asyncio.to_thread(thread.join, 5)
    # the worker thread took the lock after the cancellation and must have handed it back
    await asyncio.wait_for(request(), 5)
