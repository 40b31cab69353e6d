"""Help screens (one plain style, 80 columns), the command catalog and its examples.

Every command's help is rendered at 80 columns and checked; every example of every
command is parsed by the app, and run against the local exchange with paper profiles.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from kraken_ops.cli import app as app_module
from kraken_ops.cli import catalog, help as help_module
from kraken_ops.cli.groups import install

ROOT = Path(__file__).resolve().parents[2]
GLOBAL_OPTIONS = {"--profile", "-p", "--all-profiles", "--group", "-g", "--output", "-o", "--json", "--query", "--verbose", "-v", "--no-color", "--timeout", "--yes", "-y"}
BAD_METAVARS = re.compile(r"<bool>|<str>|<int>|<float>|<list\[|<[a-z_]+\||╭|│")
BRACED = re.compile(r"\{[a-z_]+\}")  # typer's {name} arguments (help prose may use {profile} placeholders)


@pytest.fixture(scope="module")
def cat() -> catalog.Catalog:
    return catalog.build()


def _help(*words: str, columns: int = 80) -> Any:
    return CliRunner().invoke(app_module.app, [*words, "--help"], env={"COLUMNS": str(columns)}, catch_exceptions=False)


def _sections(text: str) -> dict[str, list[str]]:
    """Section title -> its lines (titles are unindented upper-case lines)."""
    out: dict[str, list[str]] = {}
    current = "DESCRIPTION"
    for line in text.splitlines():
        if line and line == line.upper() and not line.startswith(" ") and re.match(r"^[A-Z]", line):
            current = line.split(" (")[0]
            out[current] = []
        else:
            out.setdefault(current, []).append(line)
    return out


def _options_in(lines: list[str]) -> set[str]:
    """The options named in the label column of a section's rows (not those its help text mentions)."""
    found = set()
    for line in lines:
        if not line.lstrip().startswith("-") or len(line) - len(line.lstrip()) > 6:
            continue  # a continuation line of some help text
        label = re.split(r"\s{2,}", line.strip())[0]
        found.update(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", label))
    return found


def _broken_words(text: str, words: set[str]) -> list[str]:
    """Choice words cut in two (``stop-los``/``s``): a piece that starts a choice without being one.

    Catches a word cut at a line's end and one cut inside a column of a boxed table.
    """
    lines = [[t.rstrip(".;:") for t in re.split(r"[\s|,<>()\[\]`'\"]+", line) if t] for line in text.splitlines()]
    single = {w for w in words if " " not in w}
    broken = [
        f"{piece!r}/{rest!r} (of {word!r})"
        for this, below in zip(lines, lines[1:])
        for piece in set(this) - single
        for word in single
        if piece and word.startswith(piece) and word != piece and (rest := word[len(piece) :]) in below
    ]
    broken += [f"{word!r} (not on one line)" for word in words - single if not any(word in line for line in text.splitlines())]
    return sorted(broken)


def test_every_help_screen_reads_well_at_80_columns(cat):
    paths = [c.path for c in cat.commands]
    assert len(paths) > 100
    for path in paths:
        result = _help(*path)
        name = " ".join(["kraken-ops", *path])
        assert result.exit_code == 0, (name, result.output)
        text = result.output
        assert not BAD_METAVARS.search(text), (name, BAD_METAVARS.search(text).group(0), text)
        too_long = [line for line in text.splitlines() if len(line) > 80]
        assert not too_long, (name, too_long)
        sections = _sections(text)
        assert "USAGE" in sections and "EXAMPLES" in sections, (name, list(sections))
        labels = sections["USAGE"] + [line[:32] for title in ("ARGUMENTS", "FLAGS", "INHERITED FLAGS") for line in sections.get(title, [])]
        assert not [line for line in labels if BRACED.search(line)], (name, labels)
        assert [line for line in sections["EXAMPLES"] if line.strip().startswith("$ ")], name
        spec = cat.get(path)
        if spec.path and not (spec.group and not spec.runnable):
            own = _options_in(sections.get("FLAGS", []))
            declared = {o for p in spec.params for o in p.opts + p.secondary_opts if p.kind == "option"} | {"-h", "--help"}
            if path == ["spot"]:  # kraken-ops spot shows its raw command's flags
                declared |= {o for p in cat.get(["spot", "url"]).params for o in p.opts}
            assert own <= declared, (name, own - declared)  # no global option in the command's own FLAGS
            inherited = _options_in(sections.get("INHERITED FLAGS", []))
            assert inherited <= GLOBAL_OPTIONS | {"-h", "--help"}, (name, inherited)
            assert not (own & inherited) - {"-h", "--help"}, name
        words = {c for p in spec.params for c in (p.choices or []) if len(c) > 2}
        assert not _broken_words(text, words), (name, _broken_words(text, words))


def test_the_old_rich_layout_would_have_failed_these_checks():
    """The broken-word check finds what the rich boxes did (`stop-los`/`s`)."""
    old = "│ *  --type   <market|limit|stop-los  Order type. │\n│             s|take-profit>                │"
    assert _broken_words(old, {"market", "limit", "stop-loss", "take-profit"}) == ["'stop-los'/'s' (of 'stop-loss')"]
    assert _broken_words("currency, tokenized_\n  asset, forex", {"tokenized_asset", "forex"}) == ["'tokenized_'/'asset' (of 'tokenized_asset')"]
    assert _broken_words("One of: all, 'any\n  position'", {"any position"})
    assert BAD_METAVARS.search("│ --reduce-only  <bool>  Only reduce │")


def test_orders_create_help_is_short_and_conventional():
    text = _help("orders", "create").output
    assert len(text.splitlines()) <= 70
    assert "--pair PAIR" in text and "--volume DECIMAL" in text and "--userref INTEGER" in text and "--price PRICE" in text
    assert re.search(r"^  --validate\s+Validate only", text, re.M)  # a flag has no metavar
    assert "--side buy|sell" in text and "--type TYPE" in text and "stop-loss-limit" in text
    sections = _sections(text)
    assert list(sections)[:2] == ["DESCRIPTION", "USAGE"]
    assert [s for s in sections if s != "DESCRIPTION"] == ["USAGE", "FLAGS", "INHERITED FLAGS", "EXAMPLES", "LEARN MORE"]
    assert "  -y, --yes" in "\n".join(sections["INHERITED FLAGS"])
    assert "$ kraken-ops orders create --pair XBTUSD" in text


def test_help_wraps_to_the_terminal_width():
    wide = _help("orders", "create", columns=100).output
    narrow = _help("orders", "create", columns=80).output
    assert max(len(line) for line in wide.splitlines()) > 80
    assert len(wide.splitlines()) < len(narrow.splitlines())


def test_root_help_groups_commands_in_panels_and_shows_global_flags_once():
    result = _help()
    assert result.exit_code == 0
    sections = _sections(result.output)
    titles = [s for s in sections if s.endswith("COMMANDS") or s == "TOOLS"]
    assert titles == list(help_module.PANELS.values())
    listed = {line.split()[0] for title in titles for line in sections[title] if line.startswith("  ") and not line.startswith("   ")}
    assert listed == set(app_module.COMMANDS)
    assert {"--profile", "--query", "--output", "--yes", "--timeout"} <= _options_in(sections["GLOBAL FLAGS"])
    assert {"--version", "-V", "--help"} <= _options_in(sections["FLAGS"])
    assert "EXAMPLES" in sections and "LEARN MORE" in sections
    assert "130 interrupted" in result.output


def test_every_registry_row_names_a_known_panel():
    for name, entry in app_module.COMMANDS.items():
        assert entry.panel in help_module.PANELS, name


def test_kraken_ops_alone_prints_the_help_and_exits_0():
    alone = CliRunner().invoke(app_module.app, [], env={"COLUMNS": "80"})
    assert alone.exit_code == 0
    assert alone.stdout == _help().stdout


def test_a_group_alone_prints_its_help_on_stdout_and_exits_0(cli):
    for words in (["orders"], ["futures", "orders"], ["exchange", "account"]):
        result = cli.subprocess(*words)
        assert result.returncode == 0, (words, result.stderr)
        assert "AVAILABLE COMMANDS" in result.stdout and result.stderr == ""


def test_version_command_and_dash_v(cli):
    from kraken_ops import __version__

    for words in (["-V"], ["--version"], ["version"]):
        result = cli.subprocess(*words)
        assert result.returncode == 0
        assert result.stdout == f"kraken-ops {__version__}\n"
    data = json.loads(cli.subprocess("version", "-o", "json").stdout)
    assert data["version"] == __version__ and data["python"].count(".") == 2
    from kraken_ops.spot import orderbook

    assert data["order_book_c_helpers"] is (orderbook._apply_one is not None)
    env = {**cli.env(), "KRAKEN_OPS_NO_EXTENSIONS": "1"}
    off = subprocess.run([sys.executable, "-m", "kraken_ops.cli", "version", "-o", "json"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert json.loads(off.stdout)["order_book_c_helpers"] is False


def test_usage_errors_are_one_line_with_the_usage_and_where_to_read_more(cli):
    """A usage error is one ``error:`` line on stderr (the message, the same usage line as the
    help, the help flag) and exit code 2, never a box or three lines."""
    for words, message in (
        (["orders", "create", "--side", "nope"], "Invalid value for '--side'"),
        (["exchange", "account", "add"], "Missing argument"),
        (["balances", "--bogus"], "No such option: --bogus"),
        (["market", "nope"], "No such command"),
    ):
        result = cli.subprocess(*words)
        assert result.returncode == 2, (words, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], (words, result.stderr)
        assert "╭" not in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""
    line = cli.subprocess("orders", "create", "--side", "nope").stderr
    assert "usage: kraken-ops orders create --pair PAIR --side buy|sell" in line and "see kraken-ops orders create -h" in line
    assert "'nope' is not one of 'buy', 'sell'" in line and "Value error" not in line


# --- the catalog -----------------------------------------------------------------------------------
def test_catalog_entries_carry_types_choices_and_safety(cat):
    create = cat.get("orders create")
    assert (create.needs_key, create.moves_money, create.read_only, create.dangerous, create.kind) == (True, True, False, True, "write")
    params = {p.name: p for p in create.params}
    assert (params["pair"].type, params["pair"].required, params["pair"].metavar) == ("string", True, "PAIR")
    assert params["volume"].type == "decimal"
    assert params["type"].type == "choice" and "stop-loss-limit" in params["type"].choices
    assert params["oflags"].repeatable and params["validate"].flag and params["validate"].default is False
    assert params["userref"].type == "integer"
    ticker = cat.get("market ticker")
    assert (ticker.needs_key, ticker.moves_money, ticker.read_only) == (False, False, True)
    assert cat.get("balances").runnable and cat.get("balances").group
    assert cat.get("exchange account remove").dangerous and not cat.get("exchange account remove").moves_money
    assert cat.get("profile remove").dangerous and not cat.get("profile list").dangerous
    assert {p.opts[-1] for p in create.global_options} >= {"--profile", "--output", "--query", "--yes"}


def test_every_runnable_command_declares_what_it_does_and_has_examples(cat):
    for spec in cat.runnable():
        assert spec.declared, f"{spec.name}: declare kind= (context.command) or @annotate (kraken_ops.cli.meta)"
        assert spec.examples, f"{spec.name}: add 'Example: kraken-ops ...' lines to its docstring"


def test_commands_json_lists_every_command(cli, cat):
    result = cli("commands", "-o", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = {entry["command"] for entry in doc["commands"]}
    assert {c.name for c in cat.commands} == names
    entry = next(e for e in doc["commands"] if e["command"] == "kraken-ops orders create")
    assert entry["moves_money"] and entry["needs_key"] and not entry["read_only"]
    side = next(p for p in entry["params"] if p["name"] == "side")
    assert side == {**side, "type": "choice", "choices": ["buy", "sell"], "required": True, "repeatable": False}
    assert "--yes" in entry["global_options"]
    assert entry["examples"][0]["command"].startswith("kraken-ops orders create ")
    money = json.loads(cli("commands", "-o", "json", "--query", "commands[?moves_money].command").stdout)
    assert "kraken-ops funding withdraw" in money and "kraken-ops orders list" not in money
    sub = json.loads(cli("commands", "futures", "orders", "-o", "json").stdout)
    assert {e["command"] for e in sub["commands"]} >= {"kraken-ops futures orders", "kraken-ops futures orders create"}
    assert all(e["path"][:2] == ["futures", "orders"] for e in sub["commands"])
    assert cli("commands", "nosuch").exit_code == 2


def test_a_new_command_is_in_the_catalog_help_and_docs_without_registration(capsys, monkeypatch):
    """Other branches add commands: the catalog reads them from the typer app, with their metadata."""
    from kraken_ops.cli.context import command
    from kraken_ops.cli.meta import annotate

    extra = typer.Typer(help="Tools that move nothing.")

    @command(extra, "hello", kind="write")
    def hello(pair: str = typer.Option(..., "--pair", metavar="PAIR", help="A pair.")) -> None:
        """Say hello.

        Example: kraken-ops extra hello --pair XBTUSD  # greets
        """

    @extra.command("plain")
    @annotate(needs_key=False, read_only=True)
    def plain() -> None:
        """No kind, but annotated.

        Example: kraken-ops extra plain
        """

    root = typer.Typer()
    root.add_typer(extra, name="extra")
    click_root = install(typer.main.get_command(root))
    specs = catalog.build(click_root)
    hello_spec = specs.get("extra hello")
    assert (hello_spec.moves_money, hello_spec.needs_key, hello_spec.declared) == (True, True, True)
    assert hello_spec.examples == [catalog.Example("kraken-ops extra hello --pair XBTUSD", "greets")]
    plain_spec = specs.get("extra plain")
    assert (plain_spec.read_only, plain_spec.needs_key, plain_spec.moves_money, plain_spec.kind) == (True, False, False, None)
    monkeypatch.setenv("COLUMNS", "80")
    click_root.main(["extra", "hello", "--help"], prog_name="kraken-ops", standalone_mode=False)
    text = capsys.readouterr().out
    assert "--pair PAIR" in text and "# greets" in text and "-y, --yes" in text


def test_split_help_reads_example_lines_and_blocks():
    text = "Do it.\n\nMore words.\n\nExample: kraken-ops a b  # why\nExamples:\n  # first\n  $ kraken-ops c\n  kraken-ops d\n\nAfter."
    description, examples = catalog.split_help(text)
    assert description == "Do it.\n\nMore words.\n\n\nAfter."
    assert examples == [catalog.Example("kraken-ops a b", "why"), catalog.Example("kraken-ops c", "first"), catalog.Example("kraken-ops d")]


# --- every example parses, and runs against the local exchange ----------------------------------------
def example_argv(command_line: str) -> tuple[list[str], str | None]:
    """The kraken-ops words of an example, and the file a ``cat FILE |`` in front of it feeds on stdin."""
    segments: list[list[str]] = [[]]
    for word in shlex.split(command_line):
        if word == "|":
            segments.append([])
        else:
            segments[-1].append(word)
    stdin_file = None
    for segment in segments:
        if segment[:1] == ["cat"] and len(segment) == 2:
            stdin_file = segment[1]
        if segment[:1] == ["kraken-ops"]:
            return segment[1:], stdin_file
    raise AssertionError(f"no kraken-ops in {command_line!r}")


def _parse(root: Any, argv: list[str]) -> tuple[list[str], Any]:
    """Parse ``argv`` down to the command it names, as click would, without running it."""
    ctx = root.make_context("kraken-ops", list(argv))
    command, path = root, []
    while catalog.is_group(command):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, command, rest = command.resolve_command(ctx, rest)
        path.append(name)
        ctx = command.make_context(name, rest, parent=ctx)
    return path, ctx


def test_every_example_parses_to_its_own_command(cat):
    root = app_module.build_all()
    count = 0
    for spec in cat.runnable():
        for example in spec.examples:
            argv, _ = example_argv(example.command)
            path, _ = _parse(root, argv)  # raises on an unknown option, a bad choice, a missing value ...
            assert path == spec.path, (example.command, path)
            count += 1
    assert count >= len(cat.runnable()) > 100


NOT_RUN = (["stream"], ["mcp"], ["exchange", "serve"], ["metrics", "serve"], ["deadman"])  # endless
ACCEPTED = {0: "ok", 1: "Kraken said no (unknown id, funds)", 10: "Kraken said the id is invalid"}


@pytest.mark.timeout(900)  # ~150 examples, each on fresh accounts
def test_every_example_runs_against_the_local_exchange(cli, tmp_path, monkeypatch):
    """The examples are real: with paper profiles (paper, bot1, bot2 tagged bots) on the local exchange, each one
    runs; it succeeds, or the exchange answers that an id in it does not exist (ids come from earlier
    commands). Never a usage, configuration, file or internal error. The examples share one exchange,
    in help order, as a session would: `profile add paper --paper` creates the account `paper` that
    `exchange deposit paper ...` funds later."""
    import tomli_w

    from kraken_ops.exchange.server import write_server_json

    import keyring

    sys.path.insert(0, str(ROOT / "tests" / "profiles"))
    from keyring_memory import MemoryKeyring

    monkeypatch.setattr(sys, "path", sys.path[1:])
    previous_keyring = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())  # `profile add --paper` and `exchange account add --profile` store keys
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    state = tmp_path / "data" / "kraken-ops" / "exchange"
    from tests.conftest import ExchangeServer

    server = ExchangeServer(state, seed=7)
    write_server_json(state, server.url)
    try:
        cli.exchange = server
        fund = {"ZUSD": "100000", "XXBT": "2", "XETH": "10", "DOT": "100"}
        shutil.copytree(ROOT / "profiles", tmp_path / "profiles")
        order = {"ordertype": "limit", "type": "buy", "volume": "0.01", "price": "20000"}
        (tmp_path / "orders.ndjson").write_text("\n".join(json.dumps({**order, "price": p}) for p in ("20000", "19000")) + "\n")
        ws_order = {"order_type": "limit", "side": "buy", "order_qty": "0.01", "limit_price": "20000"}
        (tmp_path / "ws-orders.ndjson").write_text("\n".join(json.dumps({**ws_order, "limit_price": p}) for p in ("20000", "19000")) + "\n")
        (tmp_path / "instructions.ndjson").write_text(
            json.dumps({"order": "send", "orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": 1, "limitPrice": 20000}) + "\n"
        )
        failures, ran = [], 0
        for spec in catalog.build().runnable():
            for example in spec.examples:
                argv, stdin_file = example_argv(example.command)
                if any(argv[: len(skip)] == skip for skip in NOT_RUN) or (argv[:2] == ["profile", "add"] and "--paper" not in argv):
                    continue  # endless, or prompts for a real key
                if argv[:1] == ["setup"] and "--production" in argv:
                    continue  # a real key (tests/cli/test_setup.py runs these against the local exchange)
                # each example starts from the same profiles, on accounts of its own (Kraken's rate limits are per key)
                cli.profiles.clear()
                for name in ("paper", "bot1", "bot2"):  # bot1 and bot2 are the group `bots` (--group bots)
                    cli.add_profile(name, server.add_account(f"{name}-{ran}", fund=fund), **({"tags": ["bots"]} if name != "paper" else {}))
                fresh = argv[:2] == ["profile", "add"]  # it creates the profile itself
                if fresh:
                    argv = [*argv, "--url", server.url]  # its default, port 8787, is not ours to take in a test
                cli.config.write_text(tomli_w.dumps({} if fresh else {"default": "paper", "profiles": cli.profiles}))
                monkeypatch.setenv("KRAKEN_OPS_STATE_DIR", str(tmp_path / f"state-{ran}"))  # the client's rate limiter too
                stdin = (tmp_path / stdin_file).read_text() if stdin_file else ""
                result = cli(*argv, input=stdin)
                ran += 1
                if result.exit_code not in ACCEPTED or "Traceback (most recent call last)" in result.output:
                    failures.append((example.command, result.exit_code, result.stderr.strip().splitlines()[-2:]))
        assert not failures, failures
        assert ran > 120
    finally:
        server.stop()
        keyring.set_keyring(previous_keyring)


def test_the_help_lists_every_exit_code_the_cli_can_return():
    from kraken_ops.cli import help
    from kraken_ops.cli.errors import CATEGORIES

    listed = {int(part.split("\u00a0")[0]) for part in help.EXIT_CODES.rstrip(".").split(", ")}
    assert {0, 2} | {c.exit_code for c in CATEGORIES.values()} <= listed
