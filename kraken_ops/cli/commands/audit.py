"""``kraken-ops audit``: read the audit log of money-moving commands (see :mod:`kraken_ops.cli.audit`)."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

import typer

from kraken_ops.cli.context import command, current
from kraken_ops.cli.errors import UsageProblem
from kraken_ops.cli.meta import annotate
from kraken_ops.cli.output import WIDE, Output, View, col, num, prose

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


def brief(entry: dict[str, Any]) -> str:
    """The table's detail: the ids (a space apart, so that each wraps onto its own line) or a
    few words about what went wrong; JSON and CSV have the whole message (:func:`detail`)."""
    outcome = entry.get("outcome") or {}
    status = outcome.get("status")
    if status == "ok":
        return detail(entry, sep=" ")
    if status == "interrupted":
        return "interrupted while out: check before sending again"
    if status in ("unknown", "not_placed", "not_applied"):
        check = outcome.get("check")
        return "answer lost; check: " + str(check) if check else "outcome unknown: the answer was lost"
    if status == "error" and outcome.get("error"):
        message = str(outcome.get("kraken_error") or outcome.get("message") or "")
        return f"{outcome['error']}: {_clip(message)}"
    return _clip(detail(entry))


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 4].rsplit(" ", 1)[0] + " ..."


def human_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the table for people: :func:`rows` with the brief detail."""
    return [{**row, "detail": brief(entry)} for row, entry in zip(rows(entries), entries)]


def rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per entry (tables and CSV; JSON prints the entries themselves)."""
    from kraken_ops.cli.output import dumps

    out = []
    for entry in entries:
        outcome = entry.get("outcome") or {}
        out.append(
            {
                "time": str(entry.get("time", "")),
                "profile": entry.get("profile"),
                "environment": entry.get("environment"),
                "command": entry.get("command"),
                "action": entry.get("action"),
                "status": outcome.get("status"),
                "detail": detail(entry),
                "ids": " ".join(str(i) for i in outcome.get("ids") or []),
                "params": dumps(entry.get("params") or {}, indent=None),
                "via": entry.get("via"),
                "user": entry.get("user"),
                "host": entry.get("host"),
                "pid": entry.get("pid"),
            }
        )
    return out


def short_time(row: dict[str, Any], *, now: dt.datetime | None = None) -> str:
    """An entry's time for a person, local: the clock alone today (``03:04:05``), the day too
    this year (``05-01 03:04:05``), the year too before (``2025-05-01 03:04``) -- as ``ls -l``
    does, so that the command keeps its column beside a Futures id at 80 columns."""
    text = str(row.get("time") or "")
    try:
        local = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return text
    today = (now or dt.datetime.now().astimezone()).date()
    if local.date() == today:
        return local.strftime("%H:%M:%S")
    return local.strftime("%m-%d %H:%M:%S" if local.year == today.year else "%Y-%m-%d %H:%M")


VIEWS = {
    # times, profiles, statuses and ids are never split (a Futures order id is 36 characters):
    # the command and the detail wrap between their words (ids a space apart: one a line,
    # failures in a few words), so the command fits beside a Futures id at 80 columns
    # unless a long profile name takes its room (-o wide shows it)
    "log": View(
        rows,
        CSV_COLUMNS,
        only=True,
        human_rows=human_rows,
        table=[
            col("time", "time", 1, get=short_time),
            col("profile", "profile", 1),
            prose("command", "command", 2),
            col("status", "status", 1),
            prose("detail", "detail", 1),
            col("environment", "environment", 3),
            prose("action", "action", 4),
            col("via", "via", WIDE),
            col("user", "user", WIDE),
            col("host", "host", WIDE),
            num("pid", "pid", WIDE),
        ],
    ),
}


def run_audit(opts: AuditOptions, out: Output, path: Any = None) -> list[dict[str, Any]]:
    """Print the entries of the audit log chosen by ``opts``."""
    from kraken_ops.cli import audit
    from kraken_ops.cli.output import dumps

    bad: list[str] = []
    entries = list(audit.filter_entries(audit.read_entries(path, bad=bad), profiles=opts.profiles, since=opts.since))
    if bad:
        shown = ", ".join(bad[:3]) + (" ..." if len(bad) > 3 else "")
        out.warn(f"skipped {len(bad)} line(s) of the audit log that are not entries: {shown}")
    if out.fmt == "ndjson":
        out.text("".join(dumps(e, indent=None) + "\n" for e in entries) or "")
    elif out.is_table and not entries:
        out.text("(no entries)")
    else:
        out.emit(entries, VIEWS["log"])  # JSON: the entries as written; CSV and tables: a row each
    return entries


def audit_(
    since: Optional[str] = typer.Option(None, "--since", metavar="TIME", help="Only entries since TIME: 1h, 2d, 30m ago, or ISO 8601 (2026-05-01T12:00Z)."),
) -> None:
    """The audit log: who moved money, where, and what came of it. Every money-moving command writes to it.

    Every command that moves money (orders, withdrawals, transfers, allocations, ws
    trading, panic, deadman, MCP tools, raw private writes) appends one line to the
    audit log in the state directory. --profile (repeatable) and --group keep the
    entries of those profiles.

    Table: narrow terminals leave out first action, environment, command; -o wide adds via, user, host, pid.

    Example: kraken-ops audit --profile bot1 --since 2d
    Example: kraken-ops audit --group bots --since 2026-05-01 -o csv  # a spreadsheet's columns
    """
    from kraken_ops.cli import audit

    options = current()
    when = None
    if since is not None:
        try:
            when = audit.parse_since(since)
        except ValueError as exc:
            raise UsageProblem(f"--since {since!r} {exc}") from None
    profiles: list[str] = []
    if (options.profiles or options.groups) and not options.all_profiles:  # no selection: every profile's entries
        from kraken_ops.cli.clients import targets

        profiles = [name for name in targets(options) if name is not None]
    run_audit(AuditOptions(profiles=profiles, since=when), Output.from_options(options))


def register_top_level(root: typer.Typer) -> None:
    """``kraken-ops audit`` lives at the top level."""
    # kind read: --profile (repeatable), --group and --all-profiles choose whose entries; a local file, no key
    command(root, "audit", kind="read")(annotate(needs_key=False)(audit_))
