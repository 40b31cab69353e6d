"""``kraken-ops exports``: trades/ledgers reports (create, status, download, delete, cancel).

``download`` streams the zip to ``PATH.part`` in 64 KiB chunks (constant memory)
with a progress bar on stderr, then renames it to ``PATH``: a partial file is
never left under the final name.
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
from kraken_ops.cli.output import RECORD, Output, View, listed
from kraken_ops.cli.params import csv_list

app = typer.Typer(help="Trades and ledgers reports: create, download, delete. Also status and cancel.", no_args_is_help=True)

SPEC = "spot.User"
VIEWS = {
    "status": View(listed(), ["id", "descr", "report", "format", "status", "createdtm", "completedtm", "expiretm"]),
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


def _progress(total: int | None) -> Callable[[int], None]:
    """A progress callback drawing on stderr when it is a terminal (silent otherwise)."""
    if not sys.stderr.isatty():
        return lambda n: None
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        if total:
            pct = done[0] * 100 // total
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}% {done[0]:,} bytes")
        else:
            sys.stderr.write(f"\r{done[0]:,} bytes")
        sys.stderr.flush()

    return advance


def run_download(user: Any, report_id: str, path: str, *, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Stream the report ``report_id`` to ``path`` through ``path.part``; return a summary."""
    response = user.retrieve_export(id_=report_id, timeout=max(60, int(current().timeout or 0)))
    temp = f"{path}.part"
    size = 0
    try:
        total = None
        headers = getattr(response, "headers", None) or {}
        if headers.get("Content-Length", "").isdigit():
            total = int(headers["Content-Length"])
        advance = progress or _progress(total)
        with open(temp, "wb") as handle:
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
        if sys.stderr.isatty():
            sys.stderr.write("\n")
    return {"id": report_id, "path": os.path.abspath(path), "bytes": size}


def wait_until_processed(user: Any, report: str, report_id: str, *, interval: float = 2.0, timeout: float = 3600.0) -> dict[str, Any]:
    """Poll ExportStatus until the report is Processed (or fails, or ``timeout`` passes)."""
    deadline = time.monotonic() + timeout
    while True:
        for item in user.get_export_report_status(report=report) or []:
            if item.get("id") == report_id:
                status = item.get("status")
                if status == "Processed":
                    return item
                if status not in ("Queued", "Processing"):
                    raise CliError(f"export {report_id} ended with status {status!r}", category="api")
        if time.monotonic() > deadline:
            raise CliError(f"export {report_id} not processed after {timeout:.0f}s", category="network", hint="check later with: kraken-ops exports status")
        print(f"waiting for export {report_id}...", file=sys.stderr)
        time.sleep(interval)


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

    Example: kraken-ops exports status --report ledgers
    """
    single(SPEC, lambda u: u.get_export_report_status(report=report.value), VIEWS["status"])


@command(app, "download", kind="private")
def download(
    report_id: str = typer.Argument(..., metavar="ID", help="Report id."),
    path: str = typer.Argument(..., help="Where to write the zip."),
) -> None:
    """Download a processed report (streamed; progress on stderr).

    Example: kraken-ops exports download GEHI ledgers.zip
    """
    single(SPEC, lambda u: run_download(u, report_id, path), RECORD)


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
