"""Help screens in one plain-text style, laid out like gh's and kubectl's.

Every ``--help`` (the root, groups, commands), a group run without a command and the
usage line of an error come from here::

    Place an order.

    USAGE
      kraken-ops orders create --pair PAIR --side buy|sell ... [flags]

    FLAGS
          --pair PAIR       Pair, e.g. XBTUSD or BTC/USD. (required)
      ...

    INHERITED FLAGS
      -p, --profile NAME    Profile to use.
      ...

    EXAMPLES
      $ kraken-ops orders create --pair XBTUSD --side buy --type limit \\
          --volume 0.01 --price 25000 --validate

    LEARN MORE
      ...

The root lists the commands in panels (:data:`PANELS`) from the registry, without
importing any command module; the global options appear once, in the root's GLOBAL
FLAGS, and below as INHERITED FLAGS, never among a command's own FLAGS. What a screen
shows comes from the catalog (:mod:`kraken_ops.cli.catalog`), the same source as
``docs/cli.md``, the completions and the MCP tools. Text is wrapped at word boundaries
only (a choice like ``stop-loss-limit`` is never split), to the terminal's width
(``COLUMNS``), between 40 and 100 columns.

This module imports neither typer nor the catalog at import time: ``kraken-ops --help``
is rendered by :mod:`kraken_ops.cli.launcher` from a generated copy of the root's data
(:func:`root_help_data`, :mod:`kraken_ops.cli._root_help`) before typer is imported.
:class:`kraken_ops.cli.groups.HelpContext` routes every other ``--help`` here.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    from kraken_ops.cli import catalog

PROG = "kraken-ops"
MIN_WIDTH, MAX_WIDTH = 40, 100
LEFT_MAX = 30  # a label wider than this puts its help on the next line
PANELS: dict[str, str] = {  # panel key: title, in display order
    "market": "MARKET DATA COMMANDS",
    "account": "ACCOUNT COMMANDS",
    "trading": "TRADING COMMANDS",
    "funding": "FUNDING AND EARN COMMANDS",
    "futures": "FUTURES COMMANDS",
    "streaming": "STREAMING COMMANDS",
    "profiles": "PROFILE COMMANDS",
    "exchange": "LOCAL EXCHANGE COMMANDS",
    "tools": "TOOLS",
}
EXIT_CODES = ", ".join(  # a code and its meaning are never wrapped apart
    f"{code}\u00a0{meaning.replace(' ', chr(0xA0))}"
    for code, meaning in (
        (0, "ok"), (1, "Kraken rejected the request"), (2, "usage"), (3, "configuration or profile"), (4, "network"),
        (5, "partial failure"), (6, "auth"), (7, "permission"), (8, "rate limit"), (9, "nonce"), (10, "validation"),
        (11, "websocket"), (12, "local file"), (13, "unparsable answer"), (14, "order outcome unknown"),
        (70, "bug in kraken-ops"), (130, "interrupted"),
    )
) + "."


def width(ctx: Any = None) -> int:
    """The width to wrap to: the context's, else ``COLUMNS`` or the terminal's, within 40..100."""
    wanted = getattr(ctx, "terminal_width", None) if ctx is not None else None
    if not wanted:
        try:
            wanted = int(os.environ.get("COLUMNS", "0")) or shutil.get_terminal_size((80, 24)).columns
        except ValueError:
            wanted = shutil.get_terminal_size((80, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, wanted))


# --- text primitives --------------------------------------------------------------------------
NBSP = "\u00a0"  # joins the words of a choice like 'any position' while wrapping


def wrap(text: str, width: int, indent: str = "", subsequent: str | None = None) -> list[str]:
    """``text`` wrapped at spaces only: never inside a word, a choice or an option name."""
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]
    return [line.replace(NBSP, " ") for line in lines]


def paragraphs(text: str, width: int, indent: str = "") -> list[str]:
    """Help prose: paragraphs re-wrapped, indented or bulleted lines kept as lines."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if not lines:
            continue
        if out:
            out.append("")
        if any(line[:1].isspace() or line.lstrip().startswith(("- ", "* ", "|")) for line in lines[1:]):
            for line in lines:
                lead = line[: len(line) - len(line.lstrip())]
                out += wrap(line.strip(), width, indent + lead, indent + lead + "  ")
        else:
            out += wrap(" ".join(line.strip() for line in lines), width, indent)
    return out


def two_columns(rows: Sequence[tuple[str, str]], width: int, indent: int = 2) -> list[str]:
    """``label  help`` rows; help wraps in its column, or starts below a label that is too wide."""
    if not rows:
        return []
    fitting = [len(label) for label, _ in rows if len(label) <= LEFT_MAX]
    left = min(max(fitting or [LEFT_MAX]), LEFT_MAX) + indent + 2
    right = max(width - left, 20)
    out: list[str] = []
    for label, text in rows:
        head = " " * indent + label
        lines = wrap(text, right) if text else []
        if not lines:
            out.append(head)
        elif len(head) + 2 <= left:
            out.append(head.ljust(left) + lines[0])
            out += [" " * left + line for line in lines[1:]]
        else:
            out.append(head)
            out += [" " * left + line for line in lines]
    return out


_TOKEN = re.compile(r"""(?:[^\s'"]+|'[^']*'|"[^"]*")+""")


def example_lines(command: str, comment: str, width: int) -> list[str]:
    """``$ kraken-ops ...`` (and its ``# comment``), continued with `` \\`` where it is too long."""
    out = wrap(f"# {comment}", width, "  ", "  # ") if comment else []
    words = _TOKEN.findall(command) or [command]
    units: list[str] = []  # an option and its value stay on one line
    for word in words:
        if units and units[-1].startswith("-") and " " not in units[-1] and not word.startswith("-") and word != "|":
            units[-1] = f"{units[-1]} {word}"
        else:
            units.append(word)
    line = "  $"
    for unit in units:
        if len(line) + 1 + len(unit) + 2 > width and line.strip() not in ("$", ""):
            out.append(line + " \\")
            line = "      " + unit
        else:
            line = f"{line} {unit}"
    out.append(line)
    return out


def section(title: str, lines: Iterable[str]) -> list[str]:
    body = list(lines)
    return ["", title, *body] if body else []


# --- flags ---------------------------------------------------------------------------------------
def flag_help(param: catalog.ParamSpec) -> str:
    """The help text of a flag row: its help, its choices when long, and required/default/repeatable."""
    parts = [param.help.rstrip()]
    words = {w.strip(".,;:()'\"") for w in param.help.split()}
    if param.choices and param.metavar != "|".join(param.choices) and not set(param.choices) <= words:
        listed = ", ".join(f"'{c}'".replace(" ", NBSP) if " " in c else c for c in param.choices)
        parts.append(f"One of: {listed}.")
    notes = []
    if param.required and param.kind == "option":
        notes.append("required")
    default = param.default
    if param.kind == "option" and not param.flag and default not in (None, "", [], False):
        shown = ", ".join(str(d) for d in default) if isinstance(default, list) else str(default)
        notes.append(f"default {shown}")
    if param.repeatable and param.kind == "option" and "repeat" not in param.help:
        notes.append("repeatable")
    if notes:
        parts.append(f"({'; '.join(notes)})")
    return " ".join(p for p in parts if p)


def _option_label(param: catalog.ParamSpec, align: bool) -> str:
    label = param.label
    if param.flag and param.secondary_opts:
        label = " / ".join(param.opts[-1:] + param.secondary_opts) if len(param.opts) == 1 else label
    if align and not any(o.startswith("-") and not o.startswith("--") for o in param.opts):
        return "    " + label  # --long lines up with the --long of "-p, --profile"
    return label


def flag_rows(params: Sequence[catalog.ParamSpec]) -> list[tuple[str, str]]:
    options = [p for p in params if p.kind == "option"]
    align = any(any(not o.startswith("--") for o in p.opts) for p in options)
    return [(_option_label(p, align), flag_help(p)) for p in options]


def argument_rows(params: Sequence[catalog.ParamSpec]) -> list[tuple[str, str]]:
    rows = []
    for p in params:
        if p.kind != "argument":
            continue
        text = flag_help(p)
        if p.choices and p.metavar == p.name.upper():
            text = f"{text} One of: {', '.join(p.choices)}." if "One of:" not in text else text
        rows.append((p.label, text))
    return rows


HELP_ROW = ("-h, --help", "Show this help.")


# --- usage ---------------------------------------------------------------------------------------
def fill(units: Sequence[str], width: int, indent: str, subsequent: str) -> list[str]:
    """Units (an option and its metavar are one) laid out on lines of at most ``width``."""
    lines: list[str] = []
    line = indent
    for unit in units:
        if line.strip() and len(line) + 1 + len(unit) > width:
            lines.append(line)
            line = subsequent + unit
        else:
            line = f"{line} {unit}" if line.strip() else line + unit
    lines.append(line)
    return lines


def usage_words(spec: catalog.CommandSpec) -> list[str]:
    words = [PROG, *spec.path]
    if spec.group and not spec.runnable:
        return [*words, "<command>", "[flags]"]
    if spec.group:
        words.append("[<command>]")
    for p in spec.params:
        if p.kind == "option" and p.required:
            words.append(f"{p.opts[-1]} {p.metavar}" if p.metavar else p.opts[-1])
    words.append("[flags]")
    for p in spec.params:
        if p.kind == "argument":
            words.append(p.label if p.required else f"[{p.label}]")
    return words


def usage_lines(spec: catalog.CommandSpec, width: int, indent: str = "  ") -> list[str]:
    return fill(usage_words(spec), width, indent, indent + "    ")


# --- screens ---------------------------------------------------------------------------------------
def render_command(spec: catalog.CommandSpec, ctx: Any = None, subcommands: Sequence[tuple[str, str]] = ()) -> str:
    """The help of a group or a command."""
    w = width(ctx)
    out = paragraphs(spec.description or spec.summary, w)
    out += section("USAGE", usage_lines(spec, w))
    if spec.group:
        out += section("AVAILABLE COMMANDS", two_columns(subcommands, w))
    out += section("ARGUMENTS", two_columns(argument_rows(spec.params), w))
    own = flag_rows(spec.params)
    if not spec.global_options:
        own.append(HELP_ROW)
    out += section("FLAGS", two_columns(own, w))
    if spec.global_options:
        out += section("INHERITED FLAGS", two_columns([*flag_rows(spec.global_options), HELP_ROW], w))
    examples = spec.examples
    out += section("EXAMPLES", [line for e in examples for line in example_lines(e.command, e.comment, w)])
    if spec.group:
        learn = f"Use `{' '.join([PROG, *spec.path])} <command> --help` for more information about a command."
    else:
        learn = f"Exit codes, output formats and --query: `{PROG} --help`. Every command: `{PROG} commands`."
    out += section("LEARN MORE", wrap(learn, w, "  ", "  "))
    return "\n".join(out)


def group_examples(command: Any, ctx: Any, limit: int = 4) -> list[catalog.Example]:
    """A group's examples: its own, else the first example of each subcommand (loaded groups only)."""
    from kraken_ops.cli import catalog

    own = catalog.split_help(command.help)[1]
    if own:
        return own
    found: list[catalog.Example] = []
    for name in command.list_commands(ctx):
        sub = command.commands.get(name) if hasattr(command, "commands") else None
        if sub is None or getattr(sub, "hidden", False):
            continue
        if catalog.is_group(sub):
            sub_examples = group_examples(sub, ctx, 1)
        else:
            sub_examples = catalog.split_help(sub.help)[1]
        if sub_examples:
            found.append(sub_examples[0])
        if len(found) >= limit:
            break
    return found


def command_help(ctx: Any) -> str:
    """The help of ``ctx.command`` (anything but the root)."""
    from kraken_ops.cli import catalog

    command = ctx.command
    path = ctx.command_path.split()[1:]
    spec = catalog.command_spec(command, path, ctx)
    raw = getattr(command, "raw_command_name", None)
    if spec.group and raw and spec.subcommands == [raw]:  # kraken-ops spot [flags] URL
        spec = catalog.command_spec(command.commands[raw], path, ctx)
    rows: list[tuple[str, str]] = []
    if spec.group:
        for name in spec.subcommands:
            sub = command.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                rows.append((name, catalog.summary_of(catalog.split_help(sub.short_help or sub.help)[0])))
        spec.examples = spec.examples or group_examples(command, ctx)
    return render_command(spec, ctx, rows)


def root_help_data(command: Any, registry: dict[str, Any], intro: str, examples: Sequence[Any]) -> dict[str, Any]:
    """What ``kraken-ops --help`` shows, as plain data (the launcher keeps a copy: :mod:`kraken_ops.cli._root_help`)."""
    from kraken_ops.cli import catalog

    panels: dict[str, list[list[str]]] = {key: [] for key in PANELS}
    for name, entry in registry.items():
        if not getattr(entry, "hidden", False):
            panels.setdefault(getattr(entry, "panel", "tools"), []).append([name, catalog.summary_of(entry.help)])
    specs = [catalog.param_spec(p) for p in command.params if str(p.name) not in catalog.SKIPPED and not getattr(p, "hidden", False)]
    completion = [p for p in command.params if str(p.name) in ("install_completion", "show_completion")]
    flags = flag_rows([p for p in specs if p.dest == "version"])
    flags += [(f"    {p.opts[0]}", " ".join(str(p.help or "").split())) for p in completion]
    return {
        "intro": intro,
        "panels": [[PANELS.get(key, key.upper()), rows] for key, rows in panels.items() if rows],
        "global_flags": [list(row) for row in flag_rows([p for p in specs if p.dest != "version"])],
        "flags": [list(row) for row in [*flags, HELP_ROW]],
        "examples": [[e.command, e.comment] for e in examples],
    }


def render_root(data: dict[str, Any], w: int) -> str:
    """``kraken-ops --help`` from :func:`root_help_data`: commands in panels, global flags once."""
    out = paragraphs(data["intro"], w)
    out += section("USAGE", [f"  {PROG} <command> <subcommand> [flags]"])
    left = max(len(name) for _, rows in data["panels"] for name, _ in rows)
    for title, rows in data["panels"]:
        out += section(title, two_columns([(name.ljust(left), text) for name, text in rows], w))
    out += section("GLOBAL FLAGS", two_columns([tuple(row) for row in data["global_flags"]], w))
    out += section("FLAGS", two_columns([tuple(row) for row in data["flags"]], w))
    out += section("EXAMPLES", [line for command, comment in data["examples"] for line in example_lines(command, comment, w)])
    learn = [
        f"Use `{PROG} <command> --help` for more information about a command;",
        f"`{PROG} commands -o json` describes every command and its flags.",
        "Global flags go before the command or after it.",
        f"Exit codes: {EXIT_CODES}",
    ]
    out += section("LEARN MORE", [line for text in learn for line in wrap(text, w, "  ", "  ")])
    return "\n".join(out)


def root_help(ctx: Any, registry: dict[str, Any], intro: str, examples: Sequence[Any]) -> str:
    """``kraken-ops --help``: from the registry (no command module is imported)."""
    return render_root(root_help_data(ctx.command, registry, intro, examples), width(ctx))
