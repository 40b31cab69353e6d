"""Which accounts a command talks to, the SDK clients for them, and the read runner.

A command names its SDK class as ``"spot.User"`` or ``"futures.Trade"``; the
module is imported only when the command runs (so ``kraken-ops --help`` never
imports an endpoint group). One profile gets the synchronous client; several
profiles (``--profile a --profile b``, ``--group TAG`` or ``--all-profiles``) get one
synchronous client each, queried concurrently from threads, and their results merged
(see :meth:`Output.emit_multi`).
"""

from __future__ import annotations

import importlib
from typing import Any, Awaitable, Callable, Mapping

from kraken_ops.cli.context import GlobalOptions, Kind
from kraken_ops.cli.errors import EXIT_PARTIAL, ConfigProblem, PartialFailure, UsageProblem, describe, report
from kraken_ops.cli.output import Output, View


def profile_names() -> list[str]:
    """Names of every configured profile (the config file of ``$KRAKEN_OPS_CONFIG``)."""
    from kraken_ops.profiles.config import read_config

    return read_config().names()


def get_profile(name: str | None) -> Any:
    """The profile ``name`` (``None``: ``$KRAKEN_OPS_PROFILE`` or the default; ``None`` when there is none)."""
    from kraken_ops import profiles

    chosen = profiles.resolve_name(name)
    return profiles.get_profile(chosen) if chosen else None


def targets(options: GlobalOptions) -> list[str | None]:
    """The profiles the command runs on (``[None]``: the default profile or environment keys).

    ``--all-profiles`` is every configured profile; otherwise the ``--profile`` names,
    then the profiles carrying any ``--group`` tag (each once, in that order). Only
    commands that take several profiles (:data:`~kraken_ops.cli.context.MULTI_KINDS`)
    accept more than one, ``--group`` or ``--all-profiles``: a command that acts on one
    account never silently picks the first of several.
    """
    from kraken_ops.cli.context import MULTI_KINDS

    command = options.command_path or "this command"
    if options.kind not in MULTI_KINDS:
        if options.all_profiles or options.groups:
            flag = "--all-profiles" if options.all_profiles else "--group"
            raise UsageProblem(f"{command} acts on one profile and does not take {flag}", hint="name the profile with --profile NAME")
        if len(options.profiles) > 1:
            raise UsageProblem(f"{command} takes one --profile, not {len(options.profiles)}")
    if options.all_profiles:
        names = profile_names()
        if not names:
            raise ConfigProblem("--all-profiles: no profile is configured", hint="add one with: kraken-ops profile add NAME")
        return list(names)
    chosen: list[str | None] = list(dict.fromkeys(options.profiles))
    if options.groups:
        from kraken_ops.profiles.config import read_config

        chosen += [n for n in read_config().in_groups(options.groups) if n not in chosen]
    return chosen or [None]


def client_class(spec: str, *, asynchronous: bool = False) -> type:
    """The SDK class for ``"spot.User"`` (or its async twin ``AsyncUser``)."""
    market, name = spec.split(".")
    module = importlib.import_module(f"kraken_ops.{market}.{name.lower()}")
    return getattr(module, f"Async{name}" if asynchronous else name)


def make_client(spec: str, profile: str | None, options: GlobalOptions, *, asynchronous: bool = False, config: Any = None) -> Any:
    """An SDK client of ``spec`` for ``profile`` (keyring secret, shared nonce store).

    With no profile chosen anywhere and no ``KRAKEN_OPS_API_KEY``, a public command
    gets an anonymous production client; a private one gets the profile error.
    ``config``: the config file already read (commands on many profiles read it once).
    """
    cls = client_class(spec, asynchronous=asynchronous)
    overrides: dict[str, Any] = {}
    if options.timeout is not None:
        overrides["timeout"] = options.timeout
    if profile is None and options.kind is Kind.public and _nothing_chosen():
        return cls(**overrides)
    if config is not None:
        overrides["config"] = config
    return cls.from_profile(profile, public=options.kind is Kind.public, **overrides)


def _nothing_chosen() -> bool:
    import os

    from kraken_ops import profiles

    if os.environ.get("KRAKEN_OPS_API_KEY"):
        return False
    return profiles.resolve_name(None) is None


def close_client(client: Any) -> None:
    closer = getattr(client, "close", None)
    if closer is not None:
        try:
            closer()
        except Exception:
            pass


Fetch = Callable[[Any], Any]


def run_read(spec: str, fetch: Fetch, view: View, options: GlobalOptions, out: Output | None = None) -> Any:
    """Run a read command on one or several profiles and print the (merged) result.

    ``fetch(client)`` performs the SDK call; with an async client it returns a
    coroutine, so one ``fetch`` serves both cases.
    """
    out = out or Output.from_options(options)
    names = targets(options)
    if len(names) == 1 and not (options.all_profiles or options.groups):  # a selection answers {profile: result} even for one
        client = make_client(spec, names[0], options)
        try:
            result = fetch(client)
        finally:
            close_client(client)
        out.emit(result, view)
        return result
    results, errors = read_profiles(spec, names, fetch, options)  # type: ignore[arg-type]
    finish_multi(results, errors, view, options, out)
    return results


def read_profiles(
    spec: str, names: list[str], fetch: Fetch, options: GlobalOptions, *, display: Any = None
) -> tuple[dict[str, Any], dict[str, BaseException]]:
    """Query every profile concurrently, one thread and one sync client each; ``(results, errors)`` by profile.

    Threads and the sync SDK rather than asyncio and the async SDK: a process that
    reads ten accounts then imports what one that reads one account imports
    (requests, not aiohttp), which is most of a short command's time. The config file
    is read once for every client, and a profile that asks for its 2FA code on the
    terminal is asked before the threads start (:func:`ask_first`).

    When the profiles take longer than a second, a terminal's stderr shows one line per
    profile, pending or done (:class:`kraken_ops.cli.progress.ProfilesProgress`, or
    ``display``); only this thread draws it.
    """
    import contextvars
    from concurrent.futures import ThreadPoolExecutor, as_completed, wait

    from kraken_ops.cli import progress as drawing
    from kraken_ops.profiles import load_config

    config = load_config()
    unanswered = ask_first(spec, names, config)
    shown = display if display is not None else drawing.ProfilesProgress(names, drawing.console(options))

    def one(name: str) -> Any:
        if name in unanswered:
            raise unanswered[name]
        client = make_client(spec, name, options, config=config)
        try:
            return fetch(client)
        finally:
            close_client(client)

    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(32, len(names))), thread_name_prefix="kraken-ops-read") as pool:
        futures = {pool.submit(contextvars.copy_context().run, one, name): name for name in names}
        try:
            finished, pending = wait(futures, timeout=shown.show_after if shown.target is not None else None)
            for future in finished:
                shown.done(futures[future], future.exception() is None)
            if pending:
                shown.start()
                for future in as_completed(pending):
                    shown.done(futures[future], future.exception() is None)
        finally:
            shown.stop()
        for future, name in futures.items():
            exc = future.exception()
            if exc is None:
                results[name] = future.result()
            else:
                errors[name] = exc
    return {n: results[n] for n in names if n in results}, {n: errors[n] for n in names if n in errors}


def ask_first(spec: str, names: list[str], config: Any) -> dict[str, BaseException]:
    """Ask now, one profile after the other, for the 2FA codes that ``otp = "prompt"``
    profiles want (their clients are built in threads, which must not ask at once).

    An answer is remembered for the rest of the command (:func:`kraken_ops._core.otp.prompt_scope`);
    a profile that got none (no terminal, an empty answer) is returned with its error:
    that profile fails, the others go on.
    """
    if not spec.startswith("spot."):  # Futures keys have no 2FA
        return {}
    from kraken_ops.profiles.errors import ProfileError
    from kraken_ops.profiles.otp import ask

    unanswered: dict[str, BaseException] = {}
    for name in names:
        profile = config.profiles.get(name)
        if profile is not None and profile.otp == "prompt" and profile.spot_key:
            try:
                ask(config.get(name))
            except ProfileError as exc:
                unanswered[name] = exc
    return unanswered


async def gather_profiles(
    spec: str, names: list[str], fetch: Fetch, options: GlobalOptions, *, display: Any = None
) -> tuple[dict[str, Any], dict[str, BaseException]]:
    """Query every profile concurrently with the async SDK; return ``(results, errors)`` keyed by profile.

    For callers already in an event loop; the read commands use :func:`read_profiles`.
    When the profiles take longer than a second, a terminal's stderr shows one line per
    profile, pending or done (:class:`kraken_ops.cli.progress.ProfilesProgress`, or ``display``).
    """
    import asyncio

    from kraken_ops.cli import progress as drawing
    from kraken_ops.profiles import load_config

    config = load_config()  # once, not once per profile
    shown = display if display is not None else drawing.ProfilesProgress(names, drawing.console(options))

    async def one(name: str) -> Any:
        client = make_client(spec, name, options, asynchronous=True, config=config)
        try:
            value = fetch(client)
            if isinstance(value, Awaitable):
                value = await value
            shown.done(name, True)
            return value
        except BaseException:
            shown.done(name, False)
            raise
        finally:
            closer = getattr(client, "close", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:
                    pass

    timer = asyncio.get_running_loop().call_later(shown.show_after, shown.start) if shown.target is not None else None
    try:
        outcomes = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
    finally:
        if timer is not None:
            timer.cancel()
        shown.stop()
    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}
    for name, outcome in zip(names, outcomes):
        if isinstance(outcome, KeyboardInterrupt):
            raise outcome
        if isinstance(outcome, BaseException):
            errors[name] = outcome
        else:
            results[name] = outcome
    return results, errors


def finish_multi(
    results: Mapping[str, Any], errors: Mapping[str, BaseException], view: View, options: GlobalOptions, out: Output
) -> None:
    """Print merged results, report each failed profile on stderr, raise for the exit code."""
    infos = {name: describe(exc, name) for name, exc in errors.items()}
    out.emit_multi(results, infos, view)
    for name, exc in errors.items():
        report(exc, options, profile=name, envelope=False, show_profile=True)
    if errors and results:
        raise PartialFailure(f"{len(errors)} of {len(errors) + len(results)} profiles failed")
    if errors:
        first = next(iter(infos.values()))
        raise PartialFailure("every profile failed", category="partial" if first.exit_code == EXIT_PARTIAL else _category_for_all(infos))


def _category_for_all(infos: Mapping[str, Any]) -> str:
    """When every profile failed the same way, exit with that category's code."""
    categories = {info.category for info in infos.values()}
    return categories.pop() if len(categories) == 1 else "partial"


# --- conveniences used by the command modules ------------------------------------------------
def read(spec: str, fetch: Fetch, view: View) -> Any:
    """Run a read command with the running command's options."""
    from kraken_ops.cli.context import current

    return run_read(spec, fetch, view, current())


def run_write(
    spec: str,
    description: str,
    action: Fetch,
    view: View,
    *,
    validate: bool = False,
    options: GlobalOptions | None = None,
    out: Output | None = None,
    audit_params: dict[str, Any] | None = None,
) -> Any:
    """Check the profile (read-only, confirmation), run ``action(client)`` and print the result.

    The request is recorded in the audit log (:mod:`kraken_ops.cli.audit`) with its
    outcome, whatever it is; a dry run (``validate``) moves nothing and is not recorded.
    ``audit_params`` adds what the command line does not show (orders read from a file).
    """
    from kraken_ops.cli import audit
    from kraken_ops.cli.context import current
    from kraken_ops.cli.safety import confirm_action

    options = options or current()
    out = out or Output.from_options(options)
    name = targets(options)[0]
    profile = get_profile(name)
    confirm_action(options, profile, description, validate=validate)
    params = audit.command_params(audit_params)
    client = make_client(spec, name, options)
    try:
        if validate:
            result = action(client)
        else:
            with audit.Recording(
                audit.command_name(options), _name_of(profile, name), _environment_of(profile), params, description
            ) as entry:
                entry.result = result = action(client)
    finally:
        close_client(client)
    out.emit(result, view)
    return result


def _name_of(profile: Any, name: str | None) -> str | None:
    """The profile's name for messages and the audit log (``None``: environment keys)."""
    return getattr(profile, "name", None) or name


def _environment_of(profile: Any) -> str:
    """The profile's environment (keys from the environment variables talk to production)."""
    return getattr(profile, "environment", None) or "production"


def single(spec: str, fetch: Fetch, view: View) -> Any:
    """Run a private command that moves no money on exactly one profile."""
    from kraken_ops.cli.context import current

    options = current()
    out = Output.from_options(options)
    client = make_client(spec, targets(options)[0], options)
    try:
        result = fetch(client)
    finally:
        close_client(client)
    out.emit(result, view)
    return result
