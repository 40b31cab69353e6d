"""Acting on many accounts at once: selection, one confirmation, concurrent work, one report.

Used by the cross-account writes (``orders cancel-all``, ``orders cancel-after`` and
``futures orders cancel-all`` with ``--group``/``--all-profiles``), ``panic`` and
``deadman``:

1. :func:`select` turns ``--profile``/``--group``/``--all-profiles`` into
   :class:`Account` objects; read-only profiles, and profiles without a key for the
   market the command needs, become *skipped* accounts (reported, never a failure).
2. :func:`confirm` lists every account and what will happen to it, and asks once on a
   terminal when any of them asks before money moves (production, or ``confirm =
   true``); without a terminal ``--yes`` is required. Paper profiles do not ask, as
   for single-account commands.
3. :func:`run_units` runs the work concurrently, one thread per unit of work (in a
   copy of the caller's context), each with its own profile client (own nonce store
   and rate limiter); each unit's failure is its own. Ctrl-C stops what has not started and waits for what is in
   flight, whose outcome is then reported like any other.
4. :func:`finish` prints a row per account (JSON: ``{profile: result}``, a failed
   account holding ``{"error": envelope}``, a skipped one ``{"skipped": reason}``),
   reports each failure on stderr and raises for the exit code: 5 when some accounts
   failed, the shared category's code (14 for unknown outcomes) when all failed alike.

Every request is recorded in the audit log by the unit that sends it
(:func:`audited`), from its own thread.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from kraken_ops.cli.context import GlobalOptions
from kraken_ops.cli.errors import EXIT_PARTIAL, ConfigProblem, PartialFailure, UsageProblem, describe, report
from kraken_ops.cli.output import Output, View

MAX_THREADS = 64


@dataclass
class Account:
    """One profile a fleet command acts on."""

    name: str
    profile: Any  # kraken_ops.profiles.Profile
    skip: str | None = None  # why nothing is sent to it (read-only, no key for the market)
    config: Any = field(default=None, repr=False)  # the config file, read once for every account's clients
    uses: tuple[str, ...] = ()  # the markets the command talks to on this account (it holds their keys)
    otp_error: BaseException | None = field(default=None, repr=False)  # its 2FA code was asked for and not given

    def client(self, spec: str, options: GlobalOptions) -> Any:
        """A client of ``spec`` ("spot.Trade") for this account: its own profile client."""
        from kraken_ops.cli.clients import make_client

        if self.otp_error is not None and spec.startswith("spot."):
            raise self.otp_error
        return make_client(spec, self.name, options, config=self.config)

    @property
    def environment(self) -> str:
        return getattr(self.profile, "environment", None) or "production"

    @property
    def markets(self) -> tuple[str, ...]:
        return tuple(getattr(self.profile, "markets", ()) or ())

    @property
    def asks(self) -> bool:
        """Whether this account asks before money moves."""
        return bool(getattr(self.profile, "needs_confirmation", True))


def select(options: GlobalOptions, markets: tuple[str, ...] = ("spot",), *, any_market: bool = False) -> list[Account]:
    """The accounts of ``--profile``/``--group``/``--all-profiles`` (the default profile when none).

    An account is skipped when its profile is read-only, or holds no key for
    ``markets`` (all of them; with ``any_market``, any of them).
    """
    from kraken_ops import profiles
    from kraken_ops.cli.clients import targets

    config = profiles.load_config()
    accounts: list[Account] = []
    for name in targets(options):
        chosen = profiles.resolve_name(name, config)
        if chosen is None:
            raise ConfigProblem(
                f"{options.command_path or 'this command'} needs a profile: pass --profile NAME, --group TAG or --all-profiles",
                hint="list them with: kraken-ops profile list",
            )
        profile = config.get(chosen)
        skip = None
        held = [m for m in markets if profile.key(m)]
        lacking = not held if any_market else len(held) < len(markets)
        if profile.read_only:
            skip = "read-only profile"
        elif lacking:
            missing = " or ".join(markets) if any_market else " and ".join(m for m in markets if not profile.key(m))
            skip = f"no {missing} key"
        accounts.append(Account(chosen, profile, skip, config, uses=tuple(held)))
    return accounts


def confirm(options: GlobalOptions, accounts: list[Account], what: Callable[[Account], str], *, out: Output | None = None) -> list[Account]:
    """Show the plan, ask once when needed; return the accounts to act on.

    Raises when every account is skipped (exit 3), when a terminal answer is no, and
    when an account needs confirmation without a terminal or ``--yes`` (exit 2). Once
    confirmed, asks for the 2FA codes that some Spot keys want typed (:func:`ask_codes`).
    """
    from kraken_ops.cli.safety import ask, stdin_is_tty

    command = options.command_path or "this command"
    active = [a for a in accounts if a.skip is None]
    stderr = out.stderr if out is not None else sys.stderr
    for account in accounts:
        if account.skip:
            print(f"warning: [{account.name}] skipped: {account.skip}; nothing is sent to it", file=stderr)
    if not active:
        raise ConfigProblem(f"{command}: every selected profile is skipped ({', '.join(sorted({a.skip or '' for a in accounts}))}); nothing was sent")
    askers = [a for a in active if a.asks]
    if not askers or options.yes:
        ask_codes(active)
        return active
    if not stdin_is_tty():
        names = ", ".join(f"{a.name} ({a.environment})" for a in askers)
        raise UsageProblem(f"{command} on {names} needs confirmation", hint="pass --yes to confirm without a terminal")
    width = max(len(a.name) for a in accounts)
    env_width = max(len(a.environment) for a in accounts)
    print(f"About to act on {len(active)} account{'s' if len(active) != 1 else ''}:", file=stderr)
    for account in accounts:
        plan = f"skipped: {account.skip}" if account.skip else what(account)
        print(f"  {account.name:<{width}}  {account.environment:<{env_width}}  {plan}", file=stderr)
    stderr.flush()
    if not ask("Proceed?"):
        raise UsageProblem("not confirmed; nothing was sent", hint=None)
    ask_codes(active)
    return active


def ask_codes(accounts: list[Account]) -> None:
    """Ask, one account after the other, for the 2FA codes of the Spot keys that want
    one typed (``otp = "prompt"``) before the threads start; an account that got none
    fails its Spot work with that error (:meth:`Account.client`), the others go on."""
    from kraken_ops.cli.clients import ask_first

    spot = {a.name: a for a in accounts if "spot" in a.uses}
    if not spot:
        return
    for name, exc in ask_first("spot.", list(spot), next(iter(spot.values())).config).items():
        spot[name].otp_error = exc


# --- running the work ------------------------------------------------------------------------
class NotSent(Exception):
    """A unit of work that never started (Ctrl-C came first): nothing was sent."""


@dataclass
class Unit:
    """One piece of concurrent work: ``run()`` for account ``account`` (``key`` names it in the results)."""

    key: Any
    account: Account
    run: Callable[[], Any]


def run_units(units: list[Unit], *, max_threads: int = MAX_THREADS) -> tuple[dict[Any, Any], dict[Any, BaseException], bool]:
    """Run every unit concurrently; ``(results, errors, interrupted)`` keyed by unit key.

    On Ctrl-C the units not started yet fail with :class:`NotSent`, and the call waits
    for those in flight (their requests are out: their outcome is what Kraken answers).
    A second Ctrl-C leaves at once; the threads still finish their request before the
    process exits, and record it in the audit log.
    """
    from concurrent.futures import ThreadPoolExecutor, wait

    results: dict[Any, Any] = {}
    errors: dict[Any, BaseException] = {}
    if not units:
        return results, errors, False
    started: set[Any] = set()
    lock = threading.Lock()

    def call(unit: Unit) -> Any:
        with lock:
            if stop.is_set():
                raise NotSent("interrupted before it was sent: nothing was sent")
            started.add(unit.key)
        return unit.run()

    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_threads, len(units))), thread_name_prefix="kraken-ops-fleet")
    # each unit runs in a copy of this context: the audit log's origin ("via": "mcp") follows it
    futures = {pool.submit(contextvars.copy_context().run, call, unit): unit for unit in units}
    interrupted = False
    try:
        wait(futures)
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
        in_flight = len(started) - sum(1 for f in futures if f.done())
        print(
            f"interrupted: {max(in_flight, 0)} request(s) in flight will finish and be reported; nothing more is sent (Ctrl-C again to leave now)",
            file=sys.stderr,
        )
        wait(futures)
    finally:
        pool.shutdown(wait=False)
    for future, unit in futures.items():
        exc = future.exception()
        if exc is None:
            results[unit.key] = future.result()
        else:
            errors[unit.key] = exc
    return results, errors, interrupted


def audited(
    command: str, account: Account, params: dict[str, Any], action: str, send: Callable[[], Any]
) -> Any:
    """``send()`` recorded in the audit log for ``account`` (the outcome, whatever it is)."""
    from kraken_ops.cli import audit

    with audit.Recording(command, account.name, account.environment, params, action) as entry:
        entry.result = result = send()
    return result


def record_skips(command: str, accounts: list[Account], params: dict[str, Any], action: str) -> None:
    """An audit line per skipped account: nothing was sent, and why."""
    from kraken_ops.cli import audit

    for account in accounts:
        if account.skip:
            audit.record(command, account.name, account.environment, params, {"status": "skipped", "message": account.skip}, action)


# --- reporting ----------------------------------------------------------------------------------
STATUS_OF_OUTCOME = {"unknown": "unknown", "not_placed": "error", "not_applied": "error"}


def short_reason(exc: BaseException, profile: str | None = None) -> str:
    """A few words for a table cell (the whole message is on stderr and in the JSON envelope)."""
    if isinstance(exc, NotSent):
        return "not sent (interrupted)"
    info = describe(exc, profile)
    if (info.extra or {}).get("outcome") == "unknown":
        return "outcome unknown: the answer was lost"
    return f"{info.category}: {info.kraken_error}" if info.kraken_error else f"{info.category}: {_clip(info.message)}"


def _clip(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + " ..."


def status_of(exc: BaseException) -> str:
    """``unknown`` when the answer was lost and the outcome could not be checked, ``not_sent``
    after Ctrl-C, ``error`` otherwise."""
    if isinstance(exc, NotSent):
        return "not_sent"
    outcome = getattr(exc, "outcome", None)
    return STATUS_OF_OUTCOME.get(outcome, "error") if isinstance(outcome, str) else "error"


@dataclass
class Report:
    """The per-account results of a fleet command, in account order."""

    accounts: list[Account]
    results: dict[str, Any] = field(default_factory=dict)  # account -> result (a dict)
    errors: dict[str, BaseException] = field(default_factory=dict)  # account -> what failed it
    interrupted: bool = False

    def rows(self, view: View, status: Callable[[Any], str] = lambda result: "ok") -> list[dict[str, Any]]:
        """One row (or more: the view's rows of the result) per account, with its status
        (``status(result)`` for an account that answered)."""
        out: list[dict[str, Any]] = []
        for account in self.accounts:
            head = {"profile": account.name, "environment": account.environment}
            if account.skip:
                out.append({**head, "status": "skipped", "detail": account.skip})
            elif account.name in self.errors:
                exc = self.errors[account.name]
                out.append({**head, "status": status_of(exc), "detail": short_reason(exc, account.name)})
            else:
                result = self.results.get(account.name)
                rows = view.rows(result) or [{}]
                out.extend({**head, "status": status(result), **row} for row in rows)
        return out

    def document(self) -> dict[str, Any]:
        """``{profile: result | {"error": envelope} | {"skipped": reason}}``."""
        doc: dict[str, Any] = {}
        for account in self.accounts:
            if account.skip:
                doc[account.name] = {"skipped": account.skip}
            elif account.name in self.errors:
                info = describe(self.errors[account.name], account.name)
                envelope = info.envelope()
                if isinstance(self.errors[account.name], NotSent):
                    envelope["outcome"] = "not_sent"
                doc[account.name] = {"error": envelope}
            else:
                doc[account.name] = self.results.get(account.name)
        return doc


def report_view(view: View) -> View:
    """The view of a fleet report: a row per account (profile, environment, status), the
    columns of ``view`` (its table columns when it has some), and a few words on what failed."""
    from kraken_ops.cli.output import col, listed, prose

    base = ["profile", "environment", "status"]
    own = [c for c in (view.columns or []) if c not in base]
    middle = [c for c in view.table if c.key not in base] if view.table else [col(name, name, 2) for name in own]
    table = [col("profile", "profile", 1), col("environment", "environment", 3), col("status", "status", 1), *middle, prose("detail", "detail", 1)]
    return View(listed(), base + own + ["detail"], table=table)


def emit(report_: Report, out: Output, view: View, status: Callable[[Any], str] | None = None) -> None:
    """Print the report: JSON ``{profile: ...}``, or one row per account (``view`` makes the
    rows of an answer and names the columns shown after profile, environment and status,
    see :func:`report_view`)."""
    if out.fmt == "json":
        out.emit(report_.document())
        return
    rows = report_.rows(view, status) if status else report_.rows(view)
    out.emit(rows, report_view(view))


def finish(report_: Report, options: GlobalOptions, out: Output, view: View, status: Callable[[Any], str] | None = None) -> None:
    """Print the report, each failure on stderr, and raise for the exit code."""
    emit(report_, out, view, status)
    for account in report_.accounts:
        exc = report_.errors.get(account.name)
        if exc is not None and not isinstance(exc, NotSent):
            report(exc, options, profile=account.name, envelope=False, show_profile=True)
    if report_.interrupted:
        raise KeyboardInterrupt
    raise_for(report_)


def raise_for(report_: Report) -> None:
    """Exit 5 when some accounts failed; when every acting account failed alike, that category's code."""
    acting = [a for a in report_.accounts if a.skip is None]
    failed = [a for a in acting if a.name in report_.errors]
    if not failed:
        return
    if len(failed) < len(acting):
        raise PartialFailure(f"{len(failed)} of {len(acting)} accounts failed")
    infos = {a.name: describe(report_.errors[a.name], a.name) for a in failed}
    categories = {info.category for info in infos.values()}
    category = categories.pop() if len(categories) == 1 else "partial"
    if category == "partial" or infos[failed[0].name].exit_code == EXIT_PARTIAL:
        raise PartialFailure("every account failed")
    raise PartialFailure("every account failed", category=category)


# --- one write on many accounts ------------------------------------------------------------------
def run_fleet_write(
    spec: str,
    description: str,
    action: Callable[[Any], Any],
    view: View,
    *,
    market: str = "spot",
    fleet_view: View | None = None,
    options: GlobalOptions | None = None,
    out: Output | None = None,
) -> Report | Any:
    """One write (``action(client)``) on every selected account, concurrently.

    With a single ``--profile`` (or none) and no ``--group``/``--all-profiles`` this is
    :func:`~kraken_ops.cli.clients.run_write` with ``view``: same confirmation, same output
    as before. Several accounts print a row per account, made by ``fleet_view`` (default ``view``).
    """
    from kraken_ops.cli import audit
    from kraken_ops.cli.clients import close_client, run_write
    from kraken_ops.cli.context import current

    options = options or current()
    if not (options.all_profiles or options.groups or len(options.profiles) > 1):
        return run_write(spec, description, action, view, options=options, out=out)
    out = out or Output.from_options(options)
    accounts = select(options, (market,))
    active = confirm(options, accounts, lambda a: description, out=out)
    command = audit.command_name(options)
    params = audit.command_params()
    record_skips(command, accounts, params, description)

    def unit(account: Account) -> Callable[[], Any]:
        def run() -> Any:
            client = account.client(spec, options)
            try:
                return audited(command, account, params, description, lambda: action(client))
            finally:
                close_client(client)

        return run

    results, errors, interrupted = run_units([Unit(a.name, a, unit(a)) for a in active])
    report_ = Report(accounts, results, errors, interrupted)
    finish(report_, options, out, fleet_view or view)
    return report_

