"""``--query EXPR``: JMESPath on every JSON output (documents, multi-profile, NDJSON lines, streams)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kraken_ops.cli import query
from kraken_ops.cli.output import Output, View, dumps, keyed


def test_query_after_and_before_the_command(cli):
    cli.add_profile("paper")
    after = cli("market", "time", "-p", "paper", "-o", "json", "--query", "unixtime")
    before = cli("--query", "unixtime", "market", "time", "-p", "paper", "-o", "json")
    for result in (after, before):
        assert result.exit_code == 0, result.output
        assert isinstance(json.loads(result.stdout), int)


def test_query_implies_json_and_keeps_numbers_exact(cli):
    cli.add_profile("paper")
    result = cli("market", "ticker", "XBTUSD", "-p", "paper", "--query", "*.c[0] | [0]")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout).count(".") == 1  # Kraken's price string, unchanged
    total = cli("balances", "-p", "paper", "--query", "sum([ZUSD, XXBT][].to_number(@))")
    assert total.exit_code == 0, total.output
    assert json.loads(total.stdout, parse_float=Decimal) == Decimal("10001")


def test_invalid_expression_is_one_line_exit_2_and_nothing_is_sent(cli):
    cli.add_profile("bot")
    for where in ("before", "after"):
        args = ["orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000", "-p", "bot"]
        args = ["--query", "open[", *args] if where == "before" else [*args, "--query", "open["]
        result = cli(*args)
        assert result.exit_code == 2
        assert result.stderr == "error: invalid --query expression 'open[': incomplete expression at column 5\n"
        assert result.stdout == ""
    listed = cli("orders", "list", "-p", "bot", "-o", "json", "--query", "length(keys(open))")
    assert listed.stdout.strip() == "0"  # no order was placed
    unknown = cli("market", "time", "--query", "nosuch(@)")
    assert unknown.exit_code == 2 and unknown.stderr.strip() == "error: invalid --query expression 'nosuch(@)': unknown function nosuch()"


def test_an_expression_that_fails_on_the_data_is_a_usage_error(cli):
    cli.add_profile("paper")
    result = cli("market", "time", "-p", "paper", "-o", "json", "--query", "sum(rfc1123)")
    assert result.exit_code == 2
    assert "--query 'sum(rfc1123)' failed on the result" in result.stderr
    assert "Traceback" not in result.output


def test_multi_profile_documents_and_ndjson_lines(cli):
    cli.add_profile("a", cli.account({"ZUSD": "5"}))
    cli.add_profile("b", cli.account({"ZUSD": "7"}))
    doc = cli("balances", "-p", "a", "-p", "b", "-o", "json", "--query", "{a: a.ZUSD, b: b.ZUSD}")
    assert doc.exit_code == 0, doc.output
    assert {k: Decimal(v) for k, v in json.loads(doc.stdout).items()} == {"a": 5, "b": 7}
    rows = cli("balances", "-p", "a", "-p", "b", "-o", "ndjson", "--query", "[@][?asset=='ZUSD'] | [0].[profile, balance]")
    assert rows.exit_code == 0, rows.output
    assert [json.loads(line)[0] for line in rows.stdout.splitlines()] == ["a", "b"]  # other assets' lines left out


def test_table_and_csv_render_the_query_result(cli):
    cli.add_profile("a", cli.account({"ZUSD": "5", "XXBT": "1"}))
    result = cli("balances", "-p", "a", "-o", "csv", "--query", "keys(@)")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "value" and set(result.stdout.splitlines()[1:]) >= {"ZUSD", "XXBT"}


def test_query_on_a_stream_applies_to_each_line(cli, exchange):
    cli.add_profile("paper")
    result = subprocess.run(
        [sys.executable, "-m", "kraken_ops.cli", "stream", "trades", "BTC/USD", "--count", "3", "--url", exchange.ws_spot_public,
         "-p", "paper", "--query", "data[0].side"],
        capture_output=True, text=True, env=cli.env(), timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) in ("buy", "sell") for line in result.stdout.splitlines()] == [True] * 3


def test_query_on_a_command_without_json_warns(cli):
    cli.add_profile("paper")
    result = cli("profile", "default", "paper", "--query", "x")
    assert result.exit_code == 0
    assert "warning: --query was not applied: this command printed no JSON" in result.stderr
    ok = cli("version", "--query", "version", "-o", "table")
    assert ok.exit_code == 0 and "warning" not in ok.stderr and ok.stdout.strip() != ""


def test_jmespath_is_imported_only_with_query(cli):
    cli.add_profile("paper")
    code = (
        "import sys; from kraken_ops.cli.app import main\n"
        "sys.argv = ['kraken-ops', 'market', 'time', '-p', 'paper', '-o', 'json', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('jmespath' in sys.modules, file=sys.stderr)"
    )
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli.env(), timeout=60)
    queried = subprocess.run([sys.executable, "-c", code, "--query", "unixtime"], capture_output=True, text=True, env=cli.env(), timeout=60)
    assert plain.stderr.strip().splitlines()[-1] == "False"
    assert queried.stderr.strip().splitlines()[-1] == "True"


# --- the functions, without a command ---------------------------------------------------------------
def test_decimals_are_numbers_and_to_number_is_exact():
    data = {"a": Decimal("0.1"), "b": "0.2", "rows": [{"v": "1.10"}, {"v": "2.20"}]}
    assert query.search("sum([a, to_number(b)])", data) == Decimal("0.3")
    assert query.search("sum(rows[].to_number(v))", data) == Decimal("3.30")
    assert query.search("max_by(rows, &to_number(v)).v", data) == "2.20"
    assert query.search("type(a)", data) == "number"
    assert query.search("to_number('7')", data) == 7 and query.search("to_number('x')", data) is None
    assert query.search("a > `0.05`", data) is True


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=8, min_value=-10**9, max_value=10**9), max_size=20))
def test_sum_of_to_number_equals_the_exact_decimal_sum(values):
    texts = [str(v) for v in values]
    assert query.search("sum([].to_number(@))", texts) == sum((Decimal(t) for t in texts), Decimal(0))


def test_output_applies_the_query_per_format(capsys):
    result = {"OA": {"status": "open", "vol": "1"}, "OB": {"status": "closed", "vol": "2"}}
    view = View(keyed("txid"), ["txid", "status"])
    Output("json", query="OA.vol").emit(result, view)
    Output("ndjson", query="[@][?status=='open'] | [0].txid").emit(result, view)
    Output("csv", query="*.vol").emit(result, view)
    assert capsys.readouterr().out == '"1"\n"OA"\nvalue\n1\n2\n'


def test_problem_messages_are_one_line():
    for expression in ("a[", "`x", "", "a | | b", "f(@)"):
        reason = query.problem(expression)
        assert reason is not None and "\n" not in reason, expression
    assert query.problem("a.b[?c > `1`].d | [0]") is None


@pytest.mark.parametrize("value", [{"x": Decimal("1.000")}, [1, "2", None]])
def test_identity_query_prints_the_same_json(value, capsys):
    Output("json", query="@").emit(value)
    assert capsys.readouterr().out == dumps(value) + "\n"


def test_query_before_a_command_without_global_flags(cli, tmp_path):
    state = str(tmp_path / "exchange")
    assert cli("exchange", "account", "add", "alice", "--state", state).exit_code == 0
    listed = cli("--query", "[].name", "exchange", "account", "list", "--state", state)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == ["alice"]
    ignored = cli("--query", "x", "exchange", "account", "fund", "alice", "ZUSD=5", "--state", state)
    assert ignored.exit_code == 0
    assert ignored.stderr.count("warning: --query was not applied") == 1
    once = cli("--query", "x", "profile", "list", "-o", "table")
    assert once.stderr.count("warning: --query") <= 1
