"""A nonce source shared by every kraken-ops process on this machine.

Kraken rejects a nonce that is not larger than the last one it saw for the key
(``EAPI:Invalid nonce``). Two processes with their own clocks and counters can
break that rule in two ways: by handing out the same or a lower nonce, and by
sending two requests whose nonces arrive in the other order. The store prevents
both:

* ``next()`` takes an exclusive ``flock`` on ``<state>/nonces/<id>.nonce``, reads the
  last nonce, writes ``max(clock, last + 1)`` and releases the lock, so nonces
  strictly increase across threads *and* processes (clock ticks of 1e-8 s, like
  the in-process :class:`~kraken_ops._core.nonce.MonotonicNonce`);
* ``in_flight()`` holds ``<state>/nonces/<id>.inflight`` for the whole request, so
  two private requests of one key are never in flight at once, unless the key has
  a nonce window at Kraken (``nonce_window > 0`` in the profile), in which case
  requests overlap freely and Kraken tolerates the reordering.

``<id>`` is a hash of the market and the public key, so every profile that shares
a key shares its store. Locks taken with ``flock`` vanish when their process dies,
so a crashed bot never blocks the others.

A damaged record (garbage, a number beyond Kraken's 64-bit nonces) is repaired
with a warning: the clock takes over again. A nonce far ahead of the clock is kept
(Kraken may have seen it, and a lower one would be refused), with a warning once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import threading
import time
from pathlib import Path
from typing import AsyncIterator, Iterator

from kraken_ops._core.nonce import TICKS_PER_SECOND
from kraken_ops._core.notice import notify
from kraken_ops.profiles.errors import ProfileError

_WIDTH = 24  # fixed-width record, rewritten in place: no truncation, no torn reads
MAX_NONCE = 2**63 - 1  # Kraken's nonces are 64-bit integers
AHEAD_WARNING = 86400 * TICKS_PER_SECOND  # a last nonce more than a day ahead of the clock is worth a word


def key_id(market: str, key: str) -> str:
    """A file-name-safe id of one market's key (the key itself is not in the path)."""
    return hashlib.sha256(f"{market}:{key}".encode()).hexdigest()[:32]


class _KeyLocks:
    """The per-process side of one key's store: file descriptors and thread locks.

    ``flock`` locks belong to an open file description, so the threads of one
    process (which share the descriptor) are serialised by ``threading`` locks and
    processes by ``flock``. After ``fork`` the child reopens its own descriptors.
    """

    def __init__(self, nonce_path: Path, inflight_path: Path) -> None:
        self.nonce_path = nonce_path
        self.inflight_path = inflight_path
        self.nonce_lock = threading.Lock()
        self.inflight_lock = threading.Lock()
        self._pid = os.getpid()
        self._nonce_fd: int | None = None
        self._inflight_fd: int | None = None

    def check_fork(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self.nonce_lock = threading.Lock()
            self.inflight_lock = threading.Lock()
            self._nonce_fd = self._inflight_fd = None  # the parent's descriptors stay the parent's business

    @staticmethod
    def _open(path: Path) -> int:
        from kraken_ops.profiles.state_files import open_state_file

        return open_state_file(path, "nonce store")

    def nonce_fd(self) -> int:
        self.check_fork()
        if self._nonce_fd is None:
            self._nonce_fd = self._open(self.nonce_path)
        return self._nonce_fd

    def inflight_fd(self) -> int:
        self.check_fork()
        if self._inflight_fd is None:
            self._inflight_fd = self._open(self.inflight_path)
        return self._inflight_fd


_registry_lock = threading.Lock()
_registry: dict[str, _KeyLocks] = {}


def _locks_for(directory: Path, ident: str) -> _KeyLocks:
    path = str(directory.resolve() / ident)
    with _registry_lock:
        locks = _registry.get(path)
        if locks is None:
            locks = _registry[path] = _KeyLocks(directory / f"{ident}.nonce", directory / f"{ident}.inflight")
        return locks


class NonceStore:
    """The cross-process :class:`~kraken_ops._core.nonce.NonceSource` of one API key.

    >>> store = NonceStore("spot", "MyPublicKey", nonce_window=0)  # doctest: +SKIP
    >>> with store.in_flight():                                    # doctest: +SKIP
    ...     nonce = store.next()   # strictly above every nonce any process got before
    """

    def __init__(self, market: str, key: str, *, nonce_window: int = 0, directory: Path | None = None) -> None:
        if directory is None:
            from kraken_ops.profiles.config import state_dir

            directory = state_dir() / "nonces"
        self.market = market
        self.key = key
        self.nonce_window = nonce_window
        self.directory = Path(directory)
        self._locks = _locks_for(self.directory, key_id(market, key))
        self._warned_ahead = False

    def __repr__(self) -> str:
        return f"NonceStore(market={self.market!r}, key={self.key[:6]!r}..., nonce_window={self.nonce_window})"

    # --- nonces ----------------------------------------------------------------
    def next(self) -> str:
        """A nonce strictly greater than every nonce handed out for this key before."""
        locks = self._locks
        locks.check_fork()
        with locks.nonce_lock:
            fd = locks.nonce_fd()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                clock = int(time.time() * TICKS_PER_SECOND)
                raw = os.pread(fd, 64, 0)
                last = self._last_in(raw, clock)
                nonce = max(clock, last + 1)
                record = str(nonce).rjust(_WIDTH, "0").encode() + b"\n"
                if os.pwrite(fd, record, 0) != len(record):  # pragma: no cover - disk full
                    raise ProfileError(f"cannot write the nonce store {self.directory}")
                if len(raw) > len(record):  # a longer (damaged) record: drop its tail
                    os.ftruncate(fd, len(record))
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        return str(nonce)

    def _last_in(self, raw: bytes, clock: int) -> int:
        """The last nonce in a record; 0 (with a warning) when the record is damaged."""
        text = raw.split(b"\n", 1)[0].strip(b"\x00 \t\r")
        if not text and not raw.strip(b"\x00 \t\r\n"):
            return 0  # a new store
        if not text.isdigit() or int(text) > MAX_NONCE - 1:
            what = "a number beyond Kraken's 64-bit nonces" if text.isdigit() else "an unreadable record"
            notify(f"warning: repaired the damaged nonce store {self._locks.nonce_path} ({what}); nonces follow the clock again")
            return 0
        last = int(text)
        if last - clock > AHEAD_WARNING and not self._warned_ahead:
            self._warned_ahead = True
            days = (last - clock) / TICKS_PER_SECOND / 86400
            notify(
                f"warning: the nonce store {self._locks.nonce_path} is {days:.0f} days ahead of the clock; "
                "kept, since Kraken may have seen those nonces (nonces go on from there)"
            )
        return last

    def last(self) -> int:
        """The last nonce handed out (0 if none); for diagnostics."""
        self._locks.check_fork()
        with self._locks.nonce_lock:
            fd = self._locks.nonce_fd()
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                raw = os.pread(fd, 64, 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        text = raw.split(b"\n", 1)[0].strip(b"\x00 \t\r")
        return int(text) if text.isdigit() and int(text) <= MAX_NONCE else 0

    # --- one request at a time ------------------------------------------------------
    @property
    def serialised(self) -> bool:
        """Whether requests of this key wait for each other (no nonce window)."""
        return self.nonce_window <= 0

    def _acquire(self) -> None:
        locks = self._locks
        locks.check_fork()
        locks.inflight_lock.acquire()
        try:
            fcntl.flock(locks.inflight_fd(), fcntl.LOCK_EX)
        except BaseException:
            locks.inflight_lock.release()
            raise

    def _release(self) -> None:
        locks = self._locks
        try:
            fcntl.flock(locks.inflight_fd(), fcntl.LOCK_UN)
        finally:
            locks.inflight_lock.release()

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Hold the key for one request (take the nonce and send inside the block)."""
        if not self.serialised:
            yield
            return
        self._acquire()
        try:
            yield
        finally:
            self._release()

    @contextlib.asynccontextmanager
    async def async_in_flight(self) -> AsyncIterator[None]:
        """:meth:`in_flight` for asyncio: waits in a worker thread, never blocks the loop."""
        if not self.serialised:
            yield
            return
        waiting = asyncio.ensure_future(asyncio.to_thread(self._acquire))
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The worker thread may still get the lock after we gave up: hand it back then.
            waiting.add_done_callback(lambda f: self._release() if not f.cancelled() and f.exception() is None else None)
            raise
        try:
            yield
        finally:
            self._release()


_stores_lock = threading.Lock()
_stores: dict[tuple[str, str, str, int], NonceStore] = {}


def store_for(market: str, key: str, *, nonce_window: int = 0, directory: Path | None = None) -> NonceStore:
    """The shared :class:`NonceStore` of one key in this process (one per settings)."""
    if directory is None:
        from kraken_ops.profiles.config import state_dir

        directory = state_dir() / "nonces"
    ident = (str(Path(directory)), market, key, nonce_window)
    with _stores_lock:
        store = _stores.get(ident)
        if store is None:
            store = _stores[ident] = NonceStore(market, key, nonce_window=nonce_window, directory=Path(directory))
        return store


def _reinit_after_fork() -> None:
    global _registry_lock, _stores_lock
    _registry_lock = threading.Lock()
    _stores_lock = threading.Lock()
    for locks in _registry.values():
        locks.check_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)


__all__ = ["NonceStore", "store_for", "key_id"]
