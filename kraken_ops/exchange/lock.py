"""One exchange per state directory.

A serving exchange holds an OS-level lock (``fcntl.flock``; ``msvcrt.locking`` on Windows)
on ``STATE_DIR/server.lock`` for as long as it runs. The operating system drops the lock
when the process ends, however it ends (a crash or ``kill -9`` included), so a stale
``server.json`` or lock file left by a dead server never blocks a new one. A second
``exchange serve`` on the same directory fails at once with :class:`StateLocked`, which
names the running server's URL and PID, before it touches the database (``--fresh``
would otherwise delete the running server's state).

The lock file holds the holder's PID; the URL comes from ``server.json`` when that file
was written by the same PID (the holder writes it once it listens).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

LOCK_NAME = "server.lock"
#: where the PID is written in the lock file (Windows locks byte 0, which others cannot read)
_PID_OFFSET = 0 if fcntl is not None else 16


class StateLocked(Exception):
    """Another exchange process serves this state directory."""

    def __init__(self, state_dir: Path, pid: int | None, url: str | None) -> None:
        self.state_dir = state_dir
        self.pid = pid
        self.url = url
        who = url or "(not listening yet)"
        pid_text = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(f"the exchange state {state_dir} is in use by a running exchange at {who} ({pid_text});"
                         " stop it or serve another --state directory")


def _try_lock(f: IO[Any]) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _holder(state_dir: Path, f: IO[Any]) -> tuple[int | None, str | None]:
    """PID in the lock file, and the URL of ``server.json`` if the same PID wrote it."""
    try:
        f.seek(_PID_OFFSET)
        pid: int | None = int(f.read(32).strip() or "x")
    except (OSError, ValueError):
        pid = None
    url = None
    try:
        info = json.loads((state_dir / "server.json").read_text())
        if isinstance(info, dict) and info.get("pid") == pid and isinstance(info.get("url"), str):
            url = info["url"]
    except (OSError, ValueError):
        pass
    return pid, url


class StateLock:
    """The lock of one state directory, held until :meth:`release` or the process ends."""

    def __init__(self, state_dir: Path, handle: IO[Any]) -> None:
        self.state_dir = state_dir
        self._handle: IO[Any] | None = handle

    @classmethod
    def acquire(cls, state_dir: str | os.PathLike[str]) -> "StateLock":
        """Lock ``state_dir`` (created if missing); raises :class:`StateLocked` when held."""
        path = Path(state_dir)
        path.mkdir(parents=True, exist_ok=True)
        # created if missing, never truncated before the lock is ours (the holder's PID is in it)
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        f = os.fdopen(fd, "r+", encoding="ascii")
        if not _try_lock(f):
            pid, url = _holder(path, f)
            f.close()
            raise StateLocked(path, pid, url)
        f.seek(0)
        f.truncate()
        f.write(" " * _PID_OFFSET + str(os.getpid()))
        f.flush()
        return cls(path, f)

    @property
    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        """Give the directory up (closing the file drops the lock)."""
        f, self._handle = self._handle, None
        if f is not None:
            f.close()
