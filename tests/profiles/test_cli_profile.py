"""``kraken-ops profile ...`` end to end through typer (in-memory keyring, isolated config)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from kraken_ops.cli.commands.profile import app
from kraken_ops.profiles.config import read_config

from profile_helpers import stored

SECRET = "c2VjcmV0LXZhbHVlLTEyMzQ="
SECRET2 = "b3RoZXItc2VjcmV0LXZhbHVl"
REPO = Path(__file__).resolve().parents[2]


def run(*args: str, input: str | None = None) -> object:
    return CliRunner().invoke(app, list(args), input=input)


def add(name: str, key: str, secret: str = SECRET, *extra: str) -> object:
    result = run("add", name, "--stdin", *extra, input=f"{key}\n{secret}\n")
    assert result.exit_code == 0, result.stderr
    return result


def assert_one_line_error(result: object, code: int, *fragments: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_add_reads_key_and_secret_from_stdin_and_keeps_the_secret_out_of_everything(isolated: Path) -> None:
    result = add("bot1", "KEY1", SECRET, "--tier", "pro", "--description", "first bot")
    assert SECRET not in result.stdout + result.stderr
    assert SECRET not in isolated.read_text()
    assert stored("bot1", "spot") == SECRET
    profile = read_config().get("bot1")
    assert (profile.spot_key, profile.tier, profile.description) == ("KEY1", "pro", "first bot")


def test_add_has_no_way_to_pass_a_secret_on_the_command_line() -> None:
    for flag in ("--secret", "--key", "--api-secret"):
        result = run("add", "bot1", flag, SECRET)
        assert result.exit_code == 2


def test_add_without_a_terminal_and_without_stdin_flag_is_a_usage_error() -> None:
    assert_one_line_error(run("add", "bot1", input=""), 2, "--stdin")


def test_add_with_incomplete_stdin_is_a_usage_error() -> None:
    assert_one_line_error(run("add", "bot1", "--stdin", input="KEY1\n"), 2, "two", "line")


def test_add_futures_sandbox_and_paper_settings() -> None:
    add("demo", "FKEY", SECRET, "--market", "futures", "--environment", "sandbox")
    add("paper", "PKEY", SECRET2, "--environment", "paper", "--url", "http://127.0.0.1:9999", "--no-confirm", "--nonce-window", "5")
    config = read_config()
    assert config.get("demo").futures_key == "FKEY" and config.get("demo").environment == "sandbox"
    paper = config.get("paper")
    assert (paper.url, paper.confirm, paper.nonce_window) == ("http://127.0.0.1:9999", False, 5)


def test_add_refuses_a_shared_key_unless_allowed_and_list_marks_it(isolated: Path) -> None:
    add("bot1", "KEY1")
    before = isolated.read_bytes()
    assert_one_line_error(run("add", "bot2", "--stdin", input=f"KEY1\n{SECRET}\n"), 3, "already used by profile bot1")
    assert isolated.read_bytes() == before
    add("bot2", "KEY1", SECRET, "--allow-shared-key")
    rows = json.loads(run("list", "--json").stdout)
    assert [(r["name"], r["shared"]) for r in rows] == [("bot1", "spot"), ("bot2", "spot")]


def test_add_default_flag_and_first_profile_default() -> None:
    add("bot1", "KEY1")
    add("bot2", "KEY2", SECRET2, "--default")
    assert read_config().default == "bot2"


def test_list_is_json_when_not_a_terminal_and_never_shows_a_secret() -> None:
    add("bot1", "KEY1-LONG-PUBLIC-KEY")
    result = run("list")
    rows = json.loads(result.stdout)
    assert rows[0]["name"] == "bot1" and rows[0]["default"] is True and rows[0]["spot_key"] == "KEY1…-KEY"
    assert SECRET not in result.stdout
    assert json.loads(run("list", "--show-keys").stdout)[0]["spot_key"] == "KEY1-LONG-PUBLIC-KEY"


def test_list_table_output() -> None:
    add("bot1", "KEY1")
    result = run("list", "-o", "table")
    assert result.exit_code == 0 and "bot1" in result.stdout and SECRET not in result.stdout


def test_show_reports_the_secret_source_not_the_secret() -> None:
    add("bot1", "KEY1")
    result = run("show", "bot1")
    data = json.loads(result.stdout)
    assert data["spot_secret"] == "keyring" and data["futures_secret"] is None and SECRET not in result.stdout


def test_show_unknown_profile_lists_known_ones() -> None:
    add("bot1", "KEY1")
    assert_one_line_error(run("show", "bot9"), 3, "unknown profile 'bot9'", "bot1")


def test_remove_deletes_keyring_entries() -> None:
    add("bot1", "KEY1")
    assert run("remove", "bot1", "--yes").exit_code == 0
    assert stored("bot1", "spot") is None and read_config().profiles == {}


def test_rename_and_default() -> None:
    add("bot1", "KEY1")
    add("bot2", "KEY2", SECRET2)
    assert run("rename", "bot1", "alpha").exit_code == 0
    assert stored("alpha", "spot") == SECRET
    assert run("default", "bot2").exit_code == 0
    assert read_config().default == "bot2"
    assert_one_line_error(run("default", "bot1"), 3, "unknown profile")


def test_import_examples_then_export_without_secrets(tmp_path: Path) -> None:
    for name in ("paper", "treasury-readonly", "bot1", "bot2"):
        assert run("import", str(REPO / "profiles" / f"{name}.toml")).exit_code == 0
    add("bot1", "KEY1")  # fill in the imported bot1's key and secret
    exported = run("export")
    assert exported.exit_code == 0 and "[profiles.treasury]" in exported.stdout and SECRET not in exported.stdout
    out = tmp_path / "backup.toml"
    assert run("export", "bot1", "--to", str(out), "--no-keys").exit_code == 0
    assert "KEY1" not in out.read_text() and "[profiles.bot1]" in out.read_text()


def test_import_missing_file_is_a_config_error(tmp_path: Path) -> None:
    assert_one_line_error(run("import", str(tmp_path / "nope.toml")), 3, "does not exist")


def test_malformed_config_is_one_line_naming_file_and_line(isolated: Path) -> None:
    isolated.parent.mkdir(parents=True)
    isolated.write_text('[profiles.bot1]\nspot_key = "K\n')
    assert_one_line_error(run("list"), 3, str(isolated), "line 2")
    assert_one_line_error(run("add", "bot2", "--stdin", input=f"K2\n{SECRET}\n"), 3, str(isolated))
    assert isolated.read_text() == '[profiles.bot1]\nspot_key = "K\n'


def test_keyring_that_refuses_is_a_config_error(memory_keyring) -> None:
    memory_keyring.refuse = True
    result = run("add", "bot1", "--stdin", input=f"KEY1\n{SECRET}\n")
    assert_one_line_error(result, 3, "refused to store")
    assert SECRET not in result.stderr + result.stdout


# --- profile test ---------------------------------------------------------------------------------------------


class KrakenStub:
    """Spot private endpoints answering from a table: path -> Kraken error (or success)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                error = stub.errors.get(self.path.split("?")[0], stub.errors.get("*"))
                body = json.dumps({"error": [error]} if error else {"error": [], "result": {"token": "t", "ZUSD": "1"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def stub() -> Iterator[KrakenStub]:
    server = KrakenStub({})
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_profile_test_reports_each_permission(stub: KrakenStub) -> None:
    stub.errors["/0/private/Ledgers"] = "EGeneral:Permission denied"
    add("bot1", "KEY1", SECRET, "--environment", "custom", "--url", stub.url)
    result = run("test", "bot1")
    assert result.exit_code == 0, result.stderr
    rows = {r["permission"]: r["result"] for r in json.loads(result.stdout)}
    assert rows["query funds"] == "ok" and rows["websocket interface"] == "ok"
    assert rows["query ledger entries"] == "denied"
    assert SECRET not in result.stdout + result.stderr


def test_profile_test_with_a_wrong_secret_fails_clearly(stub: KrakenStub) -> None:
    stub.errors["*"] = "EAPI:Invalid key"
    add("bot1", "KEY1", SECRET, "--environment", "custom", "--url", stub.url)
    result = run("test", "bot1")
    assert_one_line_error(result, 6)  # auth
    assert "EAPI:Invalid key" in result.stderr and SECRET not in result.stderr
    rows = json.loads(result.stdout.split("\n]\n")[0] + "\n]")
    assert rows[0]["result"] == "rejected" and all(r["result"] == "skipped" for r in rows[1:])


def test_profile_test_of_a_profile_without_keys_is_a_config_error() -> None:
    assert run("import", str(REPO / "profiles" / "bot1.toml")).exit_code == 0
    assert_one_line_error(run("test", "bot1"), 3, "has no key yet")
