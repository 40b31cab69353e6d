"""Lazy start-up: what --version, --help and one command import, the command registry, completion, -v.

Timing is measured by benchmarks/bench_cli_startup.sh, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from enum import Enum

import pytest
import typer

from kraken_ops.cli import app as app_module
from kraken_ops.cli.verbose import redact

HEAVY = ("aiohttp", "websockets", "requests", "rich.table", "kraken_ops.exchange", "prometheus_client")

_PROBE = """
import json, sys
sys.argv = ["kraken-ops", *json.loads(sys.argv[1])]
from kraken_ops.cli.app import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*args: str, env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """Run ``kraken-ops ARGS`` in a fresh interpreter; its stdout and the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(args))], capture_output=True, text=True, env=env, timeout=60
    )
    return result.stdout, set(json.loads(result.stderr.strip().splitlines()[-1]))


def _imported(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_import_nothing_heavy(args):
    out, modules = _modules_after(*args)
    assert out.strip()
    assert [name for name in HEAVY if _imported(modules, name)] == []


def test_help_imports_no_command_module_and_lists_every_command():
    out, modules = _modules_after("--help")
    assert [m for m in modules if m.startswith("kraken_ops.cli.commands")] == []
    for name in app_module.COMMANDS:
        assert f"  {name} " in out


def test_one_command_imports_only_its_own_module(cli):
    cli.add_profile("paper")
    _, modules = _modules_after("market", "time", "-p", "paper", "-o", "json", env=cli.env())
    assert sorted(m for m in modules if m.startswith("kraken_ops.cli.commands.")) == ["kraken_ops.cli.commands.market"]
    assert not _imported(modules, "aiohttp") and not _imported(modules, "rich.table") and not _imported(modules, "kraken_ops.exchange")


def test_registry_helps_match_the_commands():
    root = typer.main.get_command(app_module.app)
    for name, entry in app_module.COMMANDS.items():
        command = entry.load()
        assert command is not None, name
        assert command.get_short_help_str(200) == root.one_line_help(name, 200), name
        assert command.name == name


def test_every_command_loads_and_keeps_its_subcommands():
    root = app_module.build_all()
    ctx = typer.Context(root, info_name="kraken-ops")
    assert root.list_commands(ctx) == list(app_module.COMMANDS)
    futures = root.get_command(ctx, "futures")
    assert {"market", "orders", "url"} <= set(futures.commands)
    assert futures.commands["url"].hidden


def test_unknown_command_suggests_the_closest(cli):
    result = cli("markt")
    assert result.exit_code == 2
    assert "Did you mean 'market'?" in result.output


def _complete(words: str, cword: int) -> list[str]:
    env = {**os.environ, "_KRAKEN_OPS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    code = "import sys; sys.argv[0] = 'kraken-ops'; from kraken_ops.cli.app import main; main()"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    return result.stdout.split()


def test_shell_completion_of_groups_and_subcommands():
    assert _complete("kraken-ops ", 1) == list(app_module.COMMANDS)
    assert _complete("kraken-ops mar", 1) == ["market"]
    assert _complete("kraken-ops market t", 2) == ["time", "ticker", "trades"]
    assert "instruments" in _complete("kraken-ops futures market ", 3)


def test_verbose_after_the_command_logs_http_like_before_it(cli):
    cli.add_profile("paper")
    before = cli("-v", "market", "time", "-p", "paper", "-o", "json")
    after = cli("market", "time", "-p", "paper", "-o", "json", "-v")
    quiet = cli("market", "time", "-p", "paper", "-o", "json")
    for result in (before, after):
        assert result.exit_code == 0
        assert '"GET /0/public/Time HTTP/1.1" 200' in result.stderr
    assert quiet.stderr == ""


def test_verbose_after_the_command_on_a_private_call_shows_no_secret(cli):
    account = cli.add_profile("bot")
    result = cli("balances", "-p", "bot", "-o", "json", "--verbose")
    assert result.exit_code == 0
    assert "POST /0/private/Balance" in result.stderr
    assert account.spot_secret not in result.stderr and account.spot_key not in result.stderr


def test_redact_hides_credentials_in_urls_and_parameters():
    line = "https://user:pw@example.com/x?otp=123456&pair=XBTUSD API-Key: abc secret=s3cr3t"
    text = redact(line)
    assert "pw" not in text and "123456" not in text and "abc" not in text and "s3cr3t" not in text
    assert "pair=XBTUSD" in text


class _Color(str, Enum):
    red = "red"
    blue = "blue"


@pytest.mark.parametrize(
    "annotation, info, value",
    [
        (str, {}, "XBTUSD"),
        (int, {}, "42"),
        (int, {"min": 1, "max": 500}, "500"),
        (int, {"min": 1, "max": 500}, "501"),
        (int, {}, "1_000"),
        (float, {"min": 0.1}, "2.5"),
        (float, {"min": 0.1}, "0.01"),
        (float, {}, "1e3"),
        (_Color, {}, "blue"),
        (_Color, {}, "green"),
        (list[str], {}, ["a", "b"]),
        (bool, {}, True),
    ],
)
def test_fast_option_coercion_agrees_with_typer(annotation, info, value):
    from typer._adapters import build_adapter
    from typer.models import OptionInfo

    from kraken_ops.cli.coercion import _MISS, fast_coerce

    option = OptionInfo(**info)
    try:
        expected = build_adapter(annotation, option).validate_python(value)
    except Exception:
        expected = _MISS  # invalid: the fast path must leave it to typer (and its error message)
    got = fast_coerce(annotation, option, value)
    assert got is _MISS or (got == expected and type(got) is type(expected))
    if expected is _MISS:
        assert got is _MISS


# --- typer's private coercion API (kraken_ops/cli/coercion.py) --------------------------------------
def test_typer_private_coercion_api_is_the_one_coercion_py_was_written_for():
    """Fails loudly when a typer upgrade changes what the start-up speed-up relies on.

    The CLI keeps working then (coercion.enable() does nothing and typer coerces through
    pydantic, ~80 ms slower); this test is what tells the maintainer.
    """
    from kraken_ops.cli import coercion

    problems = coercion.problems()
    assert not problems, (
        f"typer {typer.__version__} changed the private API that kraken_ops/cli/coercion.py relies on "
        f"(tested: typer{coercion.TESTED_TYPER}): " + "; ".join(problems) + ". Start-up is now ~80 ms slower; "
        "adapt coercion.py to this typer, or keep typer in the range pinned in pyproject.toml."
    )


def test_pyproject_pins_the_tested_typer_range():
    import re
    from pathlib import Path

    from kraken_ops.cli import coercion

    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert re.search(r'"typer' + re.escape(coercion.TESTED_TYPER) + '"', text), coercion.TESTED_TYPER


def test_a_command_line_builds_no_pydantic_adapter(cli):
    """The point of coercion.py: plain option values never import pydantic."""
    cli.add_profile("paper")
    _, modules = _modules_after("market", "ohlc", "XBTUSD", "--interval", "60", "-p", "paper", "-o", "json", "--timeout", "5", env=cli.env())
    assert not _imported(modules, "pydantic")
    _, modules = _modules_after("orders", "create", "--help")
    assert not _imported(modules, "pydantic")


def test_with_an_unexpected_typer_api_enable_does_nothing_and_typer_coerces(cli):
    """A typer whose private API changed: no patch, typer's own (pydantic) coercion, same results."""
    code = (
        "import json, sys\n"
        "from kraken_ops.cli import coercion\n"
        "coercion.problems = lambda: ('RuntimeParam fields changed',)\n"
        "sys.argv = ['kraken-ops', *json.loads(sys.argv[1])]\n"
        "from kraken_ops.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    print('exit', exc.code, file=sys.stderr)\n"
        "print('patched' if coercion._enabled[0] else 'not patched', 'pydantic' in sys.modules, file=sys.stderr)\n"
    )
    cli.add_profile("paper")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, json.dumps(list(args))], capture_output=True, text=True, env=cli.env(), timeout=60)

    good = run("market", "ohlc", "XBTUSD", "--interval", "60", "-p", "paper", "-o", "json")
    assert good.stderr.strip().splitlines()[-1] == "not patched True", good.stderr
    assert "XXBTZUSD" in json.loads(good.stdout)
    bad = run("market", "ohlc", "XBTUSD", "--interval", "abc", "-p", "paper")
    assert "exit 2" in bad.stderr and "--interval" in bad.stderr


def test_problems_names_a_changed_signature(monkeypatch):
    from kraken_ops.cli import coercion

    monkeypatch.setattr(coercion, "build_runtime_param", lambda descriptor, strict: None)
    coercion.problems.cache_clear()
    try:
        found = coercion.problems()
    finally:
        monkeypatch.undo()
        coercion.problems.cache_clear()
    assert found == ("parameters of typer._coercion.build_runtime_param is ['descriptor', 'strict'], expected ['descriptor']",)
    assert coercion.problems() == ()


# --- the launcher: --version and --help before typer -------------------------------------------------
_LAUNCH = """
import json, sys
sys.argv = ["kraken-ops", *json.loads(sys.argv[1])]
from kraken_ops.cli.launcher import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--version"], ["-V"], ["--help"], ["-h"], []])
def test_launcher_answers_version_and_help_without_typer(args):
    result = subprocess.run([sys.executable, "-c", _LAUNCH, json.dumps(args)], capture_output=True, text=True, timeout=60)
    modules = set(json.loads(result.stderr.strip().splitlines()[-1]))
    assert result.stdout.strip()
    assert not _imported(modules, "typer") and not _imported(modules, "kraken_ops.cli.app"), sorted(m for m in modules if "typer" in m)


@pytest.mark.parametrize("columns", ["40", "80", "100"])
def test_launcher_root_help_is_the_click_root_help(columns):
    env = {**os.environ, "COLUMNS": columns}
    fast = subprocess.run([sys.executable, "-m", "kraken_ops.cli", "--help"], capture_output=True, text=True, env=env, timeout=60)
    slow = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(["--help"])], capture_output=True, text=True, env=env, timeout=60)
    assert fast.returncode == 0 and fast.stdout == slow.stdout


def test_a_stale_root_help_copy_is_not_used(monkeypatch):
    from kraken_ops.cli import _root_help, launcher

    assert launcher.fast_root_help() is not None
    monkeypatch.setattr(_root_help, "DIGEST", _root_help.DIGEST + 1)  # a source changed, gen_docs not run
    assert launcher.fast_root_help() is None


def test_launcher_hands_everything_else_to_the_app(cli):
    cli.add_profile("paper")
    result = subprocess.run([sys.executable, "-m", "kraken_ops.cli", "market", "time", "-p", "paper", "-o", "json"],
                            capture_output=True, text=True, env=cli.env(), timeout=60)  # fmt: skip
    assert result.returncode == 0 and "unixtime" in json.loads(result.stdout)
    closed = subprocess.run(f"{sys.executable} -m kraken_ops.cli --help | head -1", shell=True, capture_output=True, text=True, timeout=60)
    assert closed.returncode == 0 and closed.stderr == ""


def test_launcher_leaves_shell_completion_to_the_app():
    env = {**os.environ, "_KRAKEN_OPS_COMPLETE": "complete_bash", "COMP_WORDS": "kraken-ops mar", "COMP_CWORD": "1"}
    code = "import sys; sys.argv[0] = 'kraken-ops'; from kraken_ops.cli.launcher import main; main()"  # as the console script
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout.split() == ["market"]
