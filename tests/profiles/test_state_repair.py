"""Damaged state files are repaired with a warning: never exit 70, never a wait without end (issue 10, item 9).

The rate-limit file (``<state>/nonces/<id>.rate``) and the nonce file (``<id>.nonce``)
are written by kraken-ops alone, but disks, editors and crashes damage files. Whatever
they hold -- garbage bytes, huge numbers, times in the future, nothing -- the next
request goes out after a bounded wait with a valid nonce, and the user is told.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kraken_ops._core.nonce import TICKS_PER_SECOND
from kraken_ops.profiles.nonce_store import MAX_NONCE, NonceStore
from kraken_ops.profiles.rate_store import SharedCallCounter


class Notices(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def notices() -> Iterator[Notices]:
    logger = logging.getLogger("kraken_ops.notice")
    handler = Notices()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


# --- the rate-limit file ---------------------------------------------------------------------------
def pro_counter(path: Path) -> SharedCallCounter:
    return SharedCallCounter(20.0, 1.0, path)  # the longest honest wait: 20 s


DAMAGED_RATE_FILES = {
    "garbage": b"\x00\xff\xfe garbage \x13\x37",
    "huge level": json.dumps({"level": 1e300, "at": time.time(), "in_flight": []}).encode(),
    "infinite level": b'{"level": Infinity, "at": 1700000000.0, "in_flight": []}',
    "NaN level": b'{"level": NaN, "at": 1700000000.0, "in_flight": []}',
    "future time": json.dumps({"level": 20.0, "at": time.time() + 10**9, "in_flight": []}).encode(),
    "huge old record": b"1e308 9e99",
    "call in flight from the future": json.dumps({"level": 0, "at": time.time(), "in_flight": [[5, time.time() + 10**9, 1]]}).encode(),
}


@pytest.mark.parametrize("content", DAMAGED_RATE_FILES.values(), ids=DAMAGED_RATE_FILES.keys())
def test_a_damaged_rate_file_is_repaired_with_a_warning_and_the_wait_stays_bounded(tmp_path: Path, notices: Notices, content: bytes) -> None:
    path = tmp_path / "key.rate"
    path.write_bytes(content)
    counter = pro_counter(path)
    assert 0.0 <= counter.acquire(1) <= 21.0
    assert any("repaired the damaged rate-limit file" in m for m in notices.messages), notices.messages
    notices.messages.clear()
    counter.acquire(1)
    assert notices.messages == []  # repaired once: the file is sound again


def test_an_empty_rate_file_is_a_new_counter_without_a_warning(tmp_path: Path, notices: Notices) -> None:
    (tmp_path / "key.rate").write_bytes(b"")
    assert pro_counter(tmp_path / "key.rate").acquire(1) == 0.0
    assert notices.messages == []


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=200))
def test_no_rate_file_content_makes_anyone_wait_longer_than_the_full_decay(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "any.rate"
    path.write_bytes(content)
    counter = pro_counter(path)
    wait = counter.acquire(2)
    assert 0.0 <= wait <= 21.0
    assert 0.0 <= counter.level <= 22.0


# --- the nonce file --------------------------------------------------------------------------------
def store(tmp_path: Path) -> NonceStore:
    return NonceStore("spot", "DAMAGEDKEY", directory=tmp_path)


def nonce_file(tmp_path: Path) -> Path:
    s = store(tmp_path)
    return s._locks.nonce_path


def clock_nonce() -> int:
    return int(time.time() * TICKS_PER_SECOND)


@pytest.mark.parametrize(
    "content",
    [b"\x00\xff garbage", b"-5\n", b"1_000\n", "１２３".encode(), str(MAX_NONCE + 10).encode() + b"\n", b"9" * 40],
    ids=["garbage", "negative", "underscore", "full-width digits", "beyond 64 bits", "40 nines"],
)
def test_a_damaged_nonce_file_is_repaired_and_nonces_follow_the_clock(tmp_path: Path, notices: Notices, content: bytes) -> None:
    path = nonce_file(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    before = clock_nonce()
    nonce = int(store(tmp_path).next())
    assert before <= nonce <= clock_nonce() + 1 and nonce < MAX_NONCE
    assert any("repaired the damaged nonce store" in m for m in notices.messages)
    notices.messages.clear()
    assert int(store(tmp_path).next()) > nonce and notices.messages == []


def test_a_nonce_ahead_of_the_clock_is_kept_with_one_warning(tmp_path: Path, notices: Notices) -> None:
    ahead = clock_nonce() + 10 * 86400 * TICKS_PER_SECOND  # ten days in the future: Kraken may have seen it
    path = nonce_file(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(ahead))
    s = store(tmp_path)
    assert int(s.next()) == ahead + 1 and int(s.next()) == ahead + 2
    assert len([m for m in notices.messages if "ahead of the clock" in m]) == 1


def test_an_empty_nonce_file_is_a_new_store(tmp_path: Path, notices: Notices) -> None:
    path = nonce_file(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    assert int(store(tmp_path).next()) >= clock_nonce() - TICKS_PER_SECOND
    assert notices.messages == []


# --- end to end: the CLI with damaged files --------------------------------------------------------
@pytest.fixture
def paper_profile(exchange: Any, unique_name: str, tmp_path: Path) -> dict[str, str]:
    account = exchange.add_account(unique_name, fund={"ZUSD": "100"}, tier="pro")
    (tmp_path / "secret").write_text(account.spot_secret)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.bot]\nenvironment = "paper"\nurl = "{exchange.url}"\nspot_key = "{account.spot_key}"\n'
        f'tier = "pro"\nsecret_command = ["cat", "{tmp_path / "secret"}"]\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAKEN_OPS_")}
    env.update(KRAKEN_OPS_CONFIG=str(config), KRAKEN_OPS_STATE_DIR=str(tmp_path / "state"))
    env["_KEY"] = account.spot_key
    return env


def _state_files(env: dict[str, str]) -> tuple[Path, Path]:
    from kraken_ops.profiles.nonce_store import key_id

    base = Path(env["KRAKEN_OPS_STATE_DIR"]) / "nonces" / key_id("spot", env["_KEY"])
    base.parent.mkdir(parents=True, exist_ok=True)
    return base.with_suffix(".rate"), base.with_suffix(".nonce")


def _balances(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kraken_ops.cli", "balances", "-p", "bot", "-o", "json"], env=env, capture_output=True, text=True, timeout=60)


def test_the_cli_repairs_damaged_state_files_instead_of_exiting_70(paper_profile: dict[str, str]) -> None:
    rate, nonce = _state_files(paper_profile)
    rate.write_text(json.dumps({"level": 1e300, "at": time.time() + 1e9, "in_flight": []}))  # was: sleep(1e300) -> exit 70
    nonce.write_bytes(b"\xde\xad\xbe\xef garbage")
    result = _balances(paper_profile)
    assert result.returncode == 0, result.stderr
    assert "ZUSD" in json.loads(result.stdout)
    assert "warning: repaired the damaged rate-limit file" in result.stderr
    assert "warning: repaired the damaged nonce store" in result.stderr


def test_a_wait_over_a_second_for_the_rate_limit_is_announced_with_the_profile(paper_profile: dict[str, str]) -> None:
    rate, _ = _state_files(paper_profile)
    # The counter is full, and a call of a process that died is still in flight (taken as
    # answered, undecayed, when the CLI reads the file): the wait stays well over a second
    # however long the CLI takes to start on a loaded machine.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    rate.write_text(json.dumps({"level": 20.0, "at": time.time(), "in_flight": [[4.0, time.time(), int(dead)]]}))
    result = _balances(paper_profile)
    assert result.returncode == 0, result.stderr
    assert "waiting " in result.stderr and " s for Kraken's rate limit (profile bot)" in result.stderr


def test_a_bad_keyring_backend_is_a_config_error(paper_profile: dict[str, str], tmp_path: Path) -> None:
    config = Path(paper_profile["KRAKEN_OPS_CONFIG"])
    config.write_text(config.read_text().replace('secret_command = ["cat", "' + str(tmp_path / "secret") + '"]\n', ""))
    env = dict(paper_profile, PYTHON_KEYRING_BACKEND="no_such_module.Keyring")
    result = _balances(env)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("error: cannot load the keyring backend from PYTHON_KEYRING_BACKEND='no_such_module.Keyring'")
    assert json.loads(result.stdout)["error"] == "config"
