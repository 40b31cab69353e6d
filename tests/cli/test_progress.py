"""Progress for long work: on stderr, on a terminal only, never in JSON mode.

Drawing is tested with a forced-terminal rich Console writing to a buffer, and end to end
with stderr attached to a pseudo-terminal.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from kraken_ops.cli import progress
from kraken_ops.cli.context import GlobalOptions, Kind


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=80, color_system=None), buffer


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


# --- when progress may be drawn ------------------------------------------------------------
def test_progress_only_on_a_terminal_and_never_in_json_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal
    assert progress.console(GlobalOptions(output="table")) is None
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    assert progress.console(GlobalOptions(output="table")) is not None
    assert progress.console(GlobalOptions(output="json")) is None
    assert progress.console(GlobalOptions(output="ndjson")) is None


# --- multi-profile commands ----------------------------------------------------------------
class FakeClient:
    def __init__(self, name: str, gate: asyncio.Event) -> None:
        self.name, self.gate = name, gate

    async def balance(self) -> dict[str, str]:
        if self.name == "slow":
            await self.gate.wait()
        return {"ZUSD": "1"}

    async def close(self) -> None:
        pass


def _gather(monkeypatch: pytest.MonkeyPatch, display: progress.ProfilesProgress) -> Any:
    from kraken_ops.cli import clients

    async def run() -> Any:
        gate = asyncio.Event()
        monkeypatch.setattr(clients, "make_client", lambda spec, name, options, asynchronous=False, config=None: FakeClient(name, gate))
        # the slow profile finishes only once its pending line has been drawn
        asyncio.get_running_loop().call_later(0.3, gate.set)
        return await clients.gather_profiles("spot.User", ["fast", "slow"], lambda c: c.balance(), GlobalOptions(kind=Kind.read), display=display)

    return asyncio.run(run())


def test_multi_profile_progress_shows_each_profile_pending_then_done(monkeypatch: pytest.MonkeyPatch) -> None:
    console, buffer = terminal()
    shown = progress.ProfilesProgress(["fast", "slow"], console, show_after=0.0)
    results, errors = _gather(monkeypatch, shown)
    assert set(results) == {"fast", "slow"} and not errors
    text = buffer.getvalue()
    assert re.search(r"fast\s+done", text) and re.search(r"slow\s+pending", text) and re.search(r"slow\s+done", text), text


def test_multi_profile_progress_waits_a_second_before_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    console, buffer = terminal()
    shown = progress.ProfilesProgress(["fast", "slow"], console, show_after=30.0)
    _gather(monkeypatch, shown)
    assert buffer.getvalue() == ""


class ThreadClient:
    """A sync client of the threaded path (read_profiles): the slow one waits for a gate, the bad one fails."""

    def __init__(self, name: str, gate: threading.Event) -> None:
        self.name, self.gate = name, gate

    def balance(self) -> dict[str, str]:
        if self.name == "slow":
            assert self.gate.wait(30), "the gate was never opened"
        if self.name == "bad":
            raise RuntimeError("no answer")
        return {"ZUSD": "1"}

    def close(self) -> None:
        pass


def _read(monkeypatch: pytest.MonkeyPatch, display: progress.ProfilesProgress, gate: threading.Event) -> Any:
    from kraken_ops.cli import clients

    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(Path(os.environ.get("TMPDIR", "/tmp")) / "kraken-ops-no-such-config.toml"))
    monkeypatch.setattr(clients, "make_client", lambda spec, name, options, asynchronous=False, config=None: ThreadClient(name, gate))
    return clients.read_profiles("spot.User", ["fast", "slow", "bad"], lambda c: c.balance(), GlobalOptions(kind=Kind.read), display=display)


def test_threaded_multi_profile_reads_show_each_profile_pending_then_done(monkeypatch: pytest.MonkeyPatch) -> None:
    """The read commands query several profiles from threads (read_profiles): the same progress lines."""
    console, buffer = terminal()
    gate = threading.Event()
    shown = progress.ProfilesProgress(["fast", "slow", "bad"], console, show_after=0.2)
    original = shown.start

    def start() -> None:  # the slow profile finishes only once its pending line has been drawn
        original()
        gate.set()

    shown.start = start  # type: ignore[method-assign]
    results, errors = _read(monkeypatch, shown, gate)
    assert list(results) == ["fast", "slow"] and list(errors) == ["bad"]
    text = buffer.getvalue()
    assert re.search(r"fast\s+done", text) and re.search(r"slow\s+pending", text) and re.search(r"slow\s+done", text), text
    assert re.search(r"bad\s+failed", text), text


def test_threaded_reads_that_finish_quickly_draw_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    console, buffer = terminal()
    gate = threading.Event()
    gate.set()
    results, errors = _read(monkeypatch, progress.ProfilesProgress(["fast", "slow", "bad"], console, show_after=30.0), gate)
    assert set(results) == {"fast", "slow"} and set(errors) == {"bad"}
    assert buffer.getvalue() == ""


def test_multi_profile_progress_marks_failed_profiles() -> None:
    console, buffer = terminal()
    shown = progress.ProfilesProgress(["a", "b"], console, show_after=0.0)
    shown.done("a", False)
    shown.start()
    shown.done("b", True)
    shown.stop()
    text = buffer.getvalue()
    assert re.search(r"a\s+failed", text) and re.search(r"b\s+done", text), text


# --- exports ---------------------------------------------------------------------------------
class FakeExports:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.calls: list[str] = []

    def get_export_report_status(self, report: str) -> list[dict[str, str]]:
        self.calls.append(report)
        if report != "ledgers":
            return []
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return [{"id": "GEHI", "status": status}]


def test_export_wait_shows_kraken_status_and_elapsed_time() -> None:
    from kraken_ops.cli.commands.exports import wait_until_processed

    console, buffer = terminal()
    user = FakeExports(["Queued", "Processing", "Processing", "Processed"])
    item = wait_until_processed(user, None, "GEHI", interval=0.15, display=progress.export_wait("GEHI", console))
    assert item["status"] == "Processed"
    assert user.calls[:2] == ["trades", "ledgers"] and set(user.calls[2:]) == {"ledgers"}  # found among both kinds, then polled alone
    text = buffer.getvalue()
    assert "export GEHI: Kraken is preparing the report (Processing)" in text and re.search(r"0:00:0\d", text), text


class FakeResponse:
    def __init__(self, size: int, length: bool) -> None:
        self.size = size
        self.headers = {"Content-Length": str(size)} if length else {}

    def iter_content(self, chunk: int) -> Any:
        for start in range(0, self.size, chunk):
            yield b"x" * min(chunk, self.size - start)

    def close(self) -> None:
        pass


class FakeRetrieve:
    def __init__(self, response: FakeResponse) -> None:
        self.response = response

    def retrieve_export(self, id_: str, timeout: int) -> FakeResponse:
        return self.response


@pytest.mark.parametrize("length", [True, False])
def test_download_shows_bytes_and_rate_and_eta(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, length: bool) -> None:
    from kraken_ops.cli.commands import exports

    console, buffer = terminal()
    monkeypatch.setattr(progress, "console", lambda options=None: console)
    result = exports.run_download(FakeRetrieve(FakeResponse(3 * 65536 + 10, length)), "GEHI", str(tmp_path / "r.zip"))
    assert result["bytes"] == 3 * 65536 + 10 and (tmp_path / "r.zip").stat().st_size == result["bytes"]
    text = buffer.getvalue()
    assert "downloading GEHI" in text and re.search(r"\d+(\.\d+)?(/[\d.?]+)? ?[kM]B", text), text
    assert ("-:--:--" in text or "0:00:00" in text) == length  # time left only when the size is known
    assert "/s" in text  # the rate


def test_exports_create_without_wait_prints_the_command_that_fetches_it(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.add_profile("bot1")
    created = cli("exports", "create", "--report", "ledgers", "-p", "bot1", "--json")
    assert created.exit_code == 0, created.stderr
    report_id = json.loads(created.stdout)["id"]
    command = f"kraken-ops exports download {report_id} ledgers-{report_id}.zip --wait -p bot1"
    assert f"next: {command}" in created.stderr
    monkeypatch.chdir(tmp_path)
    fetched = cli(*command.split()[1:], "--json")
    assert fetched.exit_code == 0, fetched.stderr
    assert (tmp_path / f"ledgers-{report_id}.zip").stat().st_size == json.loads(fetched.stdout)["bytes"] > 0


def test_exports_create_says_the_next_step_after_its_result(cli: Any) -> None:
    """On one screen (stdout and stderr together) the result comes first, then the next step."""
    cli.add_profile("bot1")
    both = subprocess.run([sys.executable, "-m", "kraken_ops.cli", "exports", "create", "--report", "ledgers", "-p", "bot1", "-o", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=cli.env(), timeout=120, text=True)
    assert both.returncode == 0, both.stdout
    assert both.stdout.index('"id"') < both.stdout.index("next: kraken-ops exports download"), both.stdout


# --- end to end: stderr a pseudo-terminal --------------------------------------------------------
def _run_with_pty_stderr(cli: Any, *args: str) -> tuple[int, str, str]:
    master, slave = os.openpty()
    env = cli.env() | {"COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "kraken_ops.cli", *args], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    poller = select.poll()  # not select.select: the test process may hold more than 1024 descriptors
    poller.register(master, select.POLLIN)
    while True:
        if not poller.poll(60_000):
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(60)
    os.close(master)
    return code, out, b"".join(chunks).decode(errors="replace")


def test_download_progress_is_drawn_on_a_terminal_stderr_only(cli: Any, tmp_path: Path) -> None:
    cli.add_profile("bot1")
    target = tmp_path / "l.zip"
    code, out, err = _run_with_pty_stderr(cli, "exports", "create", "--report", "ledgers", "--download", str(target), "-p", "bot1", "-o", "table")
    assert code == 0, err
    assert "downloading" in err and target.exists()
    assert "downloading" not in out  # never on stdout
    # the same in JSON mode, or with stderr not a terminal: nothing drawn
    code, out, err = _run_with_pty_stderr(cli, "exports", "create", "--report", "ledgers", "--download", str(tmp_path / "l2.zip"), "-p", "bot1", "-o", "json")
    assert code == 0 and "downloading" not in err and "\x1b[" not in err, err
    piped = cli.subprocess("exports", "create", "--report", "ledgers", "--download", str(tmp_path / "l3.zip"), "-p", "bot1", "-o", "table")
    assert piped.returncode == 0 and "downloading" not in piped.stderr and "\x1b[" not in piped.stderr
