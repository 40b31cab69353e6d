"""Helpers shared by the profile tests (importable: tests/profiles is on sys.path)."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from typing import Mapping, Sequence

from kraken_ops.profiles import secrets
from kraken_ops.profiles.config import read_config


def stored(name: str, market: str) -> str | None:
    """The keyring secret of profile ``name``/``market`` of the current config file (its namespace)."""
    return secrets.keyring_get(name, market, read_config().id)


def run_on_pty(argv: Sequence[str], answer: str | None, env: Mapping[str, str], *, prompt: str = "[y/N]", timeout: float = 60) -> tuple[int, str]:
    """Run ``argv`` with stdin, stdout and stderr on a pseudo-terminal; type ``answer`` at ``prompt``.

    Returns the exit code and everything the program wrote on the terminal.
    """
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.execvpe(argv[0], list(argv), dict(env))
        finally:
            os._exit(127)
    poller = select.poll()  # not select.select: the test process may hold more than 1024 descriptors
    poller.register(fd, select.POLLIN)
    seen = b""
    answered = answer is None
    status: int | None = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if poller.poll(200):
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                seen += chunk
                if not chunk:
                    break
            if not answered and prompt.encode() in seen:
                os.write(fd, (answer or "").encode() + b"\n")
                answered = True
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
                break
    finally:
        if status is None:
            if time.monotonic() >= deadline or sys.exc_info()[0] is not None:
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        while poller.poll(100):  # what is left on the terminal
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace").replace("\r\n", "\n")
