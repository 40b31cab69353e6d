"""The audit log (issue 13, item 6): one JSON line per money-moving command, with its outcome.

What is recorded (CLI, ws, raw private writes, MCP tools), what never is (secrets, dry
runs), that writing it never fails the order, the file's mode, rotation, concurrent
writers, and ``kraken-ops audit``.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kraken_ops.cli import audit

LIMIT = ("--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000")
REPO = Path(__file__).resolve().parents[2]


def entries(cli: Any) -> list[dict[str, Any]]:
    return audit.read_entries(cli.tmp / "state" / "audit.log")


# --- what is recorded ----------------------------------------------------------------------------
def test_an_order_is_recorded_with_who_where_what_and_its_txid(cli):
    cli.add_profile("bot1")
    result = cli("orders", "create", *LIMIT, "--cl-ord-id", "audit-1", "-p", "bot1", "-o", "json")
    assert result.exit_code == 0, result.stderr
    (txid,) = json.loads(result.stdout)["txid"]
    (entry,) = entries(cli)
    assert entry["profile"] == "bot1" and entry["environment"] == "paper"
    assert entry["command"] == "orders create"
    assert entry["params"] == {"pair": "XBTUSD", "side": "buy", "type": "limit", "volume": "0.01", "price": "20000", "cl_ord_id": "audit-1"}
    assert entry["outcome"]["status"] == "ok" and entry["outcome"]["ids"] == [txid]
    assert entry["host"] and entry["user"] and entry["pid"] and entry["via"] == "cli"
    assert dt.datetime.fromisoformat(entry["time"]) <= dt.datetime.now(dt.timezone.utc)


def test_a_rejected_order_is_recorded_with_the_error(cli):
    cli.add_profile("poor", cli.account({"ZUSD": "1"}))
    result = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "1", "--price", "20000", "-p", "poor")
    assert result.exit_code != 0
    (entry,) = entries(cli)
    assert entry["outcome"]["status"] == "error"
    assert entry["outcome"]["kraken_error"] == "EOrder:Insufficient funds"


def test_a_dry_run_moves_nothing_and_is_not_recorded(cli):
    cli.add_profile("bot1")
    assert cli("orders", "create", *LIMIT, "--validate", "-p", "bot1").exit_code == 0
    assert entries(cli) == []


def test_reads_are_not_recorded(cli):
    cli.add_profile("bot1")
    assert cli("balances", "-p", "bot1").exit_code == 0
    assert cli("orders", "list", "-p", "bot1").exit_code == 0
    assert entries(cli) == []


def test_closing_a_margin_position_is_recorded_with_its_order(cli):
    """`positions close` (issue 11) moves money like an order: one line, the closing order's txid."""
    cli.add_profile("bot1")
    opened = cli("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "market", "--volume", "0.01", "--leverage", "2", "-p", "bot1", "-o", "json")
    assert opened.exit_code == 0, opened.stderr
    result = cli("positions", "close", "XBTUSD", "-p", "bot1", "-o", "json")
    assert result.exit_code == 0, result.stderr
    [order] = json.loads(result.stdout)["orders"]
    entry = entries(cli)[-1]
    assert entry["command"] == "positions close" and entry["params"]["target"] == ["XBTUSD"]
    assert entry["outcome"]["status"] == "ok" and order["txid"] in entry["outcome"]["ids"]
    assert entry["action"].startswith("close with a reduce-only market sell of 0.01")


def test_futures_orders_and_transfers_are_recorded(cli):
    cli.add_profile("bot1")
    assert cli("funding", "transfer", "ZUSD", "100", "-p", "bot1").exit_code == 0
    created = cli("futures", "orders", "create", "--symbol", "PF_XBTUSD", "--side", "buy", "--type", "lmt", "--size", "0.001", "--price", "1000", "-p", "bot1", "-o", "json")
    assert created.exit_code == 0, created.stderr
    commands = [(e["command"], e["outcome"]["status"]) for e in entries(cli)]
    assert commands == [("funding transfer", "ok"), ("futures orders create", "ok")]
    assert json.loads(created.stdout)["sendStatus"]["order_id"] in entries(cli)[1]["outcome"]["ids"]


def test_websocket_orders_are_recorded(cli):
    from typer.testing import CliRunner

    from kraken_ops.cli.commands import ws

    cli.add_profile("bot1")
    result = CliRunner().invoke(ws.app, ["add-order", "--pair", "BTC/USD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000", "-p", "bot1", "--json"])
    assert result.exit_code == 0, result.stderr
    (entry,) = entries(cli)
    assert entry["command"].endswith("add-order") and entry["params"]["request"] == "add_order"
    assert entry["outcome"]["ids"] == [json.loads(result.stdout)["order_id"]]


def test_raw_private_writes_are_recorded_without_the_secret_or_otp(cli):
    import uuid

    # a key with 2FA (a static password): the exchange refuses an otp that a key does not require
    name = f"auditotp{uuid.uuid4().hex[:8]}"
    with cli.exchange._lock:
        account = cli.exchange.db.add_account(name, otp_password="654321")
        cli.exchange._deposit(name, "ZUSD", "10000")
    cli.add_profile("bot1", account)
    data = json.dumps({"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "20000", "otp": "654321"})
    result = cli("spot", "-X", "POST", f"{cli.exchange.url}/0/private/AddOrder", "-d", data, "-p", "bot1", "-o", "json")
    assert result.exit_code == 0, result.stderr
    read = cli("spot", "-X", "POST", f"{cli.exchange.url}/0/private/Balance", "-d", '{"otp": "654321"}', "-p", "bot1")
    assert read.exit_code == 0, read.stderr  # a read: not recorded
    (entry,) = entries(cli)
    assert entry["command"] == "kraken-ops spot URL" and entry["params"]["path"] == "/0/private/AddOrder"
    assert entry["params"]["data"]["otp"] == "[redacted]" and entry["params"]["data"]["pair"] == "XBTUSD"
    text = (cli.tmp / "state" / "audit.log").read_text()
    assert "654321" not in text and account.spot_secret not in text


def test_the_kraken_command_records_raw_writes_and_never_the_secret_key(cli, monkeypatch):
    account = cli.exchange.add_account(f"rawaudit{os.getpid()}", fund={"ZUSD": "1000"})
    env = {**cli.env(), "KRAKEN_API_KEY": account.spot_key, "KRAKEN_SECRET_KEY": account.spot_secret}
    proc = subprocess.run(
        [sys.executable, "-c", "from kraken_ops.cli.raw import main; main()", "spot", "-X", "POST", f"{cli.exchange.url}/0/private/CancelAll"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    (entry,) = entries(cli)
    assert entry["command"] == "kraken spot URL" and entry["profile"] is None and entry["environment"] == "custom"
    assert account.spot_secret not in (cli.tmp / "state" / "audit.log").read_text()


def test_a_lost_answer_is_recorded_as_unknown_with_the_client_order_id(cli, exchange_factory):
    from test_order_outcome_cli import LOSE, Script

    lossy = exchange_factory(faults=["lost-response=0.5"])
    cli.add_profile("bot", lossy.add_account("auditlossy", fund={"ZUSD": "10000"}), url=lossy.url)
    lossy.ctx.fault_rng = Script(*[LOSE] * 50)
    result = cli("orders", "create", *LIMIT, "-p", "bot", "--yes", "-o", "json")
    assert result.exit_code == 14
    (entry,) = entries(cli)
    assert entry["outcome"]["status"] == "unknown"
    assert entry["outcome"]["cl_ord_id"] == json.loads(result.stdout)["cl_ord_id"]
    assert entry["outcome"]["check"].startswith("kraken-ops orders show --cl-ord-id")


def test_an_interrupted_request_is_recorded_as_interrupted(cli):
    from kraken_ops.cli.clients import run_write
    from kraken_ops.cli.context import GlobalOptions, Kind
    from kraken_ops.cli.output import RECORD, Output

    cli.add_profile("bot1")

    def interrupted(client: Any) -> Any:
        raise KeyboardInterrupt

    options = GlobalOptions(profiles=["bot1"], kind=Kind.write, yes=True, command_path="kraken-ops orders cancel-all")
    with pytest.raises(KeyboardInterrupt):
        run_write("spot.Trade", "cancel ALL open orders", interrupted, RECORD, options=options, out=Output("json"))
    (entry,) = entries(cli)
    assert entry["command"] == "orders cancel-all" and entry["outcome"]["status"] == "interrupted"


def test_every_money_moving_command_goes_through_an_audited_path():
    """Each command that takes --yes (kind write or fleet) sends through run_write, ws.execute,
    the fleet runner, panic or deadman: the places the audit log is written."""
    audited = {"run_write", "execute", "run_fleet_write", "run_panic", "run_deadman"}
    found = []
    for path in (REPO / "kraken_ops" / "cli" / "commands").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            kinds = [
                kw.value.value
                for deco in node.decorator_list
                if isinstance(deco, ast.Call)
                for kw in deco.keywords
                if kw.arg == "kind" and isinstance(kw.value, ast.Constant)
            ]
            if not set(kinds) & {"write", "fleet"}:
                continue
            calls = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "") for n in ast.walk(node) if isinstance(n, ast.Call)}
            found.append(node.name)
            assert calls & audited, f"{path.name}:{node.name} moves money outside the audited paths"
    assert {"create", "cancel_all", "withdraw", "orders_cancel_all", "add_order", "panic", "deadman", "close"} <= set(found)


# --- never a secret; never in the way ------------------------------------------------------------
SECRET_KEYS = st.sampled_from(["secret", "api_secret", "secret_key", "password", "otp", "token", "signature", "API-Sign", "private_key", "passphrase"])
PLAIN_KEYS = st.sampled_from(["pair", "volume", "price", "type", "trigger", "triggerSignal", "key", "asset", "hotpath", "description"])
SECRETS = st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ23456789", min_size=12, max_size=40)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    secret=SECRETS,
    where=st.lists(st.sampled_from(["top", "nested", "list"]), min_size=1, max_size=3),
    name=SECRET_KEYS,
    plain=st.dictionaries(PLAIN_KEYS, st.text(alphabet="abc0123456789.", max_size=8), max_size=4),
)
def test_a_secret_named_parameter_never_reaches_the_line(tmp_path_factory, secret, where, name, plain):
    params: dict[str, Any] = dict(plain)
    for place in where:
        if place == "top":
            params[name] = secret
        elif place == "nested":
            params["data"] = {**params.get("data", {}), name: secret}
        else:
            params["orders"] = [{"pair": "XBTUSD", name: secret}]
    path = tmp_path_factory.mktemp("audit") / "audit.log"
    entry = audit.make_entry(command="orders create", profile="p", environment="paper", params=params, outcome=audit.outcome_ok({}))
    assert audit.append(entry, path)
    text = path.read_text()
    assert secret not in text
    written = json.loads(text)["params"]
    for key, value in plain.items():
        assert written[key] == value  # what is not a secret is kept as it was


def test_writing_the_log_never_fails_the_order_and_says_so_on_stderr(cli):
    cli.add_profile("bot1")
    (cli.tmp / "state").mkdir(exist_ok=True)
    (cli.tmp / "state" / "audit.log").mkdir()  # a directory where the file should be: writes fail
    result = cli("orders", "create", *LIMIT, "-p", "bot1", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["txid"]
    assert "warning: could not write the audit log" in result.stderr


def test_the_file_is_private_and_lines_are_whole_json(tmp_path):
    path = tmp_path / "state" / "audit.log"
    for n in range(3):
        audit.record("orders cancel-all", f"p{n}", "paper", {}, {"status": "ok"}, path=path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [e["profile"] for e in audit.read_entries(path)] == ["p0", "p1", "p2"]
    path.chmod(0o644)
    audit.record("orders cancel-all", "p3", "paper", {}, {"status": "ok"}, path=path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # loosened by hand: made private again


def test_rotation_by_size_keeps_a_bounded_number_of_files(tmp_path, monkeypatch):
    monkeypatch.setattr(audit, "MAX_BYTES", 2000)
    monkeypatch.setattr(audit, "KEEP", 3)
    path = tmp_path / "audit.log"
    for n in range(60):
        audit.record("orders cancel-all", f"p{n:02d}", "paper", {"pad": "x" * 100}, {"status": "ok"}, path=path)
    files = audit.log_files(path)
    assert [f.name for f in files] == ["audit.log.3", "audit.log.2", "audit.log.1", "audit.log"]
    assert all(f.stat().st_size <= 2000 for f in files)
    kept = [e["profile"] for e in audit.read_entries(path)]
    assert kept == sorted(kept) and kept[-1] == "p59"  # the newest entries, in order
    assert len(kept) < 60  # the oldest rotated away


WRITER = """
import sys
from kraken_ops.cli import audit
audit.MAX_BYTES = int(sys.argv[2]); audit.KEEP = int(sys.argv[3])
for n in range(int(sys.argv[4])):
    audit.record("orders create", sys.argv[1], "paper", {"n": n, "pad": "y" * 700}, {"status": "ok"}, path=__import__("pathlib").Path(sys.argv[5]))
"""


@pytest.mark.parametrize("max_bytes", [10**9, 30_000], ids=["one file", "rotating"])
def test_concurrent_processes_never_interleave_partial_lines(tmp_path, max_bytes):
    path = tmp_path / "audit.log"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, f"w{i}", str(max_bytes), "1000", "150", str(path)], cwd=REPO)
        for i in range(4)
    ]
    assert [p.wait(120) for p in procs] == [0, 0, 0, 0]
    bad: list[str] = []
    found = audit.read_entries(path, bad=bad)
    assert bad == []
    assert len(found) == 600
    for writer in range(4):
        assert sorted(e["params"]["n"] for e in found if e["profile"] == f"w{writer}") == list(range(150))


# --- kraken-ops audit ---------------------------------------------------------------------------
def seed(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        ("2026-05-01T10:00:00.000Z", "bot1", "orders create", {"status": "ok", "ids": ["OAAAAA-AAAAA-AAAAAA"]}),
        ("2026-05-02T10:00:00.000Z", "bot2", "orders cancel-all", {"status": "error", "error": "network", "message": "timed out"}),
        ("2026-05-03T10:00:00.000Z", "bot1", "panic", {"status": "unknown", "error": "outcome", "message": "the answer was lost"}),
    ]
    with open(path, "w") as handle:
        for when, profile, command, outcome in rows:
            handle.write(json.dumps({"time": when, "profile": profile, "environment": "paper", "command": command, "params": {}, "outcome": outcome, "host": "h", "user": "u", "pid": 1, "via": "cli"}) + "\n")
        handle.write("not json at all\n")


def test_audit_filters_by_profile_and_since(cli):
    cli.add_profile("bot1", tags=["bots"])
    cli.add_profile("bot2")
    seed(cli.tmp / "state" / "audit.log")
    everything = json.loads(cli("audit", "-o", "json").stdout)
    assert [e["command"] for e in everything] == ["orders create", "orders cancel-all", "panic"]
    mine = cli("audit", "--profile", "bot1", "-o", "json")
    assert [e["time"][:10] for e in json.loads(mine.stdout)] == ["2026-05-01", "2026-05-03"]
    assert "skipped 1 line(s)" in mine.stderr
    since = json.loads(cli("audit", "--since", "2026-05-02T00:00:00Z", "-o", "json").stdout)
    assert [e["profile"] for e in since] == ["bot2", "bot1"]
    assert json.loads(cli("audit", "--group", "bots", "--since", "2026-05-02", "-o", "json").stdout)[0]["command"] == "panic"
    assert json.loads(cli("audit", "--since", "1h", "-o", "json").stdout) == []


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "table"])
def test_audit_in_each_format(cli, fmt):
    cli.add_profile("bot1")
    seed(cli.tmp / "state" / "audit.log")
    result = cli("audit", "-o", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt == "ndjson":
        assert [json.loads(line)["profile"] for line in result.stdout.splitlines()] == ["bot1", "bot2", "bot1"]
    elif fmt == "csv":
        header, *rows = result.stdout.splitlines()
        assert header.startswith("time,profile,environment,command,action,status,detail")
        assert rows[0].startswith("2026-05-01T10:00:00.000Z,bot1,paper,orders create,,ok,OAAAAA-AAAAA-AAAAAA")
    else:
        assert "OAAAAA-AAAAA-AAAAAA" in result.stdout and "timed out" in result.stdout


def test_audit_bad_since_is_a_usage_error(cli):
    result = cli("audit", "--since", "yesterday")
    assert result.exit_code == 2 and result.stderr.startswith("error: --since 'yesterday' is neither")


@pytest.mark.parametrize(
    "text,seconds",
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172800), ("1w", 604800), ("1.5h", 5400)],
)
def test_relative_since(text, seconds):
    now = dt.datetime(2026, 5, 10, tzinfo=dt.timezone.utc)
    assert (now - audit.parse_since(text, now)).total_seconds() == seconds


def test_iso_since_without_an_offset_is_local_time():
    assert audit.parse_since("2026-05-01T12:00").utcoffset() == dt.datetime(2026, 5, 1, 12).astimezone().utcoffset()


def test_times_for_people_show_the_day_and_year_only_when_they_differ():
    import datetime as dt

    from kraken_ops.cli.commands.audit import short_time

    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc).astimezone()
    at = lambda when: {"time": when.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")}  # noqa: E731
    assert short_time(at(now.replace(hour=3, minute=4, second=5)), now=now) == "03:04:05"
    assert short_time(at(now - dt.timedelta(days=2)), now=now) == (now - dt.timedelta(days=2)).strftime("%m-%d %H:%M:%S")
    assert short_time(at(now.replace(year=2025)), now=now) == now.replace(year=2025).strftime("%Y-%m-%d %H:%M")
    assert short_time({"time": "junk"}, now=now) == "junk"


def test_the_table_never_splits_an_id_at_80_columns(tmp_path):
    import io

    from kraken_ops.cli.commands.audit import AuditOptions, run_audit
    from kraken_ops.cli.output import Output

    uuid_ids = ["5bf0e53a-fe66-4cae-97c7-f22188bdbfaa", "2188bdbf-fe44-4442-a686-3b2188bdbfab"]
    path = tmp_path / "audit.log"
    audit.record("futures orders create", "bot1", "paper", {}, {"status": "ok", "ids": uuid_ids}, path=path)
    audit.record("panic", "bot3", "paper", {}, {"status": "unknown", "message": "the answer to CancelAll was lost (connection dropped) and so on"}, path=path)
    stdout = io.StringIO()
    run_audit(AuditOptions(), Output("table", color=False, stdout=stdout), path)
    lines = stdout.getvalue().splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines)
    for one in uuid_ids:
        assert any(one in line for line in lines), stdout.getvalue()


def test_at_80_columns_the_command_fits_beside_futures_ids_and_failures_are_brief(tmp_path):
    """The table's detail is the ids one a line, or a few words and the command that checks;
    JSON and CSV keep the whole message."""
    import io

    from kraken_ops.cli.commands.audit import AuditOptions, run_audit
    from kraken_ops.cli.output import Output

    path = tmp_path / "audit.log"
    ids = ["5bf0e53a-fe66-4cae-97c7-f22188bdbfaa", "2188bdbf-fe44-4442-a686-3b2188bdbfab"]
    lost = "the answer to CancelAll was lost (connection dropped) and the outcome could not be checked: Kraken may or may not have carried it out"
    audit.record("futures orders create", "bot1", "paper", {}, {"status": "ok", "ids": ids}, path=path)
    audit.record("panic", "bot3", "paper", {}, {"status": "unknown", "error": "outcome", "message": lost, "check": "kraken-ops orders list --profile bot3"}, path=path)
    audit.record("orders create", "bot2", "paper", {}, {"status": "error", "error": "funds", "message": "Insufficient funds ...", "kraken_error": "EOrder:Insufficient funds"}, path=path)
    stdout = io.StringIO()
    run_audit(AuditOptions(), Output("table", color=False, stdout=stdout, width=80), path)
    text = stdout.getvalue()
    lines = text.splitlines()
    assert lines[0].split() == ["time", "profile", "command", "status", "detail"], text
    assert all(len(line.rstrip()) <= 80 for line in lines)
    assert any(line.rstrip().endswith(ids[0]) for line in lines) and any(line.rstrip().endswith(ids[1]) for line in lines)
    assert "answer lost; check: kraken-ops" in text and "could not be checked" not in text
    assert "funds: EOrder:Insufficient funds" in text
    audit.record("orders cancel-all", "bot2", "paper", {}, {"status": "interrupted", "message": "interrupted while the request was out"}, path=path)
    stdout = io.StringIO()
    run_audit(AuditOptions(), Output("table", color=False, stdout=stdout, width=80), path)
    assert "interrupted while out: check before" in stdout.getvalue()  # a wider status: the command may give way
    csv_out = io.StringIO()
    run_audit(AuditOptions(), Output("csv", stdout=csv_out), path)
    assert lost in csv_out.getvalue()
    path.unlink()
    audit.record("futures orders cancel-all", "bot1", "paper", {}, {"status": "ok", "ids": ids}, path=path)
    stdout = io.StringIO()
    run_audit(AuditOptions(), Output("table", color=False, stdout=stdout, width=80), path)
    lines = stdout.getvalue().splitlines()  # today's entries show the clock alone: room for cancel-all beside the ids
    assert lines[0].split() == ["time", "profile", "command", "status", "detail"] and any("cancel-all" in line for line in lines), lines
