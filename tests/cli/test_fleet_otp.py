"""Profiles whose Spot key wants its 2FA code typed (``otp = "prompt"``) on commands that
work on several accounts from threads: every code is asked first, one profile after the
other, on the main thread, once per command; a profile that gets no code fails alone."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest

from kraken_ops.profiles import otp as profile_otp

PASSWORDS = {"a": "pw-of-a", "b": "pw-of-b"}


def otp_profile(cli: Any, name: str) -> None:
    """A paper profile whose exchange account requires a 2FA password, and that asks for it (otp = "prompt")."""
    account_name = f"otp{uuid.uuid4().hex[:10]}"
    with cli.exchange._lock:
        account = cli.exchange.db.add_account(account_name, otp_password=PASSWORDS[name])
        cli.exchange._deposit(account_name, "ZUSD", "10000")
    cli.add_profile(name, account, otp="prompt")


def questions(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> list[tuple[str, bool]]:
    """A terminal that answers ``answers``; returns the questions asked: (profile, asked on the main thread)."""
    asked: list[tuple[str, bool]] = []

    def read_hidden(text: str) -> str:
        name = next(n for n in answers if f"profile {n}'s" in text)
        asked.append((name, threading.current_thread() is threading.main_thread()))
        return answers[name]

    monkeypatch.setattr(profile_otp, "has_terminal", lambda: True)
    monkeypatch.setattr(profile_otp, "read_hidden", read_hidden)
    return asked


def test_a_multi_profile_read_asks_each_code_once_before_its_threads_start(cli, monkeypatch):
    asked = questions(monkeypatch, PASSWORDS)
    otp_profile(cli, "a")
    otp_profile(cli, "b")
    cli.add_profile("c")
    result = cli("balances", "-p", "a", "-p", "b", "-p", "c", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert set(json.loads(result.stdout)) == {"a", "b", "c"}
    assert asked == [("a", True), ("b", True)]  # in profile order, on the main thread, never from the read threads


def test_a_fleet_write_asks_first_and_a_profile_without_a_code_fails_alone(cli, monkeypatch):
    asked = questions(monkeypatch, {"a": PASSWORDS["a"], "b": ""})  # no answer for b
    otp_profile(cli, "a")
    otp_profile(cli, "b")
    result = cli("orders", "cancel-all", "-p", "a", "-p", "b", "--yes", "-o", "json")
    assert result.exit_code == 5, result.stderr  # some accounts failed
    doc = json.loads(result.stdout)
    assert doc["a"] == {"count": 0}
    assert doc["b"]["error"]["message"] == "no 2FA code given for profile 'b'"
    assert asked == [("a", True), ("b", True)]  # b is not asked again from its thread


def test_futures_work_asks_no_code(cli, monkeypatch):
    asked = questions(monkeypatch, PASSWORDS)
    otp_profile(cli, "a")
    otp_profile(cli, "b")
    result = cli("futures", "orders", "cancel-all", "-p", "a", "-p", "b", "--yes", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert set(json.loads(result.stdout)) == {"a", "b"}
    assert asked == []  # Kraken Futures keys have no 2FA
