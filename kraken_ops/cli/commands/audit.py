"""``kraken-ops audit``: read the audit log of money-moving commands (see :mod:`kraken_ops.cli.audit`)."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

import typer

from kraken_ops.cli.context import command, current
from kraken_ops.cli.errors import UsageProblem
from kraken_ops.cli.output import Output, View, listed

TABLE_COLUMNS = ["time", "profile", "command", "status", "detail"]
CSV_COLUMNS = ["time", "profile", "environment", "command", "action", "status", "detail", "ids", "params", "via", "user", "host", "pid"]


@dataclass
class AuditOptions:
    """Inputs of ``kraken-ops audit``."""

    profiles: list[str] = field(default_factory=list)
    since: Optional[dt.datetime] = None


def detail(entry: dict[str, Any], sep: str = ", ") -> str:
    """One short text for a person: the ids an order got (joined by ``sep``), or what went wrong."""
    outcome = entry.get("outcome") or {}
    if outcome.get("status") == "ok":
        ids = outcome.get("ids") or []
        if ids:
            return sep.join(str(i) for i in ids[:3]) + (f"{sep}(+{len(ids) - 3})" if len(ids) > 3 else "")
        result = outcome.get("result")
        if isinstance(result, dict):
            for key in ("count", "triggerTime", "status", "result"):
                if key in result and not isinstance(result[key], (dict, list)):
                    return f"{key} {result[key]}"
        return ""
    text = str(outcome.get("message") or outcome.get("error") or "")
    if outcome.get("kraken_error") and str(outcome["kraken_error"]) not in text:
        text += f" ({outcome['kraken_error']})"
    return text


def rows(entries: list[dict[str, Any]], *, local_times: bool) -> list[dict[str, Any]]:
    """One flat row per entry (tables and CSV; JSON prints the entries themselves)."""
    from kraken_ops.cli.output import dumps

    out = []
    year = dt.datetime.now().year
    for entry in entries:
        outcome = entry.get("outcome") or {}
        when = str(entry.get("time", ""))
        if local_times:  # a person's table: local time, the year only when it is not this one
            try:
                local = dt.datetime.fromisoformat(when).astimezone()
                when = local.strftime("%m-%d %H:%M:%S" if local.year == year else "%Y-%m-%d %H:%M")
            except ValueError:
                pass
        out.append(
            {
                "time": when,
                "profile": entry.get("profile"),
                "environment": entry.get("environment"),
                "command": entry.get("command"),
                "action": entry.get("action"),
                "status": outcome.get("status"),
                "detail": detail(entry, "\n" if local_times else ", "),
                "ids": " ".join(str(i) for i in outcome.get("ids") or []),
                "params": dumps(entry.get("params") or {}, indent=None),
                "via": entry.get("via"),
                "user": entry.get("user"),
                "host": entry.get("host"),
                "pid": entry.get("pid"),
            }
        )
    return out


def run_audit(opts: AuditOptions, out: Output, path: Any = None) -> list[dict[str, Any]]:
    """Print the entries of the audit log chosen by ``opts``."""
    from kraken_ops.cli import audit
    from kraken_ops.cli.output import dumps

    bad: list[str] = []
    entries = list(audit.filter_entries(audit.read_entries(path, bad=bad), profiles=opts.profiles, since=opts.since))
    if bad:
        shown = ", ".join(bad[:3]) + (" ..." if len(bad) > 3 else "")
        out.warn(f"skipped {len(bad)} line(s) of the audit log that are not entries: {shown}")
    if out.fmt == "json":
        out.emit(entries)
    elif out.fmt == "ndjson":
        out.text("".join(dumps(e, indent=None) + "\n" for e in entries) or "")
    elif out.fmt == "csv":
        out.emit(rows(entries, local_times=False), View(listed(), CSV_COLUMNS, only=True))
    else:
        table(rows(entries, local_times=True), out)
    return entries


def table(lines: list[dict[str, Any]], out: Output) -> None:
    """A table for 80 columns: times, profiles and ids are never split (a Futures order id
    is 36 characters: the command wraps between its words to make room)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out.stdout, no_color=not out.color, highlight=False, soft_wrap=False)
    if not lines:
        console.print("(no entries)", style="dim" if out.color else None)
        return
    # widths worked out here (rich shrinks the wrong column): time, profile and status whole; the
    # detail as wide as its longest id (one a line); the command wraps between its words if it must
    widest = {name: max([len(name), *(len(part) for line in lines for part in str(line.get(name) or "").splitlines())]) for name in TABLE_COLUMNS}
    ids = max([len(word) for line in lines for word in str(line.get("detail") or "").split()] or [0])
    fixed = widest["time"] + widest["profile"] + widest["status"] + len(TABLE_COLUMNS) - 1
    detail = min(widest["detail"], max(20, ids))
    command = max(10, min(widest["command"], console.width - fixed - detail))
    grid = Table(box=None, pad_edge=False, collapse_padding=True, header_style="bold" if out.color else "")
    for name in TABLE_COLUMNS:
        grid.add_column(
            name,
            no_wrap=name in ("time", "profile", "status"),
            max_width=command if name == "command" else None,
            min_width=detail if name == "detail" else None,
            overflow="fold",
        )
    for line in lines:
        grid.add_row(*(str(line.get(name) or "") for name in TABLE_COLUMNS))
    console.print(grid)


def audit_(
    since: Optional[str] = typer.Option(None, "--since", metavar="TIME", help="Only entries since TIME: 1h, 2d, 30m ago, or ISO 8601 (2026-05-01T12:00Z)."),
) -> None:
    """The audit log of money-moving commands: who did what, where, and what came of it.

    Every command that moves money (orders, withdrawals, transfers, allocations, ws
    trading, panic, deadman, MCP tools, raw private writes) appends one line to the
    audit log in the state directory. --profile (repeatable) and --group keep the
    entries of those profiles.

    Example: kraken-ops audit --profile bot1 --since 2d
    Example: kraken-ops audit --since 2026-05-01 -o csv > audit.csv
    """
    from kraken_ops.cli import audit

    options = current()
    when = None
    if since is not None:
        try:
            when = audit.parse_since(since)
        except ValueError as exc:
            raise UsageProblem(f"--since {since!r} {exc}") from None
    profiles = list(options.profiles)
    if options.groups:
        from kraken_ops.profiles.config import read_config

        profiles += [n for n in read_config().in_groups(options.groups) if n not in profiles]
    run_audit(AuditOptions(profiles=[] if options.all_profiles else profiles, since=when), Output.from_options(options))


def register_top_level(root: typer.Typer) -> None:
    """``kraken-ops audit`` lives at the top level."""
    command(root, "audit", kind="read")(audit_)
