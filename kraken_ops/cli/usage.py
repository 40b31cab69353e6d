"""Usage errors as one line on stderr.

click prints a usage error as three lines (the usage, a "Try ... -h" line and the error).
kraken-ops says what was wrong and where to read more on one line, like every other error
of the CLI (docs/scripting.md), so a script's log and a person's terminal both get a
single ``error: ...`` line and exit code 2::

    error: Missing argument 'NAME'. (usage: kraken-ops exchange account add [flags] NAME; see kraken-ops exchange account add -h)

:func:`install` replaces :meth:`UsageError.show` (a public method of click's exception,
which click and typer call to report the error in standalone mode).
"""

from __future__ import annotations

import sys
from typing import IO, Any

from typer._click.exceptions import UsageError


def one_line(error: UsageError) -> str:
    """The one-line report of a usage error: the message, the command's usage and its help flag."""
    message = " ".join(error.format_message().split()).replace("Value error, ", "")  # pydantic's prefix (typer's coercion)
    ctx = error.ctx
    if ctx is None:
        return f"error: {message} (see kraken-ops -h)"
    path = ctx.command_path
    try:
        usage = " ".join(ctx.get_usage().split())  # "Usage: kraken-ops orders create --pair PAIR ... [flags]"
    except Exception:  # noqa: BLE001 - a usage line is a courtesy; the message is what matters
        usage = ""
    if usage.lower().startswith("usage:"):
        usage = usage[len("usage:"):].strip()
    where = f"usage: {usage}; " if usage else ""
    return f"error: {message} ({where}see {path} -h)"


def _show(self: UsageError, file: IO[Any] | None = None) -> None:
    stream = file if file is not None else sys.stderr
    print(one_line(self), file=stream, flush=True)


def install() -> None:
    """Report click's usage errors on one line (idempotent)."""
    UsageError.show = _show  # type: ignore[method-assign]


__all__ = ["install", "one_line"]
