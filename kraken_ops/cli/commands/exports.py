"""``kraken-ops exports``: trades/ledgers reports (create, status, download, delete, cancel).

``download`` streams the zip to ``PATH.part`` in 64 KiB chunks (constant memory),
then renames it to ``PATH``: a partial file is never left under the final name. On a
terminal (never in JSON mode) stderr shows the report's status and the elapsed time
while Kraken prepares it, then bytes, rate and time left while it downloads
(:mod:`kraken_ops.cli.progress`). ``create`` without ``--wait`` prints the command that
fetches the report.
"""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

import os
import sys
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Optional

import typer

from kraken_ops.cli.clients import single
from kraken_ops.cli.context import command, current
from kraken_ops.cli.errors import CliError
from kraken_ops.cli.output import RECORD, WIDE, Output, View, col, listed, prose, when
from kraken_ops.cli.params import csv_list

app = typer.Typer(help="Trades and ledgers reports: create, status, download, delete, cancel.", no_args_is_help=True)

SPEC = "spot.User"
VIEWS = {
    "status": View(
        listed(),
        ["id", "descr", "report", "format", "status", "createdtm", "completedtm", "expiretm"],
        table=[
            col("id", "id", 1, "id"),
            col("report", "report", 3),
            col("status", "status", 1),
            when("createdtm", "created", 2),
            when("completedtm", "completed", 5),
            when("expiretm", "expires", 6),
            prose("descr", "name", 4),
            col("format", "format", WIDE),
            when("datastarttm", "from", WIDE),
            when("dataendtm", "to", WIDE),
        ],
    ),
    "result": RECORD,
}
CHUNK = 65536


class Report(str, Enum):
    trades = "trades"
    ledgers = "ledgers"


class Format(str, Enum):
    CSV = "CSV"
    TSV = "TSV"


@dataclass
class CreateExportOptions:
    """Inputs of ``exports create``."""

    report: str
    description: str
    format: str = "CSV"
    fields: list[str] | None = None
    start: int | None = None
    end: int | None = None
    wait: bool = False
    download: str | None = None
    poll_interval: float = 2.0
    wait_timeout: float = 3600.0


def run_download(user: Any, report_id: str, path: str, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Stream the report ``report_id`` to ``path`` through ``path.part``; return a summary.

    On a terminal, stderr shows bytes, rate and time left (``progress`` replaces it).
    """
    from kraken_ops.cli import progress as drawing

    response = user.retrieve_export(id_=report_id, timeout=max(60, int(current().timeout or 0)))
    temp = f"{path}.part"
    size = 0
    try:
        total = None
        headers = getattr(response, "headers", None) or {}
        if headers.get("Content-Length", "").isdigit():
            total = int(headers["Content-Length"])
        bar = drawing.download(f"downloading {report_id}", total) if progress is None else drawing.quiet()
        advance = progress or bar.advance
        with bar, open(temp, "wb") as handle:
            for chunk in response.iter_content(CHUNK):
                if chunk:
                    handle.write(chunk)
                    size += len(chunk)
                    advance(len(chunk))
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
    return {"id": report_id, "path": os.path.abspath(path), "bytes": size}


def wait_until_processed(
    user: Any, report: str | None, report_id: str, *, interval: float = 2.0, timeout: float = 3600.0, display: Any = None
) -> dict[str, Any]:
    """Poll ExportStatus until the report is Processed (or fails, or ``timeout`` passes).

    ``report`` None looks for the id among both kinds (trades, ledgers). On a terminal,
    stderr shows Kraken's status of the report and the elapsed time (``display``: a
    context from :func:`kraken_ops.cli.progress.export_wait`).
    """
    from kraken_ops.cli import progress as drawing

    kinds = [report] if report else ["trades", "ledgers"]
    deadline = time.monotonic() + timeout
    with display if display is not None else drawing.export_wait(report_id) as shown:
        while True:
            found = False
            for kind in kinds:
                for item in user.get_export_report_status(report=kind) or []:
                    if item.get("id") == report_id:
                        found, kinds = True, [kind]
                        status = item.get("status")
                        if status == "Processed":
                            return item
                        if status not in ("Queued", "Processing"):
                            raise CliError(f"export {report_id} ended with status {status!r}", category="api")
                        shown.status(str(status))
                if found:
                    break
            if not found and len(kinds) > 1:
                raise CliError(f"no export {report_id} among the trades and ledgers reports", category="usage", hint="list them with: kraken-ops exports status")
            if time.monotonic() > deadline:
                raise CliError(f"export {report_id} not processed after {timeout:.0f}s", category="network", hint="check later with: kraken-ops exports status")
            time.sleep(interval)


def next_step(report: str, report_id: str) -> str:
    """The command that fetches the report once Kraken has prepared it."""
    options = current()
    profile = f" -p {options.profiles[0]}" if options.profiles else ""
    return f"kraken-ops exports download {report_id} {report}-{report_id}.zip --wait{profile}"


def run_create_export(opts: CreateExportOptions, user: Any, out: Output | None = None) -> Any:
    """Request the report; with ``wait``/``download``, poll and fetch it."""
    result = user.request_export_report(
        report=opts.report, description=opts.description, format_=opts.format, fields=opts.fields or "all", starttm=opts.start, endtm=opts.end
    )
    if opts.wait or opts.download:
        status = wait_until_processed(user, opts.report, result["id"], interval=opts.poll_interval, timeout=opts.wait_timeout)
        result = {**result, "status": status.get("status")}
        if opts.download:
            result.update(run_download(user, result["id"], opts.download))
    if out is not None:
        out.emit(result, RECORD)
    if not opts.download:
        print(f"next: {next_step(opts.report, result['id'])}", file=sys.stderr)
    return result


@command(app, "create", kind="private")
def create(
    report: Report = typer.Option(..., "--report", help="trades or ledgers."),
    description: str = typer.Option("kraken-ops export", "--description", help="Name of the report."),
    format_: Format = typer.Option(Format.CSV, "--format", help="CSV or TSV."),
    fields: Optional[list[str]] = typer.Option(None, "--fields", help="Fields (comma list; default all)."),
    start: Optional[int] = typer.Option(None, "--start", help="Start (unix time)."),
    end: Optional[int] = typer.Option(None, "--end", help="End (unix time)."),
    wait: bool = typer.Option(False, "--wait", help="Poll until the report is processed."),
    download: Optional[str] = typer.Option(None, "--download", metavar="PATH", help="Wait, then download the zip to PATH."),
) -> None:
    """Request a trades or ledgers report.

    Example: kraken-ops exports create --report ledgers --download ledgers.zip
    """
    opts = CreateExportOptions(report.value, description, format_.value, csv_list(fields), start, end, wait, download)
    single(SPEC, lambda u: run_create_export(opts, u), RECORD)


@command(app, "status", kind="private")
def status(report: Report = typer.Option(Report.trades, "--report", help="trades or ledgers.")) -> None:
    """Status of the reports of one kind.

    Table: narrow terminals leave out first expires, completed, name, report, created; -o wide adds format, from, to.

    Example: kraken-ops exports status --report ledgers
    """
    single(SPEC, lambda u: u.get_export_report_status(report=report.value), VIEWS["status"])


def run_fetch(user: Any, report_id: str, path: str, *, wait: bool = False, interval: float = 2.0) -> dict[str, Any]:
    """``exports download``: wait for the report when asked, then download it."""
    if wait:
        wait_until_processed(user, None, report_id, interval=interval)
    return run_download(user, report_id, path)


@command(app, "download", kind="private")
def download(
    report_id: str = typer.Argument(..., metavar="ID", help="Report id."),
    path: str = typer.Argument(..., help="Where to write the zip."),
    wait: bool = typer.Option(False, "--wait", help="Wait until Kraken has prepared the report first."),
) -> None:
    """Download a report (streamed; on a terminal, progress on stderr).

    Example: kraken-ops exports download GEHI ledgers.zip --wait
    """
    single(SPEC, lambda u: run_fetch(u, report_id, path, wait=wait), RECORD)


@command(app, "delete", kind="private")
def delete(report_id: str = typer.Argument(..., metavar="ID", help="Report id.")) -> None:
    """Delete a processed report.

    Example: kraken-ops exports delete GEHI
    """
    single(SPEC, lambda u: u.delete_export_report(id_=report_id, type_="delete"), RECORD)


@command(app, "cancel", kind="private")
def cancel(report_id: str = typer.Argument(..., metavar="ID", help="Report id.")) -> None:
    """Cancel a queued or processing report.

    Example: kraken-ops exports cancel GEHI
    """
    single(SPEC, lambda u: u.delete_export_report(id_=report_id, type_="cancel"), RECORD)
