"""Errors, hints and usage errors: one line for scripts and logs, wrapped between words on a terminal."""

from __future__ import annotations

import io
import types

import pytest

from kraken_ops.cli import errors
from kraken_ops.cli.output import say


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


LONG = ("error: --volume '\uff10.1' is not a plain decimal number (digits 0-9 and one '.', e.g. 0.01); see "
        "kraken-ops orders create -h for /a/very/long/path/that/never/splits/config.toml")


@pytest.fixture(autouse=True)
def _width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")


def test_on_a_terminal_a_message_wraps_between_words_and_loses_nothing():
    out = Terminal()
    say(LONG, out)
    lines = out.getvalue().splitlines()
    assert len(lines) > 1 and all(len(line) < 60 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:])  # the continuation is indented
    assert " ".join(line.strip() for line in lines) == LONG  # every word whole, in order
    assert any("/a/very/long/path/that/never/splits/config.toml" in line for line in lines)


def test_elsewhere_a_message_is_one_line():
    out = io.StringIO()
    say(LONG, out)
    assert out.getvalue() == LONG + "\n"


def test_reported_errors_and_hints_wrap_on_a_terminal_only(monkeypatch):
    problem = errors.UsageProblem("profile remove paper: its spot and futures secrets are deleted from "
                                  "/tmp/some/where/profile-secrets.json, and Kraken never shows a secret again; "
                                  "pass --yes to confirm without a terminal")
    options = types.SimpleNamespace(verbose=False, output="table")
    for stream, wrapped in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr("sys.stderr", stream)
        errors.report(problem, options, envelope=False)
        lines = stream.getvalue().splitlines()
        assert (len(lines) > 1) is wrapped, lines
        assert lines[0].startswith("error: ") and "/tmp/some/where/profile-secrets.json" in stream.getvalue()
