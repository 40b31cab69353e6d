"""``kraken-ops shell``: an interactive shell of the CLI's commands (see :mod:`kraken_ops.cli.shell`)."""

# No `from __future__ import annotations` here (see orders.py): typer would compile() them.

from pathlib import Path
from typing import Optional

import typer

from kraken_ops.cli.context import command, current
from kraken_ops.cli.errors import UsageProblem
from kraken_ops.cli.meta import annotate


def root_args(options) -> list:  # type: ignore[no-untyped-def]
    """The global options given to ``kraken-ops shell``, as root options for every line."""
    args: list = []
    if options.output:
        args += ["-o", options.output]
    if options.verbose:
        args.append("-v")
    if options.no_color:
        args.append("--no-color")
    if options.timeout is not None:
        args += ["--timeout", str(options.timeout)]
    return args


def register_top_level(root: typer.Typer) -> None:
    """Add ``shell`` to the root app."""

    @command(root, "shell", kind="public")
    @annotate(needs_key=False, read_only=False)
    def shell(
        history_file: Optional[Path] = typer.Option(None, "--history-file", metavar="FILE", help="Where the history goes (default: STATE_DIR/shell_history)."),
        no_history: bool = typer.Option(False, "--no-history", help="Keep no history file."),
    ) -> None:
        """An interactive shell: every command without typing kraken-ops, with history and Tab completion.

        Completes commands, options, choices, profiles and pairs. `use PROFILE` sets the
        profile of the following commands (shown in the prompt); `status` shows the last
        exit code; `help`, `exit` or Ctrl-D. Commands print and exit as on the command
        line, and money-moving ones still ask for confirmation. -o, -v, --no-color and
        --timeout given to the shell apply to each of its commands. Without a terminal it
        runs the commands of stdin, one a line.

        Example: kraken-ops shell
        Example: kraken-ops shell -p paper  # starts with `use paper`
        Example: printf 'use paper\\nmarket time\\nbalances\\n' | kraken-ops shell -o json
        """
        from kraken_ops.cli import shell as shell_module

        options = current()
        if options.query is not None:
            raise UsageProblem("--query filters one command's output: give it to the commands inside the shell")
        if options.yes:
            typer.echo("warning: --yes does not carry into the shell: money-moving commands still ask", err=True)
        history = None if no_history else (history_file or shell_module.history_path())
        code = shell_module.run_shell(
            profile=options.profiles[0] if options.profiles else None,
            root_args=root_args(options),
            history=history,
            color=options.color,
        )
        if code:
            raise typer.Exit(code)
