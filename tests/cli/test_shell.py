"""``kraken-ops shell`` in-process: lines, exit codes, ``use``, history, and completion (prompt_toolkit's API).

The shell on a pseudo-terminal is tested in ``test_interactive_pty.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kraken_ops.cli import catalog as catalog_module
from kraken_ops.cli.shell import PATHS, Completer, ExitShell, Session, _history, sensitive

PROFILE_ENV = "KRAKEN_OPS_PROFILE"


@pytest.fixture(scope="module")
def cat():
    return catalog_module.build()


@pytest.fixture
def completer(cat):
    return Completer(lambda: cat, profiles=lambda: ["paper", "bot1", "bot2"], pairs=lambda profile: ["XBTUSD", "XBT/USD", "ETHUSD"])


def texts(found) -> list[str]:
    return [c.text for c in found]


# --- running lines -------------------------------------------------------------------------------------
def test_lines_run_like_the_cli_and_the_shell_goes_on_after_errors(cli, capsys):
    cli.add_profile("paper")
    session = Session()
    assert session.run("use paper") == 0
    assert os.environ[PROFILE_ENV] == "paper"
    assert session.run("market time") == 0
    assert "unixtime" in json.loads(capsys.readouterr().out)
    assert session.run("orders show OXXXXX-XXXXX-XXXXXX") == 10  # Kraken: invalid order id, the CLI's exit code
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and len(captured.err.strip().splitlines()) == 1
    assert session.run("market tiker") == 2  # click's usage error, as the CLI prints it
    assert "No such command 'tiker'. Did you mean 'ticker'" in capsys.readouterr().err
    assert session.run("status") == 2
    assert capsys.readouterr().out.strip() == "2"
    assert session.run("clear") == 2 and "Error" not in capsys.readouterr().err  # a shell command, not kraken-ops's
    assert session.run("kraken-ops market time  # pasted from the docs") == 0
    assert session.run("   ") == 0  # an empty line keeps the last code
    session.close()
    assert PROFILE_ENV not in os.environ


def test_use_switches_profiles_and_an_explicit_profile_on_a_line_still_wins(cli, capsys):
    cli.add_profile("paper", cli.account(fund={"ZUSD": "1"}))
    cli.add_profile("bot1", cli.account(fund={"ZUSD": "2"}))
    session = Session()
    session.run("use bot1")
    session.run("balances")
    assert json.loads(capsys.readouterr().out)["ZUSD"].startswith("2")
    session.run("balances -p paper")
    assert json.loads(capsys.readouterr().out)["ZUSD"].startswith("1")  # not both: -p replaces `use`
    assert session.run("use nope") == 3
    assert "unknown profile 'nope'" in capsys.readouterr().err
    assert os.environ[PROFILE_ENV] == "bot1"  # a failed use changes nothing
    session.run("use")
    assert capsys.readouterr().out.strip() == "profile: bot1"
    session.run("use -")
    assert PROFILE_ENV not in os.environ
    assert session.chosen is None  # no default profile in this config
    session.close()


def test_exit_leaves_with_the_last_code_or_the_one_given(cli):
    session = Session()
    session.run("market tiker")
    with pytest.raises(ExitShell) as last:
        session.run("exit")
    assert last.value.code == 2
    with pytest.raises(ExitShell) as given:
        session.run("quit 0")
    assert given.value.code == 0
    assert session.run("shell") == 2  # no shell in the shell


def test_unbalanced_quotes_are_a_usage_error(capsys):
    session = Session()
    assert session.run("orders list --query 'open") == 2
    assert capsys.readouterr().err.startswith("error: No closing quotation")


def test_prompt_shows_the_profile_and_a_failed_exit_code(cli):
    cli.add_profile("paper")
    session = Session()
    assert "".join(t for _, t in session.prompt_parts()) == "kraken-ops> "
    session.run("use paper")
    session.run("market tiker")
    assert "".join(t for _, t in session.prompt_parts()) == "kraken-ops (paper) [2]> "
    session.close()


def test_the_shell_without_a_terminal_runs_stdin_and_exits_with_the_last_code(cli):
    cli.add_profile("paper")
    result = cli.subprocess("shell", "-o", "json", input="use paper\nmarket time\nbalances\nmarket tiker\n")
    assert result.returncode == 2
    documents = [json.loads(d) for d in result.stdout.replace("}\n{", "}\n\x00{").split("\x00")]
    assert "unixtime" in documents[0] and "ZUSD" in documents[1]
    assert "using profile paper" in result.stderr and "No such command 'tiker'" in result.stderr
    ok = cli.subprocess("shell", input="market time -p paper\n")
    assert ok.returncode == 0


def test_the_shell_command_refuses_query_and_an_unknown_starting_profile(cli):
    assert cli("shell", "--query", "x", input="").exit_code == 2
    result = cli("shell", "-p", "nope", input="")
    assert result.exit_code == 3 and "unknown profile 'nope'" in result.stderr


def test_the_shell_imports_no_prompt_toolkit_without_a_terminal_and_the_cli_never(cli):
    probe = (
        "import sys\nsys.argv = ['kraken-ops', *sys.argv[1:]]\nfrom kraken_ops.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nprint('prompt_toolkit' in sys.modules, file=sys.stderr)\n"
    )
    for args in (["market", "time", "-p", "paper"], ["shell"], ["setup", "--help"]):
        cli.add_profile("paper")
        result = subprocess.run([sys.executable, "-c", probe, *args], input="", capture_output=True, text=True, env=cli.env(), timeout=60)
        assert result.stderr.strip().splitlines()[-1] == "False", (args, result.stderr)


# --- history -------------------------------------------------------------------------------------------
def test_history_file_is_private_and_never_keeps_a_secret(tmp_path: Path):
    path = tmp_path / "state" / "shell_history"
    history = _history(path)
    history.append_string("market time")
    history.append_string("spot -X POST /0/private/Balance --api-key K --secret-key S3CRET")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    text = path.read_text()
    assert "market time" in text and "S3CRET" not in text
    assert sensitive("exchange account add a --otp-password") and not sensitive("orders list")
    assert list(_history(path).load_history_strings()) == ["market time"]


# --- completion ----------------------------------------------------------------------------------------
def test_completes_commands_subcommands_and_shell_commands(completer):
    assert texts(completer.candidates("ma")) == ["market"]
    assert texts(completer.candidates("market ti")) == ["time", "ticker"]
    assert "use" in texts(completer.candidates("")) and "market" in texts(completer.candidates(""))
    assert texts(completer.candidates("kraken-ops orders cr")) == ["create"]
    assert texts(completer.candidates("help ord")) == ["orders"]


def test_completes_options_and_their_choices(completer):
    assert "--side" in texts(completer.candidates("orders create --s"))
    assert texts(completer.candidates("orders create --side ")) == ["buy", "sell"]
    assert texts(completer.candidates("balances -o j")) == ["json"]
    assert "--profile" in texts(completer.candidates("balances --pr"))
    used = texts(completer.candidates("orders create --side buy --"))
    assert "--side" not in used and "--pair" in used  # an option already given is not offered again


def test_completes_profiles_and_pairs(completer):
    assert texts(completer.candidates("use b")) == ["bot1", "bot2"]
    assert texts(completer.candidates("balances -p ")) == ["paper", "bot1", "bot2"]
    assert texts(completer.candidates("profile show pa")) == ["paper"]
    assert texts(completer.candidates("market ticker xbt")) == ["XBTUSD", "XBT/USD"]
    assert texts(completer.candidates("orders create --pair ET")) == ["ETHUSD"]
    assert completer.candidates("profile import ") is PATHS


def test_pairs_come_from_the_exchange_of_the_profile_on_the_line(cat):
    asked = []
    completer = Completer(lambda: cat, profiles=lambda: [], pairs=lambda profile: asked.append(profile) or ["XBTUSD"])
    completer.candidates("market ticker -p bot1 X")
    completer.candidates("market ticker X")
    assert asked == ["bot1", None]


def test_prompt_toolkit_completer_yields_completions_for_a_partial_command(cat):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from kraken_ops.cli.shell import prompt_completer

    completer = Completer(lambda: cat, profiles=lambda: ["paper"], pairs=lambda profile: [])
    found = list(prompt_completer(Session(), completer).get_completions(Document("orders can"), CompleteEvent(completion_requested=True)))
    assert [c.text for c in found] == ["cancel", "cancel-all", "cancel-after"]
    assert all(c.start_position == -3 for c in found)
    assert found[0].display_meta_text  # the command's one-line help


def test_the_first_word_completes_from_the_registry_without_waiting_for_the_catalog():
    def no_catalog():
        raise AssertionError("the first word needs no catalog")

    completer = Completer(no_catalog, profiles=lambda: [], pairs=lambda profile: [], commands=lambda: {"market": "m", "metrics": "x"})
    assert texts(completer.candidates("m")) == ["market", "metrics"]
    assert texts(completer.candidates("help m")) == ["market", "metrics"]
    assert texts(completer.candidates("st")) == ["status"]
