"""``kraken-ops setup`` and ``kraken-ops shell`` on a pseudo-terminal, answered as a person would.

Each test starts ``python -m kraken_ops.cli`` under pexpect with an isolated config, the
local exchange, and a keyring in a file (``keyring_file.FileKeyring``), sends what a
person types and reads the screen. The whole transcript is kept, so a test can check
that hidden input (the API key and secret) never appears on the terminal.
"""

from __future__ import annotations

import io
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

pexpect = pytest.importorskip("pexpect")

from kraken_ops.exchange.server import write_server_json  # noqa: E402

HERE = Path(__file__).resolve().parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
ESCAPES = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def prompt(text: str) -> str:
    """A pattern for the prompt ``text`` as prompt_toolkit draws it (escape sequences anywhere in it)."""
    return ESCAPES.join(re.escape(c) for c in text.rstrip())


class Terminal:
    """A kraken-ops process on a pseudo-terminal, with its whole output kept."""

    def __init__(self, cli: Any, *args: str, timeout: float = 30) -> None:
        self.keyring = cli.tmp / "keyring.json"
        env = cli.env()
        env.update(
            PYTHONPATH=str(HERE) + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
            PYTHON_KEYRING_BACKEND="keyring_file.FileKeyring",
            KRAKEN_OPS_TEST_KEYRING=str(self.keyring),
            KRAKEN_OPS_CACHE_DIR=str(cli.tmp / "cache"),
            PROMPT_TOOLKIT_NO_CPR="1",  # nobody answers the cursor position request
            TERM="xterm",
        )
        self.env = env
        self.log = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable, ["-m", "kraken_ops.cli", *args], env=env, encoding="utf-8", timeout=timeout, dimensions=(40, 120)
        )
        self.child.logfile_read = self.log

    def expect(self, pattern: str) -> None:
        self.child.expect(pattern)

    def expect_prompt(self, text: str) -> None:
        self.child.expect(prompt(text))

    def answer(self, question: str, text: str) -> None:
        self.child.expect_exact(question)
        self.child.sendline(text)

    def screen(self) -> str:
        return ANSI.sub("", self.log.getvalue())

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus


@pytest.fixture
def running(exchange: Any) -> Any:
    write_server_json(exchange.state_dir, exchange.url)
    return exchange


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# --- setup ---------------------------------------------------------------------------------------------------
def test_setup_production_on_a_terminal_hides_the_key_and_secret_and_tests_the_key(cli, exchange):
    account = exchange.add_account(unique("live"), fund={"ZUSD": "10"}, permissions=["query_funds", "query_orders", "trade", "cancel"])
    name = unique("main")
    term = Terminal(cli, "setup", "--url", exchange.url)
    term.answer("Which kind of profile? (paper/production) [paper]:", "live")  # not an answer: asked again
    term.expect("answer one of: paper, production")
    term.answer("Which kind of profile? (paper/production) [paper]:", "prod")
    term.answer("Profile name [main]:", name)
    term.answer("Verification tier (rate limits) (starter/intermediate/pro) [starter]:", "pro")
    term.answer("2FA on the key (none/password/totp/prompt) [none]:", "")
    term.answer("spot API key:", account.spot_key)
    term.answer("spot API secret:", account.spot_secret)
    term.answer("Add a Kraken Futures key too? [y/N]:", "")
    term.expect("what the key may do")
    term.answer("Read-only (refuse orders, withdrawals, transfers)? [y/N]:", "")
    term.answer("Ask before each command that moves money? [Y/n]:", "y")
    term.expect("is ready")
    assert term.finish() == 0
    screen = term.screen()
    assert account.spot_key not in screen and account.spot_secret not in screen  # hidden input: never echoed
    assert re.search(r"create & modify orders\s+yes", screen) and re.search(r"withdraw funds\s+no", screen)
    assert f"kraken-ops balances -p {name}" in screen
    assert account.spot_secret in term.keyring.read_text() and account.spot_secret not in cli.config.read_text()
    text = cli.config.read_text()
    assert f"[profiles.{name}]" in text and 'tier = "pro"' in text and "confirm = true" in text


def test_setup_paper_on_a_terminal_funds_an_account_on_the_running_exchange(cli, running):
    name = unique("demo")
    term = Terminal(cli, "setup", "--state", str(running.state_dir))
    term.answer("Which kind of profile? (paper/production) [paper]:", "")
    term.answer("Profile name [paper]:", name)
    term.answer("Paper money (ASSET=AMOUNT ...) [ZUSD=10000 XXBT=1 XETH=10]:", "ZUSD=100 XBT=nope")
    term.expect("not a decimal number")
    term.answer("Paper money (ASSET=AMOUNT ...) [ZUSD=10000 XXBT=1 XETH=10]:", "ZUSD=100, XBT=2")
    term.expect("is ready")
    assert term.finish() == 0
    assert f"created account {name!r} on {running.url} (ZUSD=100, XXBT=2)" in term.screen()
    import subprocess

    result = subprocess.run([sys.executable, "-m", "kraken_ops.cli", "balances", "-p", name, "-o", "json"], capture_output=True, text=True, env=term.env, timeout=60)
    assert json.loads(result.stdout) == {"XXBT": "2.0000000000", "ZUSD": "100.0000"}


def test_setup_with_an_existing_config_offers_to_add_another_and_can_stop(cli):
    cli.add_profile("paper")
    before = cli.config.read_text()
    term = Terminal(cli, "setup")
    term.expect("has 1 profile")
    term.answer("Add another profile? [Y/n]:", "n")
    term.expect("nothing changed")
    assert term.finish() == 0
    assert cli.config.read_text() == before


# --- shell --------------------------------------------------------------------------------------------------------
def test_shell_runs_commands_switches_profile_reports_exit_codes_and_completes(cli):
    cli.add_profile("paper")
    term = Terminal(cli, "shell", "--no-color")
    term.expect_prompt("kraken-ops> ")
    term.child.sendline("market time -p paper")
    term.expect("rfc1123")
    term.child.sendline("use paper")
    term.expect("using profile paper")
    term.expect_prompt("kraken-ops (paper)> ")
    term.child.sendline("orders show OXXXXX-XXXXX-XXXXXX")
    term.expect("error: ")
    term.expect_prompt("kraken-ops (paper) [10]> ")
    term.child.sendline("status")
    term.expect(r"(?<![\d\[])10\r\n")
    term.child.send("market tic\t")  # Tab completes the subcommand
    term.expect("ticker")
    term.child.sendcontrol("c")  # Ctrl-C drops the line
    term.child.sendline("balances")
    term.expect("ZUSD")
    term.child.sendline("exit 3")
    assert term.finish() == 3
    history = (cli.tmp / "state" / "shell_history").read_text()
    assert "+market time -p paper" in history and "+use paper" in history and "market ticker" not in history


def test_shell_asks_before_money_moves_and_ctrl_d_leaves(cli):
    cli.add_profile("live", confirm=True)
    term = Terminal(cli, "shell", "-p", "live", "--no-color", "--no-history")
    term.expect_prompt("kraken-ops (live)> ")
    term.child.sendline("orders create --pair XBTUSD --side buy --type limit --volume 0.01 --price 20000")
    term.answer("Proceed? [y/N]", "n")
    term.expect("not confirmed; nothing was sent")
    term.expect_prompt("kraken-ops (live) [2]> ")
    term.child.sendline("orders list -o json --query 'length(keys(open))'")
    term.expect(r"(?<![\d\[])0\r\n")
    term.expect_prompt("kraken-ops (live)> ")  # Ctrl-D before the prompt is up would be the tty's end of a line
    term.child.sendeof()
    assert term.finish() == 0  # the last command's code
    assert not (cli.tmp / "state" / "shell_history").exists()


def test_setup_with_every_flag_on_a_terminal_asks_only_for_the_key_hidden_even_with_stdin(cli, exchange):
    account = exchange.add_account(unique("flags"))
    name = unique("flags")
    term = Terminal(cli, "setup", "--production", "--name", name, "--url", exchange.url, "--tier", "starter", "--otp", "none",
                    "--no-futures", "--read-only", "--no-default", "--no-test", "--stdin")  # fmt: skip
    term.answer("spot API key:", account.spot_key)  # --stdin on a terminal would echo what is typed: a hidden prompt instead
    term.answer("spot API secret:", account.spot_secret)
    term.expect("is ready")
    assert term.finish() == 0
    screen = term.screen()
    assert not any(question in screen for question in ("[y/N]", "[Y/n]", "(paper/production)", "Profile name", "Verification tier"))
    assert account.spot_key not in screen and account.spot_secret not in screen
