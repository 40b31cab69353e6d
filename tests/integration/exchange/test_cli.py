"""``kraken-ops exchange`` subcommands (run in-process through typer's runner)."""

import json

from typer.testing import CliRunner

from kraken_ops.cli.app import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["exchange", *args])


def test_account_lifecycle(tmp_path):
    st = ["--state", str(tmp_path)]
    r = run("account", "add", "alice", "--fund", "USD=100", "--tier", "starter", "--print-credentials", *st)
    assert r.exit_code == 0
    creds = json.loads(r.stdout)
    assert len(creds["spot"]["key"]) == 56 and creds["futures"]["secret"]
    listed = json.loads(run("account", "list", "-o", "json", *st).stdout)
    assert listed[0]["name"] == "alice" and listed[0]["balances"] == {"ZUSD": "100.0000"}
    assert "secret" not in json.dumps(listed)
    assert run("account", "fund", "alice", "XBT=1", *st).exit_code == 0
    assert run("deposit", "alice", "ETH", "2", *st).exit_code == 0
    assert run("account", "add-withdraw-key", "alice", "XBT", "cold", "bc1qx", *st).exit_code == 0
    assert run("account", "remove", "alice", "--yes", *st).exit_code == 0
    assert run("account", "remove", "alice", "--yes", *st).exit_code == 3


def test_bad_input_is_one_line_with_exit_code(tmp_path):
    st = ["--state", str(tmp_path)]
    r = run("account", "add", "bob", "--fund", "USD", *st)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert run("account", "add", "bob", "--tier", "gold", *st).exit_code == 2
    assert run("deposit", "nobody", "XBT", "1", *st).exit_code == 3
    assert run("deposit", "nobody", "XBT", "-1", *st).exit_code == 2
    assert run("serve", "--fault", "nope=1", *st).exit_code == 2
    assert run("serve", "--status", "sleepy", *st).exit_code == 2


def test_cli_does_not_import_exchange_for_help():
    import subprocess
    import sys

    code = ("import sys; from kraken_ops.cli import app; "
            "print(any(m.startswith('kraken_ops.exchange') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_serve_prints_listening_line_and_records_url(tmp_path):
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "from kraken_ops.cli.app import main; main()", "exchange", "serve", "--port", "0",
                          "--state", str(tmp_path)], stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        info = json.loads((tmp_path / "server.json").read_text())
        assert info["url"] == line.removeprefix("listening on ") and info["pid"] == p.pid
    finally:
        p.terminate()
        p.wait(10)


def test_account_add_funds_futures_wallets(tmp_path):
    from decimal import Decimal

    from kraken_ops.exchange.state import State

    st = ["--state", str(tmp_path)]
    r = run("account", "add", "fut", "--fund", "USD=1", "--fund-futures", "USD=10000", "--fund-futures", "usd=5",
            "--fund-futures", "fi_xbtusd:BTC=0.5", *st)
    assert r.exit_code == 0, r.output
    db = State(tmp_path)
    try:
        rows = {(x["wallet"], x["asset"]): Decimal(x["amount"]) for x in db.query("SELECT * FROM fut_wallets")}
        assert rows == {("flex", "USD"): Decimal("10005"), ("fi_xbtusd", "XBT"): Decimal("0.5")}
        infos = [x["info"] for x in db.query("SELECT info FROM fut_log WHERE account='fut'")]
        assert infos == ["admin transfer"] * 3
    finally:
        db.close()
    bad = run("account", "add", "fut2", "--fund-futures", "fi_xbtusd:USD=1", *st)
    assert bad.exit_code == 2 and "the fi_xbtusd wallet holds XBT" in bad.output
    assert run("account", "list", "-o", "json", *st).stdout.count('"name"') == 1  # nothing was created


def test_a_server_sees_futures_funds_added_while_it_runs(exchange_factory, tmp_path):
    server = exchange_factory(seed=5)
    st = ["--state", str(server.state_dir)]
    r = run("account", "add", "live-fut", "--fund-futures", "USD=700", "--print-credentials", *st)
    assert r.exit_code == 0, r.output
    creds = json.loads(r.stdout)
    from kraken_ops.futures import User

    wallets = User(key=creds["futures"]["key"], secret=creds["futures"]["secret"], url=server.url).get_wallets()
    assert str(wallets["accounts"]["flex"]["currencies"]["USD"]["quantity"]) == "700"
