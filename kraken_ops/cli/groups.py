"""Click group classes shared by the app and the command modules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from typer._click import Command
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer._click.utils import echo, make_default_short_help
from typer.core import TyperGroup

from typer._click.core import Context

RAW_COMMAND = "url"


def looks_like_url(arg: str) -> bool:
    """Whether a command-line argument is a URL or an absolute API path."""
    return arg.startswith(("/", "http://", "https://"))


class RawFallbackGroup(TyperGroup):
    """A group whose arguments fall through to the raw ``url`` command when they hold a URL.

    ``kraken-ops futures -X POST /derivatives/api/v3/sendorder ...`` runs the raw
    command; ``kraken-ops futures market tickers`` runs the typed group. When the raw
    command is the group's only visible one (``kraken-ops spot``), the group's help is
    the raw command's.
    """

    raw_command_name = RAW_COMMAND

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and any(looks_like_url(a) for a in args):
            args = [RAW_COMMAND, *args]
        return super().parse_args(ctx, args)


class HelpContext(Context):
    """A click context whose help and usage line come from :mod:`kraken_ops.cli.help`."""

    def get_help(self) -> str:
        from kraken_ops.cli import help

        render = getattr(self.command, "render_help", None)
        return render(self) if callable(render) else help.command_help(self)

    def get_usage(self) -> str:
        from kraken_ops.cli import catalog, help

        if hasattr(self.command, "render_help"):
            return f"Usage: {help.PROG} <command> <subcommand> [flags]"
        spec = catalog.command_spec(self.command, self.command_path.split()[1:], self)
        return "\n".join(help.fill(["Usage:", *help.usage_words(spec)], help.width(self), "", "    "))


def install(command: Any) -> Any:
    """Route ``command``'s help (and its subcommands') through :class:`HelpContext`; returns it."""
    if command is None:
        return None
    command.context_class = HelpContext
    for sub in (getattr(command, "commands", None) or {}).values():
        install(sub)
    return command


@dataclass(frozen=True)
class LazyCommand:
    """One top-level command of a :class:`LazyGroup`: its one-line help, how to build it, its panel.

    ``help`` is what ``kraken-ops --help`` and shell completion show without importing
    the command's module (a test checks it against the real command's help).
    ``load`` imports the module and returns the click command (``None`` when the
    module is not installed). ``panel`` is the heading it is listed under in
    ``kraken-ops --help`` (a key of :data:`kraken_ops.cli.help.PANELS`).
    """

    help: str
    load: Callable[[], Command | None]
    panel: str = "tools"


class LazyGroup(TyperGroup):
    """A group whose commands are imported and converted from typer only when used.

    ``registry`` (set by a subclass) lists the commands in display order. ``--help``
    and completion of the command names read the registry; running a command (or
    completing below it) loads that one command only. Help screens (this group's
    and every loaded command's) come from :mod:`kraken_ops.cli.help`, so that
    ``kraken-ops --help`` needs neither rich nor any command module. The group
    alone prints its help and exits 0, and so does any group below it run without
    a command. Parsing turns on :mod:`kraken_ops.cli.coercion`, which builds
    typer's pydantic adapters only for option values that need them.
    """

    registry: Mapping[str, LazyCommand] = {}
    context_class = HelpContext

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from kraken_ops.cli import coercion

        coercion.enable()  # options are parsed on every run: keep pydantic out of it
        if not args and not ctx.resilient_parsing:
            echo(ctx.get_help(), color=ctx.color)
            ctx.exit(0)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            result = super().invoke(ctx)
        except NoArgsIsHelpError as exc:  # `kraken-ops orders`: its help on stdout, exit 0 (as gh, kubectl)
            echo(exc.ctx.get_help(), color=exc.ctx.color)
            ctx.exit(0)
        if getattr(ctx.obj, "query", None) is not None:  # --query before a command that prints no JSON
            from kraken_ops.cli import query

            query.warn_if_unused()
        return result

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.registry) + [name for name in self.commands if name not in self.registry]

    def get_command(self, ctx: Any, cmd_name: str) -> Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.registry:
            command = install(self.registry[cmd_name].load())  # its help (and its subcommands') ours
            if command is not None:
                self.commands[cmd_name] = command
        return command

    def one_line_help(self, name: str, limit: int = 45) -> str:
        """The one-line help of ``name`` without loading it (unless it is loaded already)."""
        loaded = self.commands.get(name)
        if loaded is not None:
            return loaded.get_short_help_str(limit)
        return make_default_short_help(self.registry[name].help, limit)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as exc:  # "Did you mean ...?" over every command, loaded or not
            from difflib import get_close_matches

            matches = get_close_matches(args[0], self.list_commands(ctx)) if self.suggest_commands and args else []
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        from typer._click.shell_completion import CompletionItem

        results = [CompletionItem(name, help=self.one_line_help(name)) for name in self.list_commands(ctx) if name.startswith(incomplete)]
        results.extend(Command.shell_complete(self, ctx, incomplete))
        return results
