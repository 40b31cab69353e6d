"""``kraken-ops version`` and ``kraken-ops commands`` (the catalog of every command)."""

# No `from __future__ import annotations` here (see orders.py): typer would compile() them.

from typing import Any, Optional

import typer

from kraken_ops.cli.context import command

CATALOG_COLUMNS = ["command", "summary", "needs_key", "moves_money", "read_only"]


def catalog_rows(document: Any) -> list[dict[str, Any]]:
    """Table, CSV and NDJSON rows of the catalog: one per runnable command."""
    rows = []
    for entry in document.get("commands", []):
        if not entry.get("runnable"):
            continue
        row = {k: entry.get(k) for k in CATALOG_COLUMNS}
        row["command"] = " ".join(entry["path"])  # without "kraken-ops ": narrower tables
        rows.append({**row, "kind": entry.get("kind"), "params": [p["name"] for p in entry["params"]]})
    return rows


def run_commands(prefix: list[str], out: Any) -> Any:
    """Print the catalog (or the part under ``prefix``)."""
    from kraken_ops.cli import catalog
    from kraken_ops.cli.errors import UsageProblem
    from kraken_ops.cli.output import View

    full = catalog.build()
    if prefix:
        chosen = [c for c in full.commands if c.path[: len(prefix)] == prefix]
        if not chosen:
            raise UsageProblem(f"no command {' '.join(prefix)!r}; see kraken-ops --help")
        full = catalog.Catalog(chosen)
    document = full.to_json()
    out.emit(document, View(catalog_rows, CATALOG_COLUMNS))
    return document


def register_top_level(root: typer.Typer) -> None:
    """Add ``version`` and ``commands`` to the root app."""

    @command(root, "version", kind="public")
    def version() -> None:
        """The version of kraken-ops.

        Same as kraken-ops --version (or -V); with -o json also Python's and typer's versions,
        and whether the order book's optional C helpers are in use (order_book_c_helpers:
        false when they were not built at install, or KRAKEN_OPS_NO_EXTENSIONS is set).

        Example: kraken-ops version
        Example: kraken-ops version -o json
        """
        import platform

        from kraken_ops import __version__
        from kraken_ops.cli.context import current
        from kraken_ops.cli.output import Output

        options = current()
        out = Output.from_options(options)
        if options.output in (None, "table") and options.query is None:  # a line, as --version prints it
            out.text(f"kraken-ops {__version__}")
            return
        from kraken_ops.spot.orderbook import _apply_one

        out.emit({"version": __version__, "python": platform.python_version(), "typer": typer.__version__,
                  "order_book_c_helpers": _apply_one is not None})

    @command(root, "commands", kind="public")
    def commands(
        prefix: Optional[list[str]] = typer.Argument(None, help="Only the commands under these words, e.g. orders or futures orders."),
    ) -> None:
        """Every command, its flags and what it does (-o json).

        Each entry names the command, its help and examples, each parameter (name, type,
        required, default, choices, repeatable) and whether the command needs an API key,
        moves money or is read-only. The MCP tools, docs/cli.md and the shell completions
        are generated from the same catalog.

        Example: kraken-ops commands
        Example: kraken-ops commands orders -o json
        Example: kraken-ops commands -o json --query "commands[?moves_money].command"
        """
        from kraken_ops.cli.context import current
        from kraken_ops.cli.output import Output

        run_commands(list(prefix or []), Output.from_options(current()))
