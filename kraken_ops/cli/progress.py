"""Progress for long work, drawn with ``rich.progress`` on stderr, on a terminal only.

Never on stdout, never in JSON mode (``-o json``/``ndjson``, or stdout not a terminal
with no format chosen), never when stderr is not a terminal: scripts see only data.

* :func:`export_wait` — an export Kraken is preparing: its status and the elapsed time.
* :func:`download` — bytes, rate and time left of a download (bytes and rate when the
  size is unknown).
* :class:`ProfilesProgress` — a multi-profile command that takes longer than a second:
  one line per profile, pending or done.

rich is imported only when something is drawn.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

SHOW_AFTER = 1.0  # seconds a multi-profile command runs before its progress appears


def console(options: Any = None) -> Any:
    """A rich Console on stderr when progress may be drawn, else ``None``."""
    from kraken_ops.cli.context import current
    from kraken_ops.cli.errors import json_mode

    options = options if options is not None else current()
    if json_mode(options):
        return None
    try:
        if not sys.stderr.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    from rich.console import Console

    return Console(file=sys.stderr, no_color=not getattr(options, "color", True))


class _Quiet:
    """The do-nothing progress (no terminal, or JSON mode)."""

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def status(self, text: str) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


def quiet() -> Any:
    """A progress that draws nothing."""
    return _Quiet()


class _ExportWait:
    def __init__(self, target: Any, report_id: str) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("export {task.fields[report_id]}: Kraken is preparing the report ({task.fields[state]})"),
            TimeElapsedColumn(),
            console=target,
            transient=True,
        )
        self.task = self.progress.add_task("export", total=None, report_id=report_id, state="Queued")

    def __enter__(self) -> _ExportWait:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def status(self, text: str) -> None:
        self.progress.update(self.task, state=text)


def export_wait(report_id: str, target: Any = None) -> Any:
    """A context whose ``status(text)`` shows what Kraken says about the export, with the elapsed time."""
    target = target if target is not None else console()
    return _ExportWait(target, report_id) if target is not None else _Quiet()


class _Download:
    def __init__(self, target: Any, label: str, total: int | None) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

        columns: list[Any] = [TextColumn(label)]
        if total:
            columns += [BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn()]
        else:
            columns += [DownloadColumn(), TransferSpeedColumn()]
        self.progress = Progress(*columns, console=target, transient=True)
        self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> _Download:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def advance(self, n: int) -> None:
        self.progress.update(self.task, advance=n)


def download(label: str, total: int | None, target: Any = None) -> Any:
    """A context whose ``advance(n)`` counts downloaded bytes (bytes, rate and time left)."""
    target = target if target is not None else console()
    return _Download(target, label, total) if target is not None else _Quiet()


class ProfilesProgress:
    """One line per profile of a multi-profile command, pending or done.

    Drawn only once the command has run for :data:`SHOW_AFTER` seconds (quick commands
    print nothing), and erased when the results are printed. ``done(name, ok)`` marks a
    profile finished.
    """

    def __init__(self, names: Iterable[str], target: Any = None, show_after: float = SHOW_AFTER) -> None:
        self.names = list(names)
        self.target = target
        self.show_after = show_after
        self.finished: dict[str, bool] = {}
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def start(self) -> None:
        """Draw the lines now (called ``show_after`` seconds in)."""
        if self.target is None or self.progress is not None:
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(),
            console=self.target,
            transient=True,
        )
        for name in self.names:
            state = self._state(name)
            self.tasks[name] = self.progress.add_task(name, total=1, completed=1 if name in self.finished else 0, state=state)
        self.progress.start()

    def _state(self, name: str) -> str:
        if name not in self.finished:
            return "pending"
        return "done" if self.finished[name] else "failed"

    def done(self, name: str, ok: bool = True) -> None:
        self.finished[name] = ok
        if self.progress is not None and name in self.tasks:
            self.progress.update(self.tasks[name], completed=1, state=self._state(name))
            self.progress.refresh()

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

