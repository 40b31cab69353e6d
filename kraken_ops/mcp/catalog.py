"""MCP tools generated from the command catalog (nothing is declared twice).

Each service names the CLI commands it serves by their path prefix (a table,
:data:`SERVICES`). The tools are the runnable commands of the app's catalog
(:mod:`kraken_ops.cli.catalog`, the source of ``kraken-ops commands -o json``, the help,
``docs/cli.md`` and the completions) under those prefixes. Each :class:`ToolSpec` has the
tool's name (``orders_create``), description (the command's help), JSON schema (names,
types, enum choices, ranges, required, help, defaults) and how to turn a call's
arguments back into the command line that the CLI parses. The global options
(``--profile``, ``-o``, ``--yes`` ...) are not tool parameters: the server supplies them.

A tool is destructive when its command is dangerous in the catalog: it moves money
(``kind="write"``, the commands that take ``--yes``) or declares
``@annotate(dangerous=True)`` (``exchange account remove``); it is read-only when the
catalog says so (``kind`` public or read).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable

SERVICES_DEFAULT = ("market", "account")


@dataclass(frozen=True)
class Source:
    """CLI commands served by a service.

    ``prefix`` is the command words they start with (``("orders",)``); ``only`` keeps
    ``"reads"`` (commands that are not dangerous), ``"writes"`` or everything (``None``).
    """

    prefix: tuple[str, ...]
    only: str | None = None
    skip: frozenset[str] = frozenset()  # sub-command paths left out, e.g. "serve"
    hide: frozenset[str] = frozenset()  # parameter names left out (files on the server's disk, endpoints)


SERVICES: dict[str, list[Source]] = {
    "market": [Source(("market",))],
    "account": [
        Source(("balances",)),
        Source(("trade-balance",)),
        Source(("positions",), only="reads"),
        Source(("orders",), only="reads"),
        Source(("trades",)),
        Source(("ledgers",)),
    ],
    # --url would send the WebSocket token wherever the caller says
    "trade": [Source(("orders",)), Source(("positions",), only="writes"), Source(("ws",), hide=frozenset({"url"}))],
    "funding": [Source(("funding",)), Source(("subaccounts",))],
    "earn": [Source(("earn",))],
    # --csv PATH would write anywhere on the server's disk
    "futures": [Source(("futures",), skip=frozenset({"url"}), hide=frozenset({"csv_path"}))],
    # the local exchange's accounts; `serve` runs forever and is left out
    "paper": [Source(("exchange",), skip=frozenset({"serve"}))],
}

# parameters never exposed: anything that would print secrets (the global options, shell
# completion and --help are not in a catalog entry's params)
HIDDEN_PARAMS = frozenset({"print_credentials"})
ACK = "acknowledged"


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


JSON_TYPES = {"boolean": "boolean", "integer": "integer", "number": "number"}


def _schema(param: Any) -> dict[str, Any]:
    """The JSON schema of one catalog parameter."""
    item: dict[str, Any]
    if param.choices:
        item = {"type": "string", "enum": list(param.choices)}
    elif param.type == "path":
        item = {"type": "string", "format": "path"}
    else:
        item = {"type": JSON_TYPES.get(param.type, "string")}
    if item["type"] in ("integer", "number"):
        if param.minimum is not None:
            item["minimum"] = param.minimum
        if param.maximum is not None:
            item["maximum"] = param.maximum
    schema = {"type": "array", "items": item} if param.repeatable else dict(item)
    if param.help:
        schema["description"] = param.help
    default = param.default
    if default is not None and default != []:
        if isinstance(default, (str, int, float, bool)) or (isinstance(default, list) and all(isinstance(v, (str, int)) for v in default)):
            schema["default"] = default
    return schema


def _param_specs(params: list[Any], hide: frozenset[str]) -> list[ParamSpec]:
    specs: list[ParamSpec] = []
    for param in params:
        if param.dest in HIDDEN_PARAMS or param.dest in hide or param.name in hide:
            continue
        longs = sorted((o for o in param.opts if o.startswith("--")), key=len, reverse=True) or list(param.opts)
        specs.append(
            ParamSpec(
                name=param.name,
                kind=param.kind,
                opts=longs,
                secondary_opts=list(param.secondary_opts),
                schema=_schema(param),
                required=param.required,
                is_flag=param.flag,
                many=param.repeatable,
            )
        )
    return specs


def _description(spec: Any) -> str:
    text = spec.description or spec.summary
    return f"{text}\n\n(CLI: {spec.name})" if text else f"CLI: {spec.name}"


def _click_command(root: Any, path: tuple[str, ...]) -> Any:
    """The loaded click command at ``path`` below the app's root."""
    from typer._click.core import Context

    command, ctx = root, Context(root, info_name="kraken-ops")
    for word in path:
        command = command.get_command(ctx, word)
        ctx = Context(command, info_name=word, parent=ctx)
    return command


def build_tools(services: list[str] | tuple[str, ...], *, include_destructive: bool = True) -> list[ToolSpec]:
    """The tools of ``services`` (unknown names raise ``ValueError``), without duplicates."""
    from kraken_ops.cli import catalog
    from kraken_ops.cli.app import build_all

    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        raise ValueError(f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    root = build_all()
    commands = catalog.build(root).runnable()
    tools: dict[str, ToolSpec] = {}
    for service in services:
        for source in SERVICES[service]:
            n = len(source.prefix)
            for spec in commands:
                if tuple(spec.path[:n]) != source.prefix or " ".join(spec.path[n:]) in source.skip:
                    continue
                tool = _tool(service, source, spec, _click_command(root, source.prefix))
                if source.only == "reads" and tool.destructive or source.only == "writes" and not tool.destructive:
                    continue
                if tool.destructive and not include_destructive:
                    continue
                tools.setdefault(tool.name, tool)
    return list(tools.values())


def _tool(service: str, source: Source, spec: Any, root: Any) -> ToolSpec:
    takes = {opt for p in spec.global_options for opt in p.opts}
    return ToolSpec(
        name="_".join(spec.path).replace("-", "_"),
        service=service,
        path=tuple(spec.path[len(source.prefix) :]),
        prefix=source.prefix,
        description=_description(spec),
        params=_param_specs(spec.params, source.hide),
        destructive=bool(spec.dangerous),
        read_only=bool(spec.read_only),
        takes_profile="--profile" in takes,
        takes_output="--output" in takes,
        takes_yes="--yes" in takes,
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
