"""One exchange per state directory (issue 10, item 6): the state lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kraken_ops.exchange.lock import StateLock, StateLocked

SERVE = [sys.executable, "-c", "from kraken_ops.cli.app import main; main()", "exchange", "serve", "--port", "0"]


def _serve(state: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*SERVE, "--state", str(state), *extra], stderr=subprocess.PIPE, text=True)


def _listening(p: subprocess.Popen[str]) -> str:
    line = p.stderr.readline().strip()  # type: ignore[union-attr]
    assert line.startswith("listening on http://127.0.0.1:"), line
    return line.removeprefix("listening on ")


def _stop(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
        p.wait(10)


def test_second_serve_on_the_same_state_exits_naming_the_running_server(tmp_path):
    first = _serve(tmp_path)
    second = None
    try:
        url = _listening(first)
        second = _serve(tmp_path, "--fresh")  # --fresh must not delete the running server's database either
        try:
            code = second.wait(60)
        except subprocess.TimeoutExpired:
            pytest.fail("a second server on the same state directory kept running")
        err = second.stderr.read()  # type: ignore[union-attr]
        assert code == 3
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert url in lines[0] and f"pid {first.pid}" in lines[0]
        info = json.loads((tmp_path / "server.json").read_text())
        assert info == {"url": url, "pid": first.pid}  # not overwritten
        assert (tmp_path / "exchange.sqlite3").exists()
        assert first.poll() is None
    finally:
        _stop(first, *([second] if second else []))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_the_lock_goes_with_a_killed_server(tmp_path):
    first = _serve(tmp_path)
    _listening(first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    second = _serve(tmp_path)
    try:
        url = _listening(second)
        assert json.loads((tmp_path / "server.json").read_text()) == {"url": url, "pid": second.pid}
    finally:
        _stop(second)


def test_stale_server_json_and_lock_file_of_a_dead_server_do_not_block(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    pid = int(dead.stdout)
    (tmp_path / "server.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": pid}))
    (tmp_path / "server.lock").write_text(str(pid))
    p = _serve(tmp_path)
    try:
        url = _listening(p)
        assert json.loads((tmp_path / "server.json").read_text())["url"] == url
        assert (tmp_path / "server.lock").read_text() == str(p.pid)
    finally:
        _stop(p)


def test_in_process_servers_share_the_lock(tmp_path):
    """The test fixture's servers (server.start) take the same lock, and give it back when stopped."""
    import asyncio

    from kraken_ops.exchange.server import make_context, start

    async def main() -> None:
        ctx = make_context(tmp_path, seed=1)
        runner, url = await start(ctx, "127.0.0.1", 0)
        try:
            with pytest.raises(StateLocked) as info:
                StateLock.acquire(tmp_path)
            assert info.value.url == url and info.value.pid == os.getpid()
            assert url in str(info.value)
            other = make_context(tmp_path, seed=2)
            with pytest.raises(StateLocked):
                await start(other, "127.0.0.1", 0)
            other.db.close()
        finally:
            await runner.cleanup()
            ctx.db.close()
        StateLock.acquire(tmp_path).release()  # free again once stopped

    asyncio.run(main())
