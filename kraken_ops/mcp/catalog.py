"""MCP tools generated from the ``kraken-ops`` typer apps (nothing is declared twice).

Each service names the CLI groups it serves (a table, :data:`SERVICES`). For every
command of those groups, :func:`build_tools` reads the click parameters of
``typer.main.get_command(group.app)`` and produces one :class:`ToolSpec`: the tool's
name (``orders_create``), description (the command's help), JSON schema (names, types,
enum choices, ranges, required, help, defaults) and how to turn a call's arguments back
into the command line that the CLI parses. The global options (``--profile``, ``-o``,
``--yes`` ...) are not tool parameters: the server supplies them.

A command moves money when it takes ``--yes`` (the CLI gives that option to every
``kind="write"`` and ``kind="fleet"`` command, see :mod:`kraken_ops.cli.context`); :data:`EXTRA_DESTRUCTIVE`
lists the few local-exchange commands that destroy state without being ``write``.
"""

from __future__ import annotations

import enum
import importlib
import typing
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Callable

SERVICES_DEFAULT = ("market", "account")


@dataclass(frozen=True)
class Source:
    """One CLI group served by a service.

    ``target`` is ``module:app`` (a typer app) or ``module:function`` (a
    ``register_top_level(root)`` function that adds commands to a root app);
    ``prefix`` is the command words in front (``("orders",)``); ``only`` keeps
    ``"reads"`` (commands that move no money), ``"writes"`` or everything (``None``).
    """

    target: str
    prefix: tuple[str, ...] = ()
    only: str | None = None
    skip: frozenset[str] = frozenset()  # sub-command paths left out, e.g. "serve"
    hide: frozenset[str] = frozenset()  # click parameter names left out (files on the server's disk, endpoints)


C = "kraken_ops.cli.commands."
SERVICES: dict[str, list[Source]] = {
    "market": [Source(C + "market:app", ("market",))],
    "account": [
        Source(C + "balances:app", ("balances",)),
        Source(C + "balances:register_top_level"),
        Source(C + "positions:register_top_level"),
        Source(C + "orders:app", ("orders",), only="reads"),
        Source(C + "trades:app", ("trades",)),
        Source(C + "ledgers:app", ("ledgers",)),
    ],
    # --url would send the WebSocket token wherever the caller says. `panic` acts on the server's
    # profile only (a tool call never takes --group or --all-profiles: those are global options).
    # `deadman` is left out on purpose: it keeps a switch armed until it is stopped, and a tool
    # call has to return; an agent arms a switch once with orders_cancel_after instead.
    "trade": [
        Source(C + "orders:app", ("orders",)),
        Source(C + "ws:app", ("ws",), hide=frozenset({"url"})),
        Source(C + "panic:register_top_level"),
    ],
    "funding": [Source(C + "funding:app", ("funding",)), Source(C + "subaccounts:app", ("subaccounts",))],
    "earn": [Source(C + "earn:app", ("earn",))],
    # --csv PATH would write anywhere on the server's disk
    "futures": [Source(C + "futures:app", ("futures",), skip=frozenset({"url"}), hide=frozenset({"csv_path"}))],
    # the local exchange's accounts; `serve` runs forever and is left out
    "paper": [Source(C + "exchange:app", ("exchange",), skip=frozenset({"serve"}))],
}

# parameters never exposed: the global options (the server sets them), shell completion,
# and anything that would print secrets
HIDDEN_PREFIX = "_g_"
HIDDEN_PARAMS = frozenset({"install_completion", "show_completion", "print_credentials", "help"})
# commands that destroy state although they take no --yes
EXTRA_DESTRUCTIVE = frozenset({"exchange_account_remove"})
ACK = "acknowledged"

JSON_TYPES: dict[type, str] = {bool: "boolean", int: "integer", float: "number", str: "string"}


@dataclass
class ParamSpec:
    """One tool parameter and the click parameter it fills."""

    name: str  # the JSON property name
    kind: str  # "option" | "argument"
    opts: list[str]
    secondary_opts: list[str]
    schema: dict[str, Any]
    required: bool
    is_flag: bool
    many: bool  # repeated option or nargs=-1 argument

    def argv(self, value: Any) -> list[str]:
        """The command-line words for ``value``."""
        if self.is_flag:
            if value:
                return [self.opts[0]]
            return [self.secondary_opts[0]] if self.secondary_opts else []
        values = value if isinstance(value, list) else [value]
        words = [_text(v) for v in values if v is not None]
        if self.kind == "argument":
            return words
        out: list[str] = []
        for word in words if self.many else words[:1]:
            out += [self.opts[0], word]
        return out


@dataclass
class ToolSpec:
    """One MCP tool: a CLI command, its generated schema and how to run it."""

    name: str
    service: str
    path: tuple[str, ...]  # words after the group's root command, e.g. ("create",)
    prefix: tuple[str, ...]  # e.g. ("orders",)
    description: str
    params: list[ParamSpec]
    destructive: bool
    read_only: bool  # a private read or public data: no side effect at all
    takes_profile: bool
    takes_output: bool
    takes_yes: bool
    root: Any = field(repr=False, default=None)  # the click command to call main() on

    @property
    def command_line(self) -> str:
        return " ".join(("kraken-ops", *self.prefix, *self.path))

    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the tool's arguments (with ``acknowledged`` for destructive tools)."""
        properties = {p.name: p.schema for p in self.params}
        if self.destructive:
            properties[ACK] = {
                "type": "boolean",
                "description": "Set to true to confirm that this call may move money or destroy state (required unless the server runs with --allow-dangerous).",
                "default": False,
            }
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        required = [p.name for p in self.params if p.required]
        if required:
            schema["required"] = required
        return schema

    def argv(self, arguments: dict[str, Any], extra: list[str] | None = None) -> list[str]:
        """The CLI words after the group for ``arguments`` (validated names; values checked by click).

        ``extra`` are options the server adds (``--profile``, ``--output``, ``--yes``).
        """
        known = {p.name: p for p in self.params}
        unknown = sorted(set(arguments) - set(known) - {ACK})
        if unknown:
            raise ValueError(f"unknown argument(s) for {self.name}: {', '.join(unknown)}; expected: {', '.join(known) or 'none'}")
        options: list[str] = []
        positional: list[str] = []
        for param in self.params:
            if param.name not in arguments or arguments[param.name] is None:
                continue
            words = param.argv(arguments[param.name])
            (positional if param.kind == "argument" else options).extend(words)
        return [*self.path, *options, *(extra or []), *(["--"] if positional else []), *positional]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _load(target: str) -> Any:
    """The click command of ``module:app`` or of the commands ``module:function`` registers."""
    import typer
    import typer.main

    module_name, attr = target.split(":")
    obj = getattr(importlib.import_module(module_name), attr)
    if isinstance(obj, typer.Typer):
        return typer.main.get_command(obj)
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a callback keeps even one command a group
    obj(holder)
    return typer.main.get_command(holder)


def _schema_of(param: Any) -> tuple[dict[str, Any], bool]:
    """The JSON schema of one click parameter (from typer's annotation), and whether it repeats."""
    annotation = param.type_descriptor.annotation
    many = False
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set):
        many = True
        args = typing.get_args(annotation)
        annotation = args[0] if args else str
    if getattr(param, "multiple", False) or (getattr(param, "nargs", 1) or 1) < 0:
        many = True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        item: dict[str, Any] = {"type": "string", "enum": [str(m.value) for m in annotation]}
    elif isinstance(annotation, type) and issubclass(annotation, PurePath):
        item = {"type": "string", "format": "path"}
    else:
        item = {"type": JSON_TYPES.get(annotation, "string")} if isinstance(annotation, type) else {"type": "string"}
    if item["type"] in ("integer", "number"):
        if getattr(param, "min", None) is not None:
            item["minimum"] = param.min
        if getattr(param, "max", None) is not None:
            item["maximum"] = param.max
    schema = {"type": "array", "items": item} if many else dict(item)
    help_text = getattr(param, "help", None)
    if help_text:
        schema["description"] = " ".join(str(help_text).split())
    default = param.default
    if isinstance(default, enum.Enum):
        default = default.value
    if default is not None and not callable(default) and default != [] and default != () and not isinstance(default, PurePath):
        if isinstance(default, (str, int, float, bool)) or (isinstance(default, list) and all(isinstance(v, (str, int)) for v in default)):
            schema["default"] = default
    return schema, many


def _property_name(param: Any) -> str:
    if param.param_type_name == "option":
        longs = [o for o in param.opts if o.startswith("--")] or list(param.opts)
        return max(longs, key=len).lstrip("-").replace("-", "_")
    return str(param.name).rstrip("_")


def _param_specs(command: Any, hide: frozenset[str] = frozenset()) -> list[ParamSpec]:
    specs: list[ParamSpec] = []
    for param in command.params:
        name = str(param.name or "")
        if name.startswith(HIDDEN_PREFIX) or name in HIDDEN_PARAMS or name in hide or getattr(param, "hidden", False):
            continue
        schema, many = _schema_of(param)
        is_flag = bool(getattr(param, "is_flag", False))
        longs = sorted((o for o in param.opts if o.startswith("--")), key=len, reverse=True) or list(param.opts)
        specs.append(
            ParamSpec(
                name=_property_name(param),
                kind=param.param_type_name,
                opts=longs,
                secondary_opts=list(getattr(param, "secondary_opts", []) or []),
                schema=schema,
                required=bool(param.required),
                is_flag=is_flag,
                many=many,
            )
        )
    return specs


def _description(command: Any, line: str) -> str:
    text = (command.help or getattr(command, "short_help", None) or "").replace("\b\n", "").strip()
    return f"{text}\n\n(CLI: {line})" if text else f"CLI: {line}"


def _walk(command: Any, path: tuple[str, ...], skip: frozenset[str]) -> list[tuple[tuple[str, ...], Any]]:
    """Every runnable (path, command) under ``command``; a group runs itself when it has a callback body."""
    if " ".join(path) in skip:
        return []
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        return [(path, command)]
    found: list[tuple[tuple[str, ...], Any]] = []
    if getattr(command, "invoke_without_command", False) and any(str(p.name).startswith(HIDDEN_PREFIX) for p in command.params):
        found.append((path, command))
    for name, sub in subcommands.items():
        if getattr(sub, "hidden", False):
            continue
        found.extend(_walk(sub, (*path, name), skip))
    return found


def build_tools(services: list[str] | tuple[str, ...], *, include_destructive: bool = True) -> list[ToolSpec]:
    """The tools of ``services`` (unknown names raise ``ValueError``), without duplicates."""
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        raise ValueError(f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    tools: dict[str, ToolSpec] = {}
    for service in services:
        for source in SERVICES[service]:
            root = _load(source.target)
            for path, command in _walk(root, (), source.skip):
                spec = _tool(service, source, root, path, command)
                if source.only == "reads" and spec.destructive or source.only == "writes" and not spec.destructive:
                    continue
                if spec.destructive and not include_destructive:
                    continue
                tools.setdefault(spec.name, spec)
    return list(tools.values())


def _tool(service: str, source: Source, root: Any, path: tuple[str, ...], command: Any) -> ToolSpec:
    names = {str(p.name) for p in command.params}
    words = (*source.prefix, *path)
    name = "_".join(words).replace("-", "_")
    takes_yes = "_g_yes" in names
    destructive = takes_yes or name in EXTRA_DESTRUCTIVE
    return ToolSpec(
        name=name,
        service=service,
        path=path,
        prefix=source.prefix,
        description=_description(command, " ".join(("kraken-ops", *words))),
        params=_param_specs(command, source.hide),
        destructive=destructive,
        read_only=not destructive and ("_g_all_profiles" in names or service == "market"),
        takes_profile="_g_profile" in names,
        takes_output="_g_output" in names,
        takes_yes=takes_yes,
        root=root,
    )


def parse_services(text: str | None) -> list[str]:
    """``"market,account"`` -> ``["market", "account"]`` (default: the read-only services)."""
    if not text:
        return list(SERVICES_DEFAULT)
    names = [s.strip().lower() for s in text.split(",") if s.strip()]
    if "all" in names:
        return list(SERVICES)
    return names


Runner = Callable[[ToolSpec, dict[str, Any]], Any]
