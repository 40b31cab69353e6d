"""The command catalog: every command, its parameters and what it does, read from the app.

One source for everything that describes the CLI: ``kraken-ops commands -o json``, the
help screens (:mod:`kraken_ops.cli.help`), the MCP tools (:mod:`kraken_ops.mcp.catalog`),
``docs/cli.md`` (``scripts/gen_docs.py``) and the shell completions
(``scripts/gen_completions.py``). Nothing is declared twice: the catalog walks the click
commands that typer builds from the command modules, so a command added to the app is
in the catalog, the docs, the completions and (if its group is served) the MCP server.

What a command does comes from its declaration (:mod:`kraken_ops.cli.meta`): the
``kind`` that :func:`kraken_ops.cli.context.command` records, refined by ``@annotate``.
Its examples are the ``Example: ...`` lines of its docstring (``Example: CMD  # comment``
gives the example a comment).

Building the whole catalog loads every command module (:func:`build`); the help of one
command uses :func:`command_spec` on that command only.
"""

from __future__ import annotations

import enum
import inspect
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any, Iterator

from kraken_ops.cli import meta

GLOBAL_PREFIX = "_g_"  # the global options that kraken_ops.cli.context adds to each command
SKIPPED = frozenset({"help", "install_completion", "show_completion"})
CHOICES_INLINE = 24  # a choice list this short is the metavar itself (buy|sell), else NAME and "One of: ..."
KIND_FACTS = {  # kind: (needs_key, moves_money, read_only)
    "public": (False, False, True),
    "read": (True, False, True),
    "private": (True, False, False),
    "write": (True, True, False),
}
TYPE_METAVARS = {"string": "TEXT", "integer": "INTEGER", "number": "NUMBER", "decimal": "DECIMAL", "path": "PATH"}


@dataclass
class Example:
    """One example command line, with an optional comment shown above it."""

    command: str
    comment: str = ""


@dataclass
class ParamSpec:
    """One option or argument of a command."""

    name: str  # JSON/MCP name: the longest long option (cl_ord_id), or the argument's name
    kind: str  # "option" | "argument"
    opts: list[str]  # e.g. ["-p", "--profile"], short ones first
    secondary_opts: list[str]  # e.g. ["--no-confirm"]
    type: str  # string | decimal | integer | number | boolean | path | choice
    metavar: str | None  # TEXT, INTEGER, DECIMAL, PAIR, buy|sell ...; None on flags
    required: bool
    default: Any
    choices: list[str] | None
    repeatable: bool
    flag: bool
    help: str
    minimum: Any = None
    maximum: Any = None
    completion: str | None = None  # "choice" | "path" | "dynamic" (profiles, pairs: ask kraken-ops) | None
    dest: str = ""  # the Python parameter name

    @property
    def label(self) -> str:
        """``-p, --profile NAME`` (options) or ``PAIR...`` (arguments), as help shows it."""
        if self.kind == "argument":
            return self.metavar or self.name.upper()
        names = ", ".join(self.opts + self.secondary_opts) if self.flag else ", ".join(self.opts)
        return f"{names} {self.metavar}" if self.metavar else names


@dataclass
class CommandSpec:
    """One command or group of the app."""

    path: list[str]  # words after kraken-ops
    summary: str
    description: str  # the help without the examples
    group: bool
    runnable: bool  # a leaf command, or a group that also runs on its own (balances)
    hidden: bool
    subcommands: list[str]
    params: list[ParamSpec]
    global_options: list[ParamSpec]  # the global options it accepts after the command
    examples: list[Example]
    kind: str | None = None
    needs_key: bool | None = None
    moves_money: bool | None = None
    read_only: bool | None = None
    dangerous: bool | None = None
    declared: bool = False  # whether the command declared its kind or annotations

    @property
    def name(self) -> str:
        return " ".join(["kraken-ops", *self.path])

    def to_json(self) -> dict[str, Any]:
        """The catalog entry of ``kraken-ops commands -o json``."""
        data = asdict(self)
        data["command"] = self.name
        data.pop("declared")
        for param in data["params"] + data["global_options"]:
            if param["minimum"] is None:
                param.pop("minimum")
            if param["maximum"] is None:
                param.pop("maximum")
        data["global_options"] = [p["opts"][-1] for p in data["global_options"]]
        return data


# --- examples ---------------------------------------------------------------------------------
def split_help(text: str | None) -> tuple[str, list[Example]]:
    """A docstring-like help text split into its description and its ``Example:`` lines.

    ``Example: CMD`` lines (anywhere) and the indented lines of an ``Examples:`` block
    are examples; ``CMD  # comment`` gives one a comment.
    """
    description: list[str] = []
    examples: list[Example] = []
    in_block = False
    for line in inspect.cleandoc((text or "").replace("\b\n", "")).splitlines():
        stripped = line.strip()
        if stripped.startswith("Example:") and stripped != "Example:":
            examples.append(_example(stripped[len("Example:") :]))
            in_block = False
            continue
        if stripped in ("Examples:", "Example:"):
            in_block = True
            continue
        if in_block and line.startswith((" ", "\t")) and stripped:
            if stripped.startswith("#") and not stripped.startswith("#!"):
                examples.append(Example("", stripped.lstrip("# ")))
            else:
                examples.append(_example(stripped.removeprefix("$ ")))
            continue
        in_block = False
        description.append(line)
    merged: list[Example] = []
    for example in examples:  # a comment-only line belongs to the command after it
        if merged and not merged[-1].command and example.command and not example.comment:
            merged[-1] = Example(example.command, merged[-1].comment)
        else:
            merged.append(example)
    return "\n".join(description).strip(), [e for e in merged if e.command]


def _example(text: str) -> Example:
    command, sep, comment = text.strip().partition("  # ")
    return Example(command.strip(), comment.strip() if sep else "")


def summary_of(text: str) -> str:
    """The first sentence (or line) of a help text."""
    first = text.strip().split("\n\n", 1)[0].replace("\n", " ").strip()
    for end in (". ", ".\t"):
        if end in first:
            return first.split(end, 1)[0] + "."
    return first


# --- parameters ---------------------------------------------------------------------------------
def _annotation(param: Any) -> Any:
    descriptor = getattr(param, "type_descriptor", None)
    return getattr(descriptor, "annotation", str)


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """The item type of ``list[X]`` (and whether it is a list), ``Optional`` already removed by typer."""
    import typing

    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set):
        args = typing.get_args(annotation)
        return (args[0] if args else str), True
    return annotation, False


def _choices(param: Any) -> list[str] | None:
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None) if descriptor is not None else None
    if not choices:
        return None
    return [str(c.value) if isinstance(c, enum.Enum) else str(c) for c in choices]


CHECKER_METAVARS = {"price_text": "PRICE", "amend_price_text": "PRICE", "time_text": "TIME"}  # kraken_ops.cli.params callbacks


def _checker(param: Any) -> str | None:
    """The name in :mod:`kraken_ops.cli.params` of the option callback that checks this value, if any."""
    callback = getattr(param, "callback", None)
    target = getattr(callback, "__wrapped__", callback)
    if target is None:
        return None
    from kraken_ops.cli import params

    for name in ("decimal_text", *CHECKER_METAVARS):
        if getattr(params, name, None) is target:
            return name
    return None


def _type_name(param: Any, item: Any, choices: list[str] | None) -> str:
    if getattr(param, "is_flag", False) or item is bool:
        return "boolean"
    if choices:
        return "choice"
    if _checker(param) == "decimal_text":
        return "decimal"
    if isinstance(item, type):
        if issubclass(item, PurePath):
            return "path"
        if item is int:
            return "integer"
        if item is float:
            return "number"
    return "string"


def _json_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (list, tuple)):
        items = [_json_default(v) for v in value]
        return items or None
    if callable(value):
        return None
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def _metavar(param: Any, type_name: str, choices: list[str] | None, repeatable: bool) -> str | None:
    if getattr(param, "is_flag", False):
        return None
    explicit = getattr(param, "metavar", None)
    if param.param_type_name == "argument":
        text = explicit or str(param.name).rstrip("_").upper()
        if repeatable and not explicit and text.endswith("S") and not text.endswith("SS"):
            text = text[:-1]  # PAIRS... reads PAIR...
        return text if text.endswith("...") or not repeatable else f"{text}..."
    if explicit:
        return explicit
    if _checker(param) in CHECKER_METAVARS:
        return CHECKER_METAVARS[_checker(param)]  # type: ignore[index]
    if choices:
        inline = "|".join(choices)
        if len(inline) <= CHOICES_INLINE:
            return inline
        long_opt = max((o for o in param.opts if o.startswith("--")), key=len, default=str(param.name))
        return long_opt.lstrip("-").split("-")[-1].upper()
    return TYPE_METAVARS.get(type_name, "TEXT")


def _property_name(param: Any) -> str:
    if param.param_type_name == "option":
        longs = [o for o in param.opts if o.startswith("--")] or list(param.opts)
        return max(longs, key=len).lstrip("-").replace("-", "_")
    return str(param.name).rstrip("_")


def param_spec(param: Any) -> ParamSpec:
    """The catalog entry of one click parameter of a typer command."""
    item, is_list = _base_type(_annotation(param))
    choices = _choices(param)
    type_name = _type_name(param, item, choices)
    repeatable = bool(is_list or getattr(param, "multiple", False) or (getattr(param, "nargs", 1) or 1) < 0)
    flag = bool(getattr(param, "is_flag", False))
    if choices:
        completion: str | None = "choice"
    elif getattr(param, "_custom_shell_complete", None) is not None:
        completion = "dynamic"
    elif type_name == "path":
        completion = "path"
    else:
        completion = None
    opts = sorted(param.opts, key=lambda o: (o.startswith("--"), param.opts.index(o)))
    minimum = getattr(param, "min", None)
    maximum = getattr(param, "max", None)
    if minimum is None and maximum is None:
        info = getattr(getattr(param, "type_descriptor", None), "parameter_info", None)
        minimum, maximum = getattr(info, "min", None), getattr(info, "max", None)
    return ParamSpec(
        name=_property_name(param),
        kind=param.param_type_name,
        opts=opts,
        secondary_opts=list(getattr(param, "secondary_opts", []) or []),
        type=type_name,
        metavar=_metavar(param, type_name, choices, repeatable),
        required=bool(param.required),
        default=(None if param.default is None else bool(param.default)) if flag else _json_default(param.default),
        choices=choices,
        repeatable=repeatable,
        flag=flag,
        help=" ".join(str(getattr(param, "help", None) or "").split()),
        minimum=minimum,
        maximum=maximum,
        completion=completion,
        dest=str(param.name),
    )


# --- commands ---------------------------------------------------------------------------------
def _facts(command: Any, global_names: set[str]) -> dict[str, Any]:
    declared = meta.of(getattr(command, "callback", None))
    kind = declared.get("kind")
    if kind in KIND_FACTS:
        needs_key, moves_money, read_only = KIND_FACTS[kind]
    else:  # no kind: what the options say, conservatively
        needs_key, moves_money, read_only = False, "_g_yes" in global_names, False
    needs_key = declared.get("needs_key", needs_key)
    moves_money = declared.get("moves_money", moves_money)
    read_only = declared.get("read_only", read_only)
    dangerous = declared.get("dangerous", moves_money)
    return {
        "kind": kind,
        "needs_key": needs_key,
        "moves_money": moves_money,
        "read_only": read_only and not moves_money,
        "dangerous": bool(dangerous or moves_money),
        "declared": bool(declared),
    }


def is_group(command: Any) -> bool:
    return getattr(command, "commands", None) is not None or hasattr(command, "registry")


def command_spec(command: Any, path: list[str], ctx: Any = None) -> CommandSpec:
    """The catalog entry of one click command (its subcommands are named, not loaded)."""
    description, examples = split_help(command.help)
    group = is_group(command)
    own: list[ParamSpec] = []
    globals_: list[ParamSpec] = []
    for param in command.params:
        name = str(param.name or "")
        if name in SKIPPED or getattr(param, "hidden", False):
            continue
        (globals_ if name.startswith(GLOBAL_PREFIX) else own).append(param_spec(param))
    global_names = {p.dest for p in globals_}
    runnable = not group or bool(getattr(command, "invoke_without_command", False) and getattr(command, "callback", None))
    if group:
        try:
            names = command.list_commands(ctx) if ctx is not None else list(command.commands)
        except Exception:  # noqa: BLE001 - a registry that needs a context
            names = list(getattr(command, "commands", {}))
        subcommands = [n for n in names if not getattr(command.commands.get(n), "hidden", False)]
        group = bool(subcommands) or not runnable  # a group with nothing below it is a command (mcp)
    else:
        subcommands = []
    if is_group(command) and runnable and not examples:  # a group that runs on its own: its callback's docstring
        examples = split_help(inspect.getdoc(getattr(command, "callback", None)) or "")[1]
    facts = _facts(command, global_names) if runnable else {"declared": True}
    return CommandSpec(
        path=list(path),
        summary=summary_of(command.short_help or description),
        description=description,
        group=group,
        runnable=runnable,
        hidden=bool(getattr(command, "hidden", False)),
        subcommands=subcommands,
        params=own,
        global_options=globals_,
        examples=examples,
        **facts,
    )


def walk(command: Any, path: list[str] | None = None, parent: Any = None) -> Iterator[tuple[list[str], Any, Any]]:
    """Every (path, command, context) below ``command`` (included), loading lazy groups, hidden ones skipped."""
    from typer._click.core import Context

    path = path or []
    ctx = Context(command, info_name=path[-1] if path else "kraken-ops", parent=parent)
    yield path, command, ctx
    if not is_group(command):
        return
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is None or getattr(sub, "hidden", False):
            continue
        yield from walk(sub, [*path, name], ctx)


@dataclass
class Catalog:
    """Every command of the app, root first, in help order."""

    commands: list[CommandSpec] = field(default_factory=list)

    def get(self, path: list[str] | tuple[str, ...] | str) -> CommandSpec:
        words = path.split() if isinstance(path, str) else list(path)
        for spec in self.commands:
            if spec.path == words:
                return spec
        raise KeyError(" ".join(words))

    def runnable(self) -> list[CommandSpec]:
        return [c for c in self.commands if c.runnable and c.path]

    def to_json(self) -> dict[str, Any]:
        from kraken_ops import __version__

        return {"version": __version__, "commands": [c.to_json() for c in self.commands]}


def build(root: Any = None) -> Catalog:
    """The catalog of the whole app (every command module is loaded)."""
    if root is None:
        from kraken_ops.cli.app import build_all

        root = build_all()
    return Catalog([command_spec(cmd, path, ctx) for path, cmd, ctx in walk(root)])
