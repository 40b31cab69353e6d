"""``kraken-ops deadman``: keep Kraken's dead man's switch armed on many accounts until stopped.

Kraken cancels every open order of an account when its dead man's switch is not
refreshed in time (Spot ``CancelAllOrdersAfter``, Futures ``cancelallordersafter``).
``deadman --timeout 60 --every 20`` sets the switch to 60 seconds on every selected
account and market (where the profile holds a key), then again every 20 seconds. If
this process, its machine or its network dies, the refreshes stop and Kraken cancels
the orders 60 seconds after the last one that arrived.

* Each account and market has its own thread, its own profile client (nonce store,
  rate limiter) and its own schedule, so a slow or failing account never delays
  another. Refreshes use an HTTP timeout of ``min(10, every)`` seconds (``kraken-ops
  --timeout S deadman ...`` sets another: ``--timeout`` after ``deadman`` is the switch's).
* A refresh that fails is reported at once: an event, and a warning on stderr saying
  when Kraken will cancel that account's orders unless a later refresh gets through.
  An answer lost on the way back is a miss too (the refresh may or may not have
  arrived; the next one is sent as planned, since setting the timer again is safe).
* Stopping (Ctrl-C, SIGTERM, or ``--duration``) disarms every switch (timeout 0)
  unless ``--leave-armed``; a switch that cannot be disarmed is reported with the
  time it will fire.
* On a terminal: a status table updated in place. Otherwise NDJSON events on stdout,
  one a line: ``{"time", "event", "profile", "market", "trigger_time", ...}`` with
  ``event`` one of ``armed``, ``refreshed``, ``missed``, ``recovered``, ``disarmed``,
  ``disarm_failed``, ``left_armed``, ``stopped``.
* Exit 0 when every refresh and disarm went through; 5 when some account missed a
  refresh or could not be disarmed (each reported); the category's own code when all
  failed alike.

Audit log: one line per account and market when the switch is first set (its
outcome) and one when the run ends (disarmed, or left armed, with the counts of
refreshes and misses); the refreshes in between are not logged one by one.

Not an MCP tool: it runs until stopped, which a tool call cannot do.
"""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

import contextvars
import datetime as dt
import queue
import threading
import time
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Callable, Optional

import typer

from kraken_ops.cli.context import command
from kraken_ops.cli.output import View, col, listed, num, prose

MARKET_SPECS = {"spot": "spot.Trade", "futures": "futures.Trade"}
MAX_TIMEOUT = 86399  # Kraken Spot: under a day
DEFAULT_HTTP_TIMEOUT = 10.0


class MarketChoice(str, Enum):
    both = "both"
    spot = "spot"
    futures = "futures"


@dataclass
class DeadmanOptions:
    """Inputs of ``kraken-ops deadman``."""

    timeout: int = 60
    every: float = 20
    leave_armed: bool = False
    duration: Optional[float] = None
    markets: tuple = ("spot", "futures")

    def check(self) -> None:
        from kraken_ops.cli.errors import UsageProblem

        if not 1 <= self.timeout <= MAX_TIMEOUT:
            raise UsageProblem(f"--timeout must be 1 to {MAX_TIMEOUT} seconds, not {self.timeout}")
        if not 0 < self.every < self.timeout:
            raise UsageProblem(
                f"--every ({self.every:g}) must be shorter than --timeout ({self.timeout}): a refresh has to arrive before the switch fires",
                hint="refresh two or three times per timeout, e.g. --timeout 60 --every 20",
            )

    def describe(self) -> str:
        return f"arm the dead man's switch: orders cancelled {self.timeout}s after the last refresh, refreshed every {self.every:g}s"


def arm(client: Any, market: str, timeout: int) -> Any:
    """Set the switch of ``market`` to ``timeout`` seconds (0 disarms it)."""
    if market == "spot":
        return client.cancel_all_orders_after_x(timeout=timeout)
    return client.dead_mans_switch(timeout=timeout)


def trigger_of(result: Any) -> Optional[str]:
    """Kraken's ``triggerTime`` from either market's answer (``"0"`` when disarmed)."""
    if not isinstance(result, dict):
        return None
    inner = result.get("status") if isinstance(result.get("status"), dict) else result
    value = inner.get("triggerTime")
    return str(value) if value is not None else None


def _epoch(text: Optional[str]) -> Optional[float]:
    if not text or text == "0":
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _clock(epoch: Optional[float]) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%H:%M:%S") if epoch else ""


def _iso(epoch: float) -> str:
    from kraken_ops.cli.audit import now_text

    return now_text(dt.datetime.fromtimestamp(epoch, dt.timezone.utc))


@dataclass
class Switch:
    """One account's switch on one market, and what happened to it."""

    account: Any  # kraken_ops.cli.fleet.Account
    market: str
    state: str = "arming"  # arming, armed, missed, disarmed, disarm failed, left armed
    refreshes: int = 0
    misses: int = 0
    fires_at: Optional[float] = None  # when Kraken cancels the orders (Kraken's triggerTime, else estimated)
    last_ok: Optional[float] = None
    last_error: Optional[str] = None
    error: Optional[BaseException] = None  # the last failure (for the exit code)
    disarm_error: Optional[BaseException] = None
    client: Any = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.account.name


def status_rows(switches: list, now: float) -> list:
    """One row per switch: its state, counts, when it fires (and in how many seconds), its last error."""
    rows = []
    for s in switches:
        counting = bool(s.fires_at) and s.state in ("armed", "missed")
        rows.append(
            {
                "profile": s.name,
                "market": s.market,
                "state": s.state.upper() if s.state in ("missed", "disarm failed") else s.state,
                "refreshes": s.refreshes,
                "misses": s.misses,
                "fires_at": _iso(s.fires_at) if s.fires_at else None,
                "fires_in": f"{max(0, int(s.fires_at - now))}s" if counting else "",
                "error": s.last_error or "",
            }
        )
    return rows


VIEWS = {
    # the live status table of a terminal (elsewhere deadman prints NDJSON events)
    "status": View(
        listed(),
        ["profile", "market", "state", "refreshes", "misses", "fires_at", "fires_in", "error"],
        table=[
            col("profile", "profile", 1),
            col("market", "market", 1),
            col("state", "state", 1),
            num("refreshes", "refreshed", 2),
            num("misses", "missed", 1),
            col("fires_at", "fires at", 1, get=lambda r: _clock(_epoch(r.get("fires_at")))),
            col("fires_in", "in", 2),
            prose("error", "error", 1),
        ],
    ),
}


class Events:
    """Where events go: NDJSON lines, or a live table on a terminal; warnings on stderr."""

    def __init__(self, out: Any, switches: list, table: bool) -> None:
        self.out = out
        self.switches = switches
        self.table = table
        self.live: Any = None
        if table:
            from rich.console import Console
            from rich.live import Live

            # stderr is redirected while the table shows: warnings appear above it, not through it
            self.live = Live(console=Console(file=out.stdout, no_color=not out.color, highlight=False), auto_refresh=False)
            self.live.start()
            self.refresh()

    def event(self, kind: str, switch: Optional[Switch], **fields: Any) -> None:
        """Print one event (NDJSON) or update the table."""
        if self.table:
            self.refresh()
            return
        from kraken_ops.cli.output import dumps

        line: dict = {"time": _iso(time.time()), "event": kind}
        if switch is not None:
            line.update({"profile": switch.name, "market": switch.market, "environment": switch.account.environment})
        line.update({k: v for k, v in fields.items() if v is not None})
        self.out.stdout.write(dumps(line, indent=None) + "\n")
        self.out.stdout.flush()

    def warn(self, text: str) -> None:
        import sys

        stream = sys.stderr if self.live is not None else self.out.stderr  # the live table's proxy prints above it
        stream.write(f"warning: {text}\n")
        stream.flush()

    def render(self) -> Any:
        """The status table (:data:`VIEWS` ``status``), laid out like every table of the CLI."""
        import io

        from rich.text import Text

        from kraken_ops.cli.tables import render

        buffer = io.StringIO()
        width = self.live.console.width if self.live is not None else None
        render(status_rows(self.switches, time.time()), VIEWS["status"], width=width, wide=self.out.fmt == "wide", color=self.out.color, file=buffer)
        title = Text(f"dead man's switch  {time.strftime('%H:%M:%S')}\n", style="bold" if self.out.color else "")
        return Text.assemble(title, Text.from_ansi(buffer.getvalue().rstrip("\n")))

    def refresh(self) -> None:
        if self.live is not None:
            self.live.update(self.render(), refresh=True)

    def close(self) -> None:
        if self.live is not None:
            self.refresh()
            self.live.stop()
            self.live = None


def keep_armed(switch: Switch, opts: DeadmanOptions, options: Any, stop: threading.Event, post: Callable[..., None], command_name: str) -> None:
    """Refresh ``switch`` every ``opts.every`` seconds until ``stop`` is set (one thread per switch)."""
    from kraken_ops.cli import fleet
    from kraken_ops.cli.errors import describe

    next_at = time.monotonic()
    first = True
    while not stop.is_set():
        sent = time.time()
        try:
            if switch.client is None:
                switch.client = switch.account.client(MARKET_SPECS[switch.market], options)
            if first:  # the first setting goes to the audit log with its outcome
                params = {"market": switch.market, "timeout": opts.timeout, "every": opts.every}
                result = fleet.audited(command_name, switch.account, params, opts.describe(), lambda: arm(switch.client, switch.market, opts.timeout))
            else:
                result = arm(switch.client, switch.market, opts.timeout)
        except Exception as exc:
            switch.misses += 1
            switch.error = exc
            info = describe(exc, switch.name)
            switch.last_error = info.message
            was = switch.state
            switch.state = "missed" if switch.fires_at else "arming"
            post("missed", switch, error=info.envelope(), fires_at=_iso(switch.fires_at) if switch.fires_at else None, was=was)
        else:
            switch.refreshes += 1
            trigger = trigger_of(result)
            switch.fires_at = _epoch(trigger) or sent + opts.timeout
            switch.last_ok = sent
            kind = "armed" if switch.state == "arming" else "recovered" if switch.state == "missed" else "refreshed"
            switch.state = "armed"
            switch.last_error = None
            post(kind, switch, trigger_time=trigger)
        first = False
        next_at += opts.every
        now = time.monotonic()
        if next_at < now:  # the refresh took longer than --every: go again at once, then on schedule
            next_at = now
        stop.wait(next_at - now)


def disarm(switch: Switch, opts: DeadmanOptions, command_name: str) -> Any:
    """Set ``switch`` to 0 (audited with the run's counts)."""
    from kraken_ops.cli import fleet

    params = {"market": switch.market, "timeout": 0, "refreshes": switch.refreshes, "misses": switch.misses}
    return fleet.audited(command_name, switch.account, params, "disarm the dead man's switch", lambda: arm(switch.client, switch.market, 0))


def run_deadman(opts: DeadmanOptions, options: Any, out: Any, stop: Optional[threading.Event] = None) -> list:
    """Arm, keep armed until ``stop`` (Ctrl-C, SIGTERM, ``--duration``), disarm; raise for the exit code."""
    from kraken_ops.cli import audit, fleet
    from kraken_ops.cli.errors import report

    opts.check()
    accounts = fleet.select(options, tuple(opts.markets), any_market=True)
    active = fleet.confirm(options, accounts, lambda a: f"{opts.describe()} ({', '.join(m for m in opts.markets if m in a.markets)})", out=out)
    name = audit.command_name(options) or "deadman"
    fleet.record_skips(name, accounts, {"timeout": opts.timeout, "every": opts.every}, opts.describe())
    http_timeout = options.timeout if options.timeout is not None else min(DEFAULT_HTTP_TIMEOUT, max(1.0, opts.every))
    client_options = replace(options, timeout=http_timeout)
    switches = [Switch(a, m) for a in active for m in opts.markets if m in a.markets]
    stop = stop or threading.Event()
    inbox: "queue.Queue[tuple]" = queue.Queue()
    events = Events(out, switches, table=out.is_table)

    def post(kind: str, switch: Optional[Switch], **fields: Any) -> None:
        inbox.put((kind, switch, fields))

    expired: set = set()  # switches whose miss streak outlived their trigger time (warned once)

    def show(kind: str, switch: Optional[Switch], fields: dict) -> None:
        was = fields.pop("was", None)
        events.event(kind, switch, **fields)
        if kind == "missed" and switch is not None:
            if switch.fires_at and was != "missed":  # the first miss of a streak
                events.warn(
                    f"[{switch.name}] {switch.market}: refresh missed ({switch.last_error}); Kraken cancels its orders at "
                    f"{_clock(switch.fires_at)} unless a refresh gets through first"
                )
            elif switch.fires_at and time.time() >= switch.fires_at and id(switch) not in expired:
                expired.add(id(switch))
                events.warn(
                    f"[{switch.name}] {switch.market}: no refresh got through before {_clock(switch.fires_at)}: Kraken has cancelled "
                    "its orders (unless a refresh arrived whose answer was lost); still trying"
                )
            elif was == "arming" and switch.misses == 1:
                events.warn(
                    f"[{switch.name}] {switch.market}: could not arm the dead man's switch ({switch.last_error}); "
                    f"its orders are NOT protected; trying again every {opts.every:g}s"
                )
        elif kind == "recovered" and switch is not None:
            expired.discard(id(switch))
            events.warn(f"[{switch.name}] {switch.market}: refreshed again after {switch.misses} miss(es); armed until {_clock(switch.fires_at)}")

    restore = _on_sigterm(stop)
    threads = [
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(keep_armed, s, opts, client_options, stop, post, name),
            name=f"deadman-{s.name}-{s.market}",
            daemon=True,
        )
        for s in switches
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + opts.duration if opts.duration is not None else None
        while not stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                stop.set()
                break
            wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
            try:
                show(*inbox.get(timeout=wait))
            except queue.Empty:
                events.refresh()  # the countdowns move on
    except KeyboardInterrupt:  # Ctrl-C is the normal way to stop: disarm, then the exit code says how the switches fared
        stop.set()
    finally:
        stop.set()
        restore()
    try:
        for thread in threads:
            thread.join(http_timeout + 5)  # a refresh in flight finishes (or times out) first
        while not inbox.empty():
            show(*inbox.get_nowait())
        _finish(switches, opts, name, events, post=lambda kind, s, **f: show(kind, s, dict(f)))
    finally:
        events.close()
        for s in switches:
            if s.client is not None:
                try:
                    s.client.close()
                except Exception:
                    pass
    for s in switches:
        problem = s.disarm_error or s.error  # the last failure of each switch, once
        if problem is not None:
            report(problem, options, profile=s.name, envelope=False, show_profile=True)
    failures = fleet.Report(accounts)
    for s in switches:
        problem = s.disarm_error or s.error
        if problem is not None and s.name not in failures.errors:
            failures.errors[s.name] = problem
    fleet.raise_for(failures)
    return switches


def _finish(switches: list, opts: DeadmanOptions, command_name: str, events: Events, post: Callable[..., None]) -> None:
    """Disarm every switch concurrently (or leave them armed), then one ``stopped`` event each."""
    from kraken_ops.cli import audit, fleet
    from kraken_ops.cli.errors import describe

    if opts.leave_armed:
        for s in switches:
            if s.refreshes:
                s.state = "left armed"
                audit.record(
                    command_name, s.name, s.account.environment,
                    {"market": s.market, "refreshes": s.refreshes, "misses": s.misses},
                    {"status": "left_armed", "fires_at": _iso(s.fires_at) if s.fires_at else None},
                    "leave the dead man's switch armed",
                )
                post("left_armed", s, fires_at=_iso(s.fires_at) if s.fires_at else None)
    else:
        units = [fleet.Unit(i, s.account, (lambda s=s: disarm(s, opts, command_name))) for i, s in enumerate(switches) if s.client is not None]
        results, errors, _interrupted = fleet.run_units(units)
        for i, s in enumerate(switches):
            if i in results:
                s.state = "disarmed"
                s.fires_at = None
                post("disarmed", s, trigger_time=trigger_of(results[i]))
            elif i in errors:
                s.state = "disarm failed"
                s.disarm_error = errors[i]
                info = describe(errors[i], s.name)
                s.last_error = info.message
                post("disarm_failed", s, error=info.envelope(), fires_at=_iso(s.fires_at) if s.fires_at else None)
                if s.fires_at and time.time() >= s.fires_at:  # no refresh got through in time: it has fired
                    events.warn(
                        f"[{s.name}] {s.market}: could not disarm the dead man's switch ({info.message}); no refresh got through "
                        f"before {_clock(s.fires_at)}: Kraken has cancelled its orders (unless a refresh arrived whose answer was lost)"
                    )
                elif s.fires_at:
                    events.warn(
                        f"[{s.name}] {s.market}: could not disarm the dead man's switch ({info.message}); Kraken cancels its orders at "
                        f"{_clock(s.fires_at)} unless you run: kraken-ops {'orders cancel-after 0' if s.market == 'spot' else 'futures orders dead-man-switch 0'} -p {s.name} --yes"
                    )
    for s in switches:
        post("stopped", s, state=s.state, refreshes=s.refreshes, misses=s.misses)


def _on_sigterm(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM stops the run cleanly, like Ctrl-C (main thread only); returns the restorer."""
    import signal

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return lambda: None
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    except (ValueError, OSError):  # pragma: no cover
        return lambda: None
    return lambda: signal.signal(signal.SIGTERM, previous)


def register_top_level(root: typer.Typer) -> None:
    """``kraken-ops deadman`` lives at the top level."""

    @command(root, "deadman", kind="fleet")
    def deadman(
        timeout: int = typer.Option(60, "--timeout", min=1, max=MAX_TIMEOUT, metavar="SECONDS", help="Kraken cancels the orders this long after the last refresh."),
        every: float = typer.Option(20.0, "--every", min=0.1, metavar="SECONDS", help="Refresh this often (shorter than --timeout)."),
        market: MarketChoice = typer.Option(MarketChoice.both, "--market", help="Which switches: spot, futures or both (where the profile holds a key)."),
        leave_armed: bool = typer.Option(False, "--leave-armed", help="On exit, leave the switches armed instead of disarming them."),
        duration: Optional[float] = typer.Option(None, "--duration", min=0.0, metavar="SECONDS", help="Stop after SECONDS (default: until Ctrl-C or SIGTERM)."),
    ) -> None:
        """Keep the dead man's switch armed on each account until stopped. Spot and Futures.

        Sets the switch to --timeout seconds on every selected account (--profile, --group TAG,
        --all-profiles) and again every --every seconds. If the refreshes stop (this
        machine or its network fails), Kraken cancels the account's orders. A missed
        refresh is reported at once. Stopping (Ctrl-C, SIGTERM, --duration) disarms the
        switches unless --leave-armed. A status table on a terminal, NDJSON events otherwise.
        The HTTP timeout goes before the command: kraken-ops --timeout 5 deadman ...

        Table: narrow terminals leave out first in, refreshed.

        Example: kraken-ops deadman --timeout 60 --every 20 --group bots --yes
        """
        from kraken_ops.cli.context import current
        from kraken_ops.cli.output import Output

        options = current()
        markets = ("spot", "futures") if market is MarketChoice.both else (market.value,)
        opts = DeadmanOptions(timeout=timeout, every=int(every) if every == int(every) else every, leave_armed=leave_armed, duration=duration, markets=markets)
        run_deadman(opts, options, Output.from_options(options))
