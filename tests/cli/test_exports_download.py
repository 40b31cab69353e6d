"""``exports download ID FILE`` never overwrites FILE unless told (issue 10, item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def report(cli):
    cli.add_profile("bot1")
    result = cli("exports", "create", "--report", "ledgers", "--wait", "-p", "bot1", "--json")
    assert result.exit_code == 0, result.stderr
    report_id = json.loads(result.stdout)["id"]
    yield report_id
    cli("exports", "delete", report_id, "-p", "bot1")


def test_download_refuses_an_existing_file_unless_force(cli, report, tmp_path: Path) -> None:
    target = tmp_path / "report.zip"
    target.write_bytes(b"my earlier report")
    result = cli("exports", "download", report, str(target), "-p", "bot1", "--json")
    assert result.exit_code == 2, result.output
    line = result.stderr.strip().splitlines()[0]
    assert line.startswith("error: ") and str(target) in line and "--force" in line and ".part" not in result.stderr
    assert target.read_bytes() == b"my earlier report"
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".report.zip*"))
    result = cli("exports", "download", report, str(target), "-p", "bot1", "--force", "--json")
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes().startswith(b"PK") and json.loads(result.stdout)["path"] == str(target)


def test_download_into_a_missing_directory_names_the_users_path(cli, report, tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "report.zip"
    result = cli("exports", "download", report, str(target), "-p", "bot1")
    assert result.exit_code == 12, result.output
    line = result.stderr.strip().splitlines()[0]
    assert str(target) in line and ".part" not in result.stderr and "No such file or directory" in line


def test_create_with_download_refuses_an_existing_file_before_asking_kraken(cli, tmp_path: Path) -> None:
    cli.add_profile("bot1")
    target = tmp_path / "report.zip"
    target.write_bytes(b"keep me")
    before = json.loads(cli("exports", "status", "--report", "ledgers", "-p", "bot1", "--json").stdout)
    result = cli("exports", "create", "--report", "ledgers", "--download", str(target), "-p", "bot1")
    assert result.exit_code == 2 and "--force" in result.stderr
    assert target.read_bytes() == b"keep me"
    after = json.loads(cli("exports", "status", "--report", "ledgers", "-p", "bot1", "--json").stdout)
    assert len(after) == len(before)  # no report was requested
