"""``kraken-ops exports``: trades/ledgers reports (create, status, download, delete, cancel).

``download`` streams the zip to a hidden temporary file beside ``PATH`` in 64 KiB
chunks (constant memory), then moves it to ``PATH``: a partial file is never left
under the final name. An existing ``PATH`` is never replaced unless ``--force`` says so
(checked before anything is fetched, and again, atomically, when the file is put in
place). Errors name ``PATH``, never the temporary file. On a terminal (never in JSON
mode) stderr shows the report's status and the elapsed time while Kraken prepares it,
then bytes, rate and time left while it downloads (:mod:`kraken_ops.cli.progress`).
``create`` without ``--wait`` prints the command that fetches the report.
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

app = typer.Typer(help="Trades and ledgers reports: create, download, delete. Also status and cancel.", no_args_is_help=True)

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
    force: bool = False
    poll_interval: float = 2.0
    wait_timeout: float = 3600.0


def refuse_existing(path: str, force: bool) -> None:
    """Exit 2 when ``path`` exists and ``--force`` was not given."""
    if not force and os.path.lexists(path):
        raise CliError(f"{path} already exists; pass --force to overwrite it, or choose another file", category="usage")


def _io_error(path: str, exc: OSError) -> CliError:
    return CliError(f"cannot write {path}: {exc.strerror or type(exc).__name__}", category="io")


def run_download(
    user: Any, report_id: str, path: str, *, force: bool = False, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Stream the report ``report_id`` to ``path`` through a temporary file beside it; return a summary.

    On a terminal, stderr shows bytes, rate and time left (``progress`` replaces it).
    """
    import secrets

    from kraken_ops.cli import progress as drawing

    refuse_existing(path, force)
    directory, base = os.path.split(os.path.abspath(path))
    temp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        raise _io_error(path, exc) from None
    response = None
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            response = user.retrieve_export(id_=report_id, timeout=max(60, int(current().timeout or 0)))
            total = None
            headers = getattr(response, "headers", None) or {}
            if headers.get("Content-Length", "").isdigit():
                total = int(headers["Content-Length"])
            bar = drawing.download(f"downloading {report_id}", total) if progress is None else drawing.quiet()
            advance = progress or bar.advance
            with bar:
                for chunk in response.iter_content(CHUNK):
                    if chunk:
                        handle.write(chunk)
                        size += len(chunk)
                        advance(len(chunk))
            handle.flush()
            os.fsync(handle.fileno())
        _put_in_place(temp, path, force)
    except OSError as exc:
        _unlink(temp)
        raise _io_error(path, exc) from None
    except BaseException:
        _unlink(temp)
        raise
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
    return {"id": report_id, "path": os.path.abspath(path), "bytes": size}


def _put_in_place(temp: str, path: str, force: bool) -> None:
    if force:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)  # fails if someone created PATH meanwhile: never clobbered
    except FileExistsError:
        _unlink(temp)
        refuse_existing(path, False)
        raise
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(path):
            _unlink(temp)
            refuse_existing(path, False)
        os.replace(temp, path)
        return
    _unlink(temp)


def _unlink(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


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
                raise CliError(f"no export {report_id} among the trades and ledgers reports", category="api", hint="list them with: kraken-ops exports status")
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
    if opts.download:
        refuse_existing(opts.download, opts.force)  # before asking Kraken for anything
    result = user.request_export_report(
        report=opts.report, description=opts.description, format_=opts.format, fields=opts.fields or "all", starttm=opts.start, endtm=opts.end
    )
    if opts.wait or opts.download:
        status = wait_until_processed(user, opts.report, result["id"], interval=opts.poll_interval, timeout=opts.wait_timeout)
        result = {**result, "status": status.get("status")}
        if opts.download:
            result.update(run_download(user, result["id"], opts.download, force=opts.force))
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
    force: bool = typer.Option(False, "--force", help="With --download: overwrite PATH if it exists."),
) -> None:
    """Request a trades or ledgers report.

    Example: kraken-ops exports create --report ledgers --download ledgers.zip
    """
    if force and not download:
        raise CliError("--force goes with --download", category="usage")
    if download:
        refuse_existing(download, force)
    opts = CreateExportOptions(report.value, description, format_.value, csv_list(fields), start, end, wait, download, force=force)
    result = single(SPEC, lambda u: run_create_export(opts, u), RECORD)
    if not (wait or download):  # after the result, where a person reads on
        sys.stdout.flush()
        print(f"next: {next_step(opts.report, result['id'])}", file=sys.stderr)


@command(app, "status", kind="private")
def status(report: Report = typer.Option(Report.trades, "--report", help="trades or ledgers.")) -> None:
    """Status of the reports of one kind.

    Table: narrow terminals leave out first expires, completed, name, report, created; -o wide adds format, from, to.

    Example: kraken-ops exports status --report ledgers
    """
    single(SPEC, lambda u: u.get_export_report_status(report=report.value), VIEWS["status"])


def run_fetch(user: Any, report_id: str, path: str, *, wait: bool = False, force: bool = False, interval: float = 2.0) -> dict[str, Any]:
    """``exports download``: wait for the report when asked, then download it."""
    refuse_existing(path, force)  # before waiting for anything
    if wait:
        wait_until_processed(user, None, report_id, interval=interval)
    return run_download(user, report_id, path, force=force)


@command(app, "download", kind="private")
def download(
    report_id: str = typer.Argument(..., metavar="ID", help="Report id."),
    path: str = typer.Argument(..., help="Where to write the zip (an existing file needs --force)."),
    force: bool = typer.Option(False, "--force", help="Overwrite PATH if it exists."),
    wait: bool = typer.Option(False, "--wait", help="Wait until Kraken has prepared the report first."),
) -> None:
    """Download a report (streamed; on a terminal, progress on stderr). Never overwrites PATH without --force.

    Example: kraken-ops exports download GEHI ledgers-GEHI.zip --wait
    """
    refuse_existing(path, force)
    single(SPEC, lambda u: run_fetch(u, report_id, path, wait=wait, force=force), RECORD)


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
