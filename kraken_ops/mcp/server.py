"""The kraken-ops MCP server: CLI commands as MCP tools over stdio (official ``mcp`` SDK).

A tool call runs the CLI command itself, in this process, with ``--profile NAME -o json``
(and ``--yes`` once a destructive call is acknowledged): the same code path as on the
command line, so the same confirmation and read-only rules, the profile's cross-process
nonce store and this process's rate limiter apply. A failure comes back as the CLI's JSON
error envelope (``{"error": CATEGORY, "message", "kraken_error", "retryable", "profile"}``)
with ``isError: true``.

Calls run one at a time in a worker thread (the command writes to ``sys.stdout``, which is
swapped for a buffer while it runs; the MCP SDK keeps its own copy of the real stdout).
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from kraken_ops.mcp.catalog import ACK, ToolSpec, build_tools

SERVER_NAME = "kraken-ops"
# CLI exit code -> error category, for commands that print no JSON envelope (the local exchange's)
EXIT_CATEGORIES = {1: "api", 2: "usage", 3: "config", 4: "network", 5: "partial", 130: "interrupted"}


@dataclass
class ServerConfig:
    """What ``kraken-ops mcp`` was started with."""

    profile: str | None = None
    services: list[str] = field(default_factory=lambda: ["market", "account"])
    allow_dangerous: bool = False


@dataclass
class ToolResult:
    """What a tool call produced: JSON text for the client, whether it failed, messages from stderr."""

    text: str
    is_error: bool = False
    messages: str = ""


def envelope_for(exc: BaseException, profile: str | None) -> str:
    """The CLI's JSON error envelope for ``exc`` (see :func:`kraken_ops.cli.errors.describe`)."""
    from kraken_ops.cli.errors import describe
    from kraken_ops.cli.output import dumps

    return dumps(describe(exc, profile).envelope(), indent=None)


class KrakenOpsTools:
    """The tool table of one server, and the runner of one call."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.profile_read_only = self._read_only(config.profile)
        tools = build_tools(config.services, include_destructive=not self.profile_read_only)
        self.tools: dict[str, ToolSpec] = {tool.name: tool for tool in tools}
        self._lock = threading.Lock()

    @staticmethod
    def _read_only(name: str | None) -> bool:
        """Whether the server's profile is read-only (raises for an unknown profile)."""
        from kraken_ops.cli.clients import get_profile

        profile = get_profile(name)
        return bool(getattr(profile, "read_only", False)) if profile is not None else False

    def call(self, name: str, arguments: dict[str, Any] | None) -> ToolResult:
        """Run tool ``name``; refusals and failures come back as error envelopes."""
        from kraken_ops.cli.errors import UsageProblem

        arguments = dict(arguments or {})
        profile = self.config.profile
        tool = self.tools.get(name)
        if tool is None:
            return ToolResult(envelope_for(UsageProblem(f"unknown tool {name!r} (not served with these services and this profile)"), profile), True)
        acknowledged = arguments.pop(ACK, False) is True
        if tool.destructive and not (acknowledged or self.config.allow_dangerous):
            problem = UsageProblem(
                f"{name} ({tool.command_line}) may move money or destroy state; nothing was sent. "
                f"Call it again with \"{ACK}\": true after the user agreed"
            )
            return ToolResult(envelope_for(problem, profile), True)
        extra: list[str] = []
        if tool.prefix == ("audit",):  # without --profile it would read every account's entries
            from kraken_ops.profiles import resolve_name

            profile = resolve_name(profile)
            if not profile:
                problem = UsageProblem("audit reads the entries of the server's profile; start the server with --profile NAME")
                return ToolResult(envelope_for(problem, None), True)
        if tool.takes_profile and profile:
            extra += ["--profile", profile]
        if tool.takes_output:
            extra += ["--output", "json"]
        if tool.takes_yes:
            extra.append("--yes")
        try:
            argv = tool.argv(arguments, extra)
        except ValueError as exc:
            return ToolResult(envelope_for(UsageProblem(str(exc)), profile), True)
        with self._lock:
            return self._run(tool, argv)

    def _run(self, tool: ToolSpec, argv: list[str]) -> ToolResult:
        from kraken_ops.cli.errors import UsageProblem

        from kraken_ops.cli import audit

        out, err = io.StringIO(), io.StringIO()
        profile = self.config.profile
        code: Any = 0
        saved_stdin = sys.stdin
        sys.stdin = io.StringIO("")  # a command that reads stdin gets EOF, never the MCP stream
        origin = audit.set_origin("mcp")  # audit log lines of this call say "via": "mcp"
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = tool.root.main(args=argv, prog_name=" ".join(("kraken-ops", *tool.prefix)), standalone_mode=False)
                except Exception as exc:
                    formatter = getattr(exc, "format_message", None)  # click usage errors: bad choice, missing option ...
                    problem: BaseException = UsageProblem(formatter()) if callable(formatter) else exc
                    return ToolResult(envelope_for(problem, profile), True, err.getvalue())
        finally:
            sys.stdin = saved_stdin
            audit.reset_origin(origin)
        code = code if isinstance(code, int) else 0
        text, messages = out.getvalue().strip(), err.getvalue().strip()
        if code == 0:
            return ToolResult(text or "{}", False, messages)
        if _is_envelope(text):
            return ToolResult(text, True, messages)
        from kraken_ops.cli.errors import CliError

        lines = [line[len("error: ") :] for line in messages.splitlines() if line.startswith("error: ")]
        problem = CliError(lines[-1] if lines else f"{tool.command_line} failed (exit code {code})", category=EXIT_CATEGORIES.get(code, "api"))
        return ToolResult(envelope_for(problem, profile), True, messages)


def _is_envelope(text: str) -> bool:
    import json

    try:
        value = json.loads(text.splitlines()[-1]) if text else None
    except ValueError:
        return False
    return isinstance(value, dict) and "error" in value and "retryable" in value


def build_server(tools: KrakenOpsTools) -> Any:
    """The low-level MCP server whose tool list and calls come from ``tools``."""
    import anyio
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from kraken_ops import __version__

    listed = [
        types.Tool(
            name=spec.name,
            title=spec.command_line,
            description=spec.description,
            input_schema=spec.input_schema(),
            annotations=types.ToolAnnotations(
                title=spec.command_line,
                read_only_hint=spec.read_only and not spec.destructive,
                destructive_hint=spec.destructive,
                idempotent_hint=spec.read_only and not spec.destructive,
                open_world_hint=True,
            ),
        )
        for spec in tools.tools.values()
    ]

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: Any) -> Any:
        result = await anyio.to_thread.run_sync(tools.call, params.name, params.arguments)
        content = [types.TextContent(type="text", text=result.text)]
        if result.messages:
            content.append(types.TextContent(type="text", text=result.messages))
        return types.CallToolResult(content=content, is_error=result.is_error)

    return Server(
        SERVER_NAME,
        version=__version__,
        instructions=(
            "Kraken accounts through kraken-ops. Tools marked destructive move money: they need "
            f"\"{ACK}\": true, which you should send only after the user agreed. Errors are JSON envelopes "
            "with a stable 'error' category and a 'retryable' flag."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve(config: ServerConfig) -> None:
    """Serve the tools of ``config`` over stdio until the client closes the connection."""
    import anyio
    from mcp.server.stdio import stdio_server

    tools = KrakenOpsTools(config)
    server = build_server(tools)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)
